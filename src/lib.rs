//! supportgate
