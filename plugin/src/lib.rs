//! The Falco plugin.
