//! Converts Falco's three stock rules files and loads every converted rule, one at a time with
//! all lists and macros, into the real Falco 0.45 (`../shared/falco`) with the built plugin:
//! every rule must load, the 46 that name `container.*`/`k8s.*` fields (through the `container`
//! macro and others, or in their outputs) included, now that the plugin serves them.

use std::path::{Path, PathBuf};
use std::process::Command;

use edera_falco_rules::{Options, Outcome, RulesFile, convert};
use serde_yaml_ng::Value;

/// Rules that still fail to load, each for a container.* or k8s.* field in its condition or
/// its output: none, every field of the container plugin the stock rules name is served.
const NEED_CONTAINER_OR_K8S: &[&str] = &[];

fn shared() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let shared = root.parent()?.join("shared");
    (shared.join("falco/bin/falco").is_file()
        && shared
            .join("reference/falco-rules/falco_rules.yaml")
            .is_file())
    .then_some(shared)
}

#[test]
fn stock_rules_load_in_falco() {
    let Some(shared) = shared() else {
        println!("skipped: ../shared/falco or ../shared/reference/falco-rules is absent");
        return;
    };
    let names = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ];
    let texts: Vec<String> = names
        .iter()
        .map(|n| std::fs::read_to_string(shared.join("reference/falco-rules").join(n)).unwrap())
        .collect();
    let files: Vec<RulesFile<'_>> = names
        .iter()
        .zip(&texts)
        .map(|(name, text)| RulesFile { name, text })
        .collect();
    let c = convert(&files, &Options::default()).unwrap();
    println!("{}", c.report);
    let total: usize = c.report.files.iter().map(|f| f.counts().rules).sum();
    assert_eq!(total, 93, "the stock files hold 93 rules");
    assert!(
        c.report
            .files
            .iter()
            .flat_map(|f| &f.rules)
            .all(|r| !matches!(r.outcome, Outcome::LeftOut(_))),
        "every stock rule has a plugin form"
    );

    let so = &edera_falco_harness::library::plugin_library().path;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("falco.yaml");
    std::fs::write(
        &config,
        format!(
            "engine: {{kind: nodriver}}\nload_plugins: [edera]\nplugins:\n  - name: edera\n    library_path: {}\n    init_config: \"\"\n    open_params: \"\"\n",
            so.display()
        ),
    )
    .unwrap();
    let Value::Sequence(items) = serde_yaml_ng::from_str(&c.yaml).unwrap() else {
        panic!("output is not a sequence");
    };
    let common: Vec<&Value> = items.iter().filter(|i| i.get("rule").is_none()).collect();
    let mut rules: Vec<&str> = items.iter().filter_map(|i| i["rule"].as_str()).collect();
    rules.dedup();
    let mut failed = Vec::new();
    for rule in &rules {
        let mut doc: Vec<&Value> = common.clone();
        doc.extend(items.iter().filter(|i| i["rule"].as_str() == Some(rule)));
        let file = dir.path().join("one.yaml");
        std::fs::write(&file, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
        let out = Command::new(shared.join("falco/bin/falco"))
            .arg("-c")
            .arg(&config)
            .arg("-V")
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if !text.contains("one.yaml: Ok") {
            failed.push((rule.to_string(), text));
        }
    }
    for (rule, text) in &failed {
        let why = text.lines().find(|l| l.contains("LOAD_ERR")).unwrap_or("?");
        println!("does not load: {rule}: {why}");
    }
    let failed_names: Vec<&str> = failed.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(failed_names, NEED_CONTAINER_OR_K8S);
    for (rule, text) in &failed {
        let output = items
            .iter()
            .find(|i| i["rule"].as_str() == Some(rule))
            .and_then(|i| i["output"].as_str())
            .unwrap_or_default();
        let in_condition = text.contains("nonexistent field container.")
            || text.contains("nonexistent field k8s.");
        let in_output = text.contains("LOAD_ERR_COMPILE_OUTPUT")
            && (output.contains("%container.") || output.contains("%k8s."));
        assert!(
            in_condition || in_output,
            "{rule} fails for another reason: {text}"
        );
    }
    println!(
        "{} of {} converted rules load in Falco",
        rules.len() - failed.len(),
        rules.len()
    );
}
