//! Reading the field catalog: every `*.toml` of `schema/fields/`, in file-name order, parsed
//! into the model and validated as a whole.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::model::{Catalog, ClassFile};
use super::validate::{Problem, validate_files};

/// Why the catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the field catalog folder {}: {source}", .dir.display())]
    Dir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", .file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the field catalog folder {} holds no *.toml file", .dir.display())]
    Empty { dir: PathBuf },
    /// The file is not valid TOML, or does not fit the catalog model (wrong type, unknown or
    /// missing key). `line`/`column` are 1-based; 0 when the parser gave no position.
    #[error("{}", syntax_text(.file, *.line, *.column, .entry, .message))]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        /// The field the error is in (its name, or `field #N`), empty outside any field.
        entry: String,
        message: String,
    },
    /// The files parsed, but the catalog breaks one or more rules.
    #[error("the field catalog has {} problem(s):\n{}", .0.len(), problems_text(.0))]
    Invalid(Vec<Problem>),
}

impl CatalogError {
    /// The individual problems: one for a read or syntax error, all of them for `Invalid`.
    pub fn problems(&self) -> Vec<String> {
        match self {
            CatalogError::Invalid(p) => p.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

fn syntax_text(file: &Path, line: usize, column: usize, entry: &str, message: &str) -> String {
    let mut s = file.display().to_string();
    if line > 0 {
        let _ = write!(s, ":{line}:{column}");
    }
    if !entry.is_empty() {
        let _ = write!(s, ": {entry}");
    }
    let _ = write!(s, ": {message}");
    s
}

fn problems_text(p: &[Problem]) -> String {
    p.iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The `name = "..."` value on a line, if the line is exactly that (comments allowed after).
fn name_on_line(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("name")?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    let end = body.find(quote)?;
    Some(body[..end].to_string())
}

/// Which `[[field]]` entry holds byte `offset` of `text`: its name when the entry has a
/// `name = "..."` line, `field #N` otherwise, or an empty string before the first entry.
fn entry_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let mut index = 0usize;
    let mut block_start = None;
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        let t = line.trim();
        if t == "[[field]]" {
            index += 1;
            block_start = Some(pos);
        } else if t.starts_with('[') && !t.starts_with("[[field]]") {
            // Any other table header closes the field entry.
            block_start = None;
        }
        pos += line.len();
    }
    let Some(start) = block_start else {
        return String::new();
    };
    // Look for the name anywhere in the entry, also after the error position.
    for line in text[start..].lines().skip(1) {
        if line.trim_start().starts_with('[') {
            break;
        }
        if let Some(n) = name_on_line(line) {
            return n;
        }
    }
    format!("field #{index}")
}

/// Parses one catalog file's text. `file` is only used in messages.
pub fn parse_class_file(file: &Path, text: &str) -> Result<ClassFile, CatalogError> {
    toml::from_str::<ClassFile>(text).map_err(|e| {
        let (line, column, entry) = match e.span() {
            Some(span) => {
                let (l, c) = line_col(text, span.start);
                (l, c, entry_at(text, span.start))
            }
            None => (0, 0, String::new()),
        };
        CatalogError::Syntax {
            file: file.to_path_buf(),
            line,
            column,
            entry,
            message: e.message().trim().to_string(),
        }
    })
}

/// The `*.toml` files directly in `dir`, sorted by file name.
fn catalog_files(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let rd = std::fs::read_dir(dir).map_err(|source| CatalogError::Dir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| CatalogError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Loads and validates the catalog in `dir` (normally `schema/fields/`). Files are read in
/// file-name order; the first read or syntax error stops loading, while validation reports
/// every problem of the catalog at once.
pub fn load_catalog(dir: &Path) -> Result<Catalog, CatalogError> {
    let paths = catalog_files(dir)?;
    if paths.is_empty() {
        return Err(CatalogError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    let mut named = Vec::with_capacity(paths.len());
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            file: path.clone(),
            source,
        })?;
        let cf = parse_class_file(path, &text)?;
        named.push((path.display().to_string(), cf));
    }
    let problems = validate_files(&named);
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(problems));
    }
    Ok(Catalog {
        files: named.into_iter().map(|(_, cf)| cf).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_entries() {
        let text = "class = \"x\"\ndesc = \"d\"\n\n[[field]]\nname = \"x.a\"\ntype = \"u64\"\n\n[[field]]\ntype = \"u64\"\nname = 'x.b'\n\n[[field]]\ntype = \"u64\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.find("type = \"u64\"").unwrap()), (6, 1));
        assert_eq!(entry_at(text, 3), "");
        assert_eq!(entry_at(text, text.find("type").unwrap()), "x.a");
        // The name may follow the error position inside the entry.
        let second = text.match_indices("type").nth(1).unwrap().0;
        assert_eq!(entry_at(text, second), "x.b");
        let third = text.match_indices("type").nth(2).unwrap().0;
        assert_eq!(entry_at(text, third), "field #3");
        assert_eq!(
            name_on_line("  name = \"proc.name\" # c"),
            Some("proc.name".into())
        );
        assert_eq!(name_on_line("names = \"x\""), None);
    }
}
