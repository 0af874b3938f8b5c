//! Bookkeeping of the differential test: per (field, capture) agreement counts, the checked-in
//! list of known differences, and the printed table.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts for one (field, capture) cell.
#[derive(Debug, Default, Clone)]
pub struct Cell {
    pub agree: u64,
    pub disagree: u64,
    /// A few examples: (event key, expected, got).
    pub examples: Vec<String>,
}

/// All cells, keyed by field then capture.
#[derive(Debug, Default)]
pub struct Agreement {
    pub cells: BTreeMap<String, BTreeMap<String, Cell>>,
    pub fields: Vec<String>,
    pub captures: Vec<String>,
}

const MAX_EXAMPLES: usize = 3;

impl Agreement {
    pub fn record(
        &mut self,
        field: &str,
        capture: &str,
        ok: bool,
        example: impl FnOnce() -> String,
    ) {
        let cell = self
            .cells
            .entry(field.to_string())
            .or_default()
            .entry(capture.to_string())
            .or_default();
        if ok {
            cell.agree += 1;
        } else {
            cell.disagree += 1;
            if cell.examples.len() < MAX_EXAMPLES {
                cell.examples.push(example());
            }
        }
    }

    /// The table: one row per field, one column per capture; `.` = every event agrees,
    /// a number = how many events disagree, `-` = no events.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let width = self.fields.iter().map(String::len).max().unwrap_or(10);
        let _ = writeln!(
            s,
            "agreement with Falco 0.45 (`.` all equal, N = events that differ):"
        );
        for (i, c) in self.captures.iter().enumerate() {
            let _ = writeln!(s, "  c{i:<2} = {c}");
        }
        let _ = write!(s, "{:width$}", "field");
        for i in 0..self.captures.len() {
            let _ = write!(s, " {:>5}", format!("c{i}"));
        }
        let _ = writeln!(s, " {:>7}", "agree%");
        let (mut tot_agree, mut tot) = (0u64, 0u64);
        for f in &self.fields {
            let _ = write!(s, "{f:width$}");
            let (mut a, mut t) = (0u64, 0u64);
            for c in &self.captures {
                let cell = self.cells.get(f).and_then(|m| m.get(c));
                let txt = match cell {
                    None => "-".to_string(),
                    Some(cell) if cell.disagree == 0 => ".".to_string(),
                    Some(cell) => cell.disagree.to_string(),
                };
                if let Some(cell) = cell {
                    a += cell.agree;
                    t += cell.agree + cell.disagree;
                }
                let _ = write!(s, " {txt:>5}");
            }
            tot_agree += a;
            tot += t;
            let pct = if t == 0 {
                100.0
            } else {
                100.0 * a as f64 / t as f64
            };
            let _ = writeln!(s, " {pct:>7.2}");
        }
        let pct = if tot == 0 {
            100.0
        } else {
            100.0 * tot_agree as f64 / tot as f64
        };
        let _ = writeln!(s, "total: {tot_agree} of {tot} values equal ({pct:.3}%)");
        s
    }
}

/// One checked-in known difference: a field (and optionally only some captures) whose values
/// may differ from Falco's, with the reason.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDifference {
    pub field: String,
    /// Capture names; empty means every capture.
    #[serde(default)]
    pub captures: Vec<String>,
    pub reason: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFile {
    #[serde(default)]
    difference: Vec<KnownDifference>,
}

/// Loads the known-differences file; every entry must have a non-empty reason.
pub fn load_known(path: &std::path::Path) -> Result<Vec<KnownDifference>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: KnownFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for d in &file.difference {
        if d.reason.trim().is_empty() {
            return Err(format!("{}: `{}` has no reason", path.display(), d.field));
        }
    }
    Ok(file.difference)
}

impl KnownDifference {
    pub fn covers(&self, field: &str, capture: &str) -> bool {
        self.field == field
            && (self.captures.is_empty() || self.captures.iter().any(|c| c == capture))
    }
}
