//! Shared helpers for the end-to-end and differential tests.
