//! supportgate-service
