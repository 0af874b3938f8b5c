//! The Falco 0.45 oracle: `../shared/fixtures/scap/oracle-falco/NAME.jsonl.gz` holds, for every
//! event Falco produced from `NAME.scap`, the values of the fields in `FIELDS.txt`. This module
//! reads it and renders every value as the text Falco prints, so plugin values can be compared
//! with it as text.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// `../shared/fixtures/scap` beside the workspace, if present.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap");
    dir.join("oracle-falco").is_dir().then_some(dir)
}

/// The oracle's field list (FIELDS.txt), in its order.
pub fn fields(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("oracle-falco/FIELDS.txt")).unwrap_or_default();
    text.split_whitespace().map(str::to_string).collect()
}

/// Captures that have an oracle, sorted by name.
pub fn captures(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("oracle-falco"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".jsonl.gz")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// How events are matched: (evt.rawtime, thread.tid, evt.type), as the oracle's README says.
pub type EventKey = (String, String, String);

/// One oracle event: its key and every field's text (`None` = no value).
pub struct OracleEvent {
    pub key: EventKey,
    pub values: HashMap<String, Option<String>>,
}

/// Falco's text for a JSON value: strings as they are, numbers in decimal, booleans as
/// `true`/`false`, lists as `(a,b)`; `null` is no value.
pub fn value_text(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| value_text(i).unwrap_or_default())
                .collect();
            Some(format!("({})", parts.join(",")))
        }
        Value::Object(_) => Some(v.to_string()),
    }
}

/// Reads `NAME.jsonl.gz`.
pub fn load(dir: &std::path::Path, capture: &str) -> Result<Vec<OracleEvent>, String> {
    let path = dir.join("oracle-falco").join(format!("{capture}.jsonl.gz"));
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{}: line {}: {e}", path.display(), i + 1))?;
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)
            .map_err(|e| format!("{}: line {}: {e}", path.display(), i + 1))?;
        let get = |k: &str| obj.get(k).and_then(value_text).unwrap_or_default();
        let key = (get("evt.rawtime"), get("thread.tid"), get("evt.type"));
        let values = obj
            .iter()
            .map(|(k, v)| (k.clone(), value_text(v)))
            .collect();
        out.push(OracleEvent { key, values });
    }
    Ok(out)
}
