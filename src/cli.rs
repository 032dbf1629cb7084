//! The command-line client.
