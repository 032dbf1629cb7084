//! supportgate-store
