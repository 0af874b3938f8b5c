//! Every field of the project's protect.control.v1 subset is, in Edera's own protos
//! (../shared/edera-protos), in the same message with the same type, name and number; every
//! enum value likewise; every rpc has the same request and reply types. The project's
//! extension fields (numbered 1000 and up, types of package edera.falco.v1) are the exception.
//! Skips with the reason when ../shared is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Per message, enum or service: its normalized member lines (`type name = n`, `NAME = n`,
/// `rpc ...`), comments and options removed.
fn members(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or_default().trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.ends_with('{')
            && words.len() >= 2
            && matches!(words[0], "message" | "enum" | "service" | "oneof")
        {
            // A oneof's fields belong to its message.
            let name = if words[0] == "oneof" {
                stack.last().cloned().unwrap_or_default()
            } else {
                words[1].to_string()
            };
            stack.push(name);
            continue;
        }
        if line.starts_with('}') {
            stack.pop();
            continue;
        }
        if let Some(owner) = stack.last()
            && (line.ends_with(';') || line.ends_with("{}"))
        {
            let normalized = line
                .trim_end_matches(';')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            out.entry(owner.clone()).or_default().insert(normalized);
        }
    }
    out
}

fn read(dir: &Path, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| std::fs::read_to_string(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_subset_is_wire_identical_to_ederas() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/edera-protos");
    if !shared.exists() {
        eprintln!("skipping: {} is absent", shared.display());
        return;
    }
    let ours = members(&read(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/protect/control/v1")),
        &["control.proto", "common.proto"],
    ));
    let theirs = members(&read(&shared, &["control.proto", "common.proto"]));
    let mut checked = 0;
    for (owner, lines) in &ours {
        let Some(edera) = theirs.get(owner) else {
            panic!("{owner} is not in Edera's protos")
        };
        for line in lines {
            let number: u32 = line
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if line.contains("edera.falco.v1.") && number >= 1000 {
                continue;
            }
            assert!(
                edera.contains(line),
                "{owner}: `{line}` differs from Edera's {:?}",
                edera
                    .iter()
                    .filter(|l| l.contains(line.split(' ').nth(1).unwrap_or("")))
                    .collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} members checked");
}
