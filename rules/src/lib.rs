//! Converts Falco rules files written for the `syscall` source into rules for the edera plugin's
//! `edera_zone` source, as a drop-in: the same items in the same order, the same rule names and
//! outputs. Rules without a source (or `syscall`) get `source: edera_zone`;
//! `required_plugin_versions` names `edera` instead of `container`; conditions (of rules,
//! macros and appends) and exceptions are rewritten where a plugin field would not mean what
//! the libsinsp field means (see [`rewrite`]); rules that cannot be expressed are left out with
//! the reason. The [`Report`] says what happened to every rule, and which rules still need
//! `container.*`/`k8s.*` fields that the plugin does not serve yet.

pub mod condition;
mod exceptions;
mod report;
pub mod rewrite;

use std::collections::{HashMap, HashSet};

use serde_yaml_ng::{Mapping, Value};

use condition::{parse, splice};
pub use report::{Outcome, Report, RuleReport};
use rewrite::Rewrite;

/// The event source the converted rules are written for.
pub const SOURCE: &str = "edera_zone";
/// The plugin the converted rules require.
pub const PLUGIN: &str = "edera";

/// One input rules file.
#[derive(Debug, Clone, Copy)]
pub struct RulesFile<'a> {
    /// A name for the report (usually the path).
    pub name: &'a str,
    pub text: &'a str,
}

/// Conversion settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The version written in `required_plugin_versions` for `edera`.
    pub plugin_version: String,
}

