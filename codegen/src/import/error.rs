//! The importer's error type: every failure names the input file and, where there is one, the
//! line, and says what was expected and what was found instead.

use std::path::PathBuf;

/// An import failure. Display forms:
/// - `file:line: expected X, found Y` for anything wrong at a place in a file;
/// - `file: expected X, found Y` for something missing from a whole file;
/// - `path: cannot read: reason` when a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}:{line}: expected {expected}, found {found}")]
    At {
        file: String,
        line: u32,
        expected: String,
        found: String,
    },
    #[error("{file}: expected {expected}, found {found}")]
    InFile {
        file: String,
        expected: String,
        found: String,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ImportError {
    /// An error at `file:line`.
    pub fn at(
        file: &str,
        line: u32,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ImportError::At {
            file: file.to_string(),
            line,
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// An error about a whole file (something it should contain is missing).
    pub fn in_file(file: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        ImportError::InFile {
            file: file.to_string(),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// The file the error is about (the input file's name, or the unreadable path).
    pub fn file(&self) -> String {
        match self {
            ImportError::At { file, .. } | ImportError::InFile { file, .. } => file.clone(),
            ImportError::Read { path, .. } => path.display().to_string(),
        }
    }

    /// The line the error is at, when it is at one.
    pub fn line(&self) -> Option<u32> {
        match self {
            ImportError::At { line, .. } => Some(*line),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ImportError>;
