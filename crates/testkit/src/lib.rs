//! supportgate-testkit