impl Default for Options {
    /// The plugin's version: the plugin and this crate share the workspace version.
    fn default() -> Self {
        Options {
            plugin_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// The converted rules (all inputs, in order, as one rules file) and the report.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub yaml: String,
    pub report: Report,
}

/// A file that cannot be read as a rules file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: {source}")]
    Yaml {
        file: String,
        source: serde_yaml_ng::Error,
    },
    #[error("{file}: a rules file is a YAML sequence of items")]
    NotASequence { file: String },
}

/// Converts `files` (read in order, as Falco loads them).
pub fn convert(files: &[RulesFile<'_>], opts: &Options) -> Result<Conversion, Error> {
    let mut docs = Vec::new();
    for f in files {
        let v: Value = serde_yaml_ng::from_str(f.text).map_err(|source| Error::Yaml {
            file: f.name.to_owned(),
            source,
        })?;
        match v {
            Value::Sequence(items) => docs.push((f.name, items)),
            Value::Null => docs.push((f.name, Vec::new())),
            _ => {
                return Err(Error::NotASequence {
                    file: f.name.to_owned(),
                });
            }
        }
    }
    let mut macros = Macros::default();
    for (_, items) in &mut docs {
        for item in items.iter_mut() {
            macros.convert_item(item);
        }
    }
    let mut report = Report::default();
    let mut out = Vec::new();
    let mut left_out: HashSet<String> = HashSet::new();
    for (name, items) in docs {
        let mut rules = Vec::new();
        for mut item in items {
            let Some(map) = item.as_mapping_mut() else {
                out.push(item);
                continue;
            };
            if map.contains_key("required_plugin_versions") {
                require_edera(map, &opts.plugin_version);
            } else if let Some(rule) = str_of(map, "rule") {
                let changing = is_change(map);
                if changing && left_out.contains(&rule) {
                    continue;
                }
                let r = convert_rule(map, changing, &macros);
                let keep = !matches!(r.outcome, Outcome::LeftOut(_));
                if !changing {
                    if !keep {
                        left_out.insert(rule.clone());
                    }
                    rules.push(r);
                } else if !keep {
                    // A change to a kept rule that cannot be expressed: the rule as defined
                    // stays, and the report says which change was dropped.
                    rules.push(r);
                    continue;
                }
                if !keep {
                    continue;
                }
            }
            out.push(item);
        }
        report.files.push(report::FileReport {
            file: name.to_owned(),
            rules,
        });
    }
    let yaml = serde_yaml_ng::to_string(&Value::Sequence(out)).map_err(|source| Error::Yaml {
        file: "output".to_owned(),
        source,
    })?;
    Ok(Conversion { yaml, report })
}

fn str_of(map: &Mapping, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// An `append: true` or `override:` item (it changes an earlier definition).
fn is_change(map: &Mapping) -> bool {
    map.get("append").and_then(Value::as_bool) == Some(true) || map.contains_key("override")
}

/// `required_plugin_versions` with `container` replaced by (or `edera` added as) the plugin.
fn require_edera(map: &mut Mapping, version: &str) {
    let Some(Value::Sequence(list)) = map.get_mut("required_plugin_versions") else {
        return;
    };
    list.retain(|p| {
        !matches!(
            p.get("name").and_then(Value::as_str),
            Some("container" | PLUGIN)
        )
    });
    let mut edera = Mapping::new();
    edera.insert("name".into(), PLUGIN.into());
    edera.insert("version".into(), version.into());
    list.insert(0, Value::Mapping(edera));
}

/// A condition after rewriting.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    text: String,
    changes: Vec<String>,
    refusals: Vec<String>,
    macros: Vec<String>,
}

/// Rewrites one condition; `fragment` for appended text (`and …`, `or …`).
pub(crate) fn convert_condition(cond: &str, fragment: bool) -> Converted {
    // An appended fragment continues the condition it is added to: parse it after a
    // placeholder operand and shift the spans back.
    const PLACEHOLDER: &str = "x ";
    let trimmed = cond.trim_start();
    let continues = fragment && (trimmed.starts_with("and") || trimmed.starts_with("or"));
    let (source, shift) = if continues {
        (format!("{PLACEHOLDER}{cond}"), PLACEHOLDER.len())
    } else {
        (cond.to_owned(), 0)
    };
    let parsed = match parse(&source) {
        Ok(p) => p,
        Err(e) => {
            return Converted {
                text: cond.to_owned(),
                refusals: vec![format!("cannot read condition: {e}")],
                ..Converted::default()
            };
        }
    };
    let mut c = Converted {
        macros: parsed.macros,
        ..Converted::default()
    };
    if continues {
        c.macros.retain(|m| m != PLACEHOLDER.trim());
    }
    let mut replacements = Vec::new();
    for k in &parsed.checks {
        let span = k.span.start - shift..k.span.end - shift;
        match rewrite::rewrite(k) {
            Rewrite::Keep => {}
            Rewrite::Replace(text) => {
                // Every multi-clause form carries its own parentheses.
                c.changes.push(format!("{} -> {text}", &cond[span.clone()]));
                replacements.push((span, text));
            }
            Rewrite::Refuse(why) => c.refusals.push(why),
        }
    }
    c.text = splice(cond, &replacements);
    c
}

/// What every macro needs, after its own conversion and through the macros it uses.
#[derive(Debug, Default)]
struct Macros {
    own: HashMap<String, Converted>,
}

/// A macro's or rule's needs, macros included.
#[derive(Debug, Default)]
struct Needs {
    changes: Vec<String>,
    refusals: Vec<String>,
}

impl Macros {
    /// Rewrites a macro item's condition in place and records what it uses.
    fn convert_item(&mut self, item: &mut Value) {
        let Some(map) = item.as_mapping_mut() else {
            return;
        };
        let (Some(name), Some(cond)) = (str_of(map, "macro"), str_of(map, "condition")) else {
            return;
        };
        let change = is_change(map);
        let c = convert_condition(&cond, change);
        map.insert("condition".into(), c.text.clone().into());
        let entry = self.own.entry(name).or_default();
        if !change {
            // A new definition replaces the earlier one, as in Falco.
            *entry = Converted::default();
        }
        entry.changes.extend(c.changes);
        entry.refusals.extend(c.refusals);
        entry.macros.extend(c.macros);
    }

    /// Adds what `c` needs through its macros (each macro once) to `needs`.
    fn collect(&self, c: &Converted, needs: &mut Needs, seen: &mut HashSet<String>, from: &str) {
        needs
            .changes
            .extend(c.changes.iter().map(|x| format!("{from}{x}")));
        needs
            .refusals
            .extend(c.refusals.iter().map(|x| format!("{from}{x}")));
        for m in &c.macros {
            if seen.insert(m.clone())
                && let Some(mc) = self.own.get(m)
            {
                self.collect(mc, needs, seen, &format!("macro {m}: "));
            }
        }
    }
}

/// Converts a rule item in place and says what happened.
fn convert_rule(map: &mut Mapping, changing: bool, macros: &Macros) -> RuleReport {
    let name = str_of(map, "rule").unwrap_or_default();
    let left_out = |why: String| RuleReport {
        name: name.clone(),
        change: changing,
        outcome: Outcome::LeftOut(why),
    };
    match str_of(map, "source").as_deref() {
        None | Some("syscall") => {
            if !changing || map.contains_key("source") {
                map.insert("source".into(), SOURCE.into());
            }
        }
        Some(other) => return left_out(format!("source '{other}' is not the syscall source")),
    }
    let mut needs = Needs::default();
    let mut seen = HashSet::new();
    if let Some(cond) = str_of(map, "condition") {
        let c = convert_condition(&cond, changing);
        macros.collect(&c, &mut needs, &mut seen, "");
        map.insert("condition".into(), c.text.into());
    }
    match exceptions::convert(map, changing) {
        Ok(c) => macros.collect(&c, &mut needs, &mut seen, "exceptions: "),
        Err(why) => needs.refusals.push(why),
    }
    if let Some(why) = needs.refusals.into_iter().next() {
        return left_out(why);
    }
    RuleReport {
        name,
        change: changing,
        outcome: if needs.changes.is_empty() {
            Outcome::Converted
        } else {
            Outcome::Rewritten(needs.changes)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(text: &str) -> Conversion {
        convert(
            &[RulesFile {
                name: "t.yaml",
                text,
            }],
            &Options::default(),
        )
        .unwrap()
    }

    #[test]
    fn rule_gets_the_source_and_rewritten_macros() {
        let c = conv(
            "- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n\
             - macro: interactive\n  condition: (proc.aname=sshd and proc.name != sshd)\n\
             - rule: R\n  desc: d\n  condition: evt.type = execve and interactive\n  \
               output: x %proc.name %container.id\n  priority: WARNING\n",
        );
        let v: Value = serde_yaml_ng::from_str(&c.yaml).unwrap();
        let items = v.as_sequence().unwrap();
        assert_eq!(
            items[0]["required_plugin_versions"][0]["name"].as_str(),
            Some("edera")
        );
        assert_eq!(
            items[0]["required_plugin_versions"]
                .as_sequence()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            items[1]["condition"].as_str(),
            Some("(edera.proc.anames intersects (sshd) and proc.name != sshd)")
        );
        assert_eq!(items[2]["source"].as_str(), Some("edera_zone"));
        assert_eq!(
            items[2]["output"].as_str(),
            Some("x %proc.name %container.id")
        );
        let r = &c.report.files[0].rules[0];
        assert!(
            matches!(&r.outcome, Outcome::Rewritten(ch) if ch[0].starts_with("macro interactive: proc.aname=sshd ->"))
        );
    }

    #[test]
    fn inexpressible_rules_and_their_appends_are_left_out() {
        let c = conv(
            "- rule: R\n  desc: d\n  condition: fd.ip > 1\n  output: o\n  priority: INFO\n\
             - rule: R\n  condition: and proc.name = x\n  append: true\n\
             - rule: K8s\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n  source: k8s_audit\n\
             - rule: S\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
        );
        let v: Value = serde_yaml_ng::from_str(&c.yaml).unwrap();
        let names: Vec<_> = v
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|i| i["rule"].as_str())
            .collect();
        assert_eq!(names, vec!["S"]);
        let outcomes: Vec<_> = c.report.files[0]
            .rules
            .iter()
            .map(|r| (r.name.as_str(), matches!(r.outcome, Outcome::LeftOut(_))))
            .collect();
        assert_eq!(outcomes, vec![("R", true), ("K8s", true), ("S", false)]);
    }

    #[test]
    fn appended_conditions_are_rewritten_as_fragments() {
        let c = conv(
            "- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n\
             - rule: R\n  condition: and not proc.aname in (cron)\n  append: true\n",
        );
        let v: Value = serde_yaml_ng::from_str(&c.yaml).unwrap();
        assert_eq!(
            v[1]["condition"].as_str(),
            Some("and not edera.proc.anames intersects (cron)")
        );
        assert!(v[1].get("source").is_none());
    }
}
