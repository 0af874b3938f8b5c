//! Rule exceptions on fields that are rewritten. Falco compiles each exception into
//! `(condition) and not (...)` (`rule_loader_compiler.cpp`, `build_rule_exception_infos`): one
//! `field comp value` test per field, and-ed per value tuple, or-ed over tuples. An exception
//! whose rewritten fields are bare ancestor fields compared with `=`/`in`/`intersects` keeps
//! being an exception, on the list field with `intersects` (so later appends of values still
//! work); any other exception on a rewritten field is compiled the way Falco does and its
//! rewritten clause is added to the condition instead.

use serde_yaml_ng::{Mapping, Value};

use crate::rewrite::{ancestor_list, is_target};
use crate::{Converted, convert_condition};

/// A scalar as Falco reads it (strings, numbers, booleans).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Falco's `quote_item`: quote a value with a blank unless it is quoted already.
fn quote(v: &str) -> String {
    if v.contains(' ') && !v.starts_with('"') && !v.starts_with('\'') {
        format!("\"{v}\"")
    } else {
        v.to_owned()
    }
}

fn is_list_op(op: &str) -> bool {
    matches!(op, "in" | "intersects" | "pmatch") || op.contains(' ')
}

fn list_text(items: &[Value]) -> String {
    let vals: Vec<String> = items.iter().filter_map(scalar).map(|v| quote(&v)).collect();
    format!("({})", vals.join(", "))
}

/// The condition text Falco builds for one exception, or `None` when it adds nothing.
fn clause(fields: &[String], comps: &[String], values: &[Value], single: bool) -> Option<String> {
    if single {
        let vals: Vec<String> = values
            .iter()
            .filter_map(scalar)
            .map(|v| quote(&v))
            .collect();
        return (!vals.is_empty())
            .then(|| format!("({} {} ({}))", fields[0], comps[0], vals.join(", ")));
    }
    let tuples: Vec<String> = values
        .iter()
        .filter_map(Value::as_sequence)
        .map(|tuple| {
            let tests: Vec<String> = fields
                .iter()
                .zip(comps)
                .zip(tuple)
                .map(|((f, c), v)| {
                    let v = match v {
                        Value::Sequence(items) => list_text(items),
                        v => {
                            let s = scalar(v).unwrap_or_default();
                            if is_list_op(c) && !s.starts_with('(') {
                                format!("({s})")
                            } else if is_list_op(c) {
                                s
                            } else {
                                quote(&s)
                            }
                        }
                    };
                    format!("{f} {c} {v}")
                })
                .collect();
            format!("({})", tests.join(" and "))
        })
        .collect();
    (!tuples.is_empty()).then(|| format!("({})", tuples.join(" or ")))
}

/// Rewrites the exceptions of a rule item in place; `Err` when one cannot be expressed.
pub(crate) fn convert(map: &mut Mapping, changing: bool) -> Result<Converted, String> {
    let mut out = Converted::default();
    let Some(Value::Sequence(exs)) = map.get_mut("exceptions") else {
        return Ok(out);
    };
    let mut clauses = Vec::new();
    for ex in exs.iter_mut() {
        let Some(m) = ex.as_mapping_mut() else {
            continue;
        };
        let ex_name = m.get("name").and_then(scalar).unwrap_or_default();
        let (single, fields): (bool, Vec<String>) = match m.get("fields") {
            Some(Value::Sequence(f)) => (false, f.iter().filter_map(scalar).collect()),
            Some(v) => (true, scalar(v).into_iter().collect()),
            None => continue,
        };
        if !fields.iter().any(|f| is_target(f)) {
            continue;
        }
        let comps: Vec<String> = match m.get("comps") {
            Some(Value::Sequence(c)) => c.iter().filter_map(scalar).collect(),
            Some(v) => scalar(v).into_iter().collect(),
            None if single => vec!["in".to_owned()],
            None => vec!["=".to_owned(); fields.len()],
        };
        if comps.len() != fields.len() {
            return Err(format!(
                "exception {ex_name}: fields and comps differ in length"
            ));
        }
        let renamed: Option<Vec<(String, String)>> = fields
            .iter()
            .zip(&comps)
            .map(|(f, c)| match ancestor_list(f) {
                Some(list) if matches!(c.as_str(), "=" | "==" | "in" | "intersects") => {
                    Some((list.to_owned(), "intersects".to_owned()))
                }
                _ if is_target(f) => None,
                _ => Some((f.clone(), c.clone())),
            })
            .collect();
        if let Some(renamed) = renamed {
            let (f, c): (Vec<String>, Vec<String>) = renamed.into_iter().unzip();
            out.changes.push(format!(
                "exception {ex_name}: fields {fields:?} comps {comps:?} -> fields {f:?} comps {c:?}"
            ));
            let seq = |v: Vec<String>| Value::Sequence(v.into_iter().map(Value::from).collect());
            if single {
                m.insert("fields".into(), f[0].clone().into());
                m.insert("comps".into(), c[0].clone().into());
            } else {
                m.insert("fields".into(), seq(f));
                m.insert("comps".into(), seq(c));
            }
            continue;
        }
        if changing {
            return Err(format!(
                "exception {ex_name} on {fields:?} has no plugin form as an exception, and an appended item cannot move it into the condition"
            ));
        }
        let values = match m.get("values") {
            Some(Value::Sequence(v)) => v.clone(),
            _ => Vec::new(),
        };
        let Some(text) = clause(&fields, &comps, &values, single) else {
            continue;
        };
        let c = convert_condition(&text, false);
        if let Some(why) = c.refusals.into_iter().next() {
            return Err(format!("exception {ex_name}: {why}"));
        }
        out.changes.push(format!(
            "exception {ex_name}: moved into the condition as 'and not {}'",
            c.text
        ));
        clauses.push((ex_name, c.text));
    }
    if clauses.is_empty() {
        return Ok(out);
    }
    exs.retain(|ex| {
        let name = ex.get("name").and_then(scalar).unwrap_or_default();
        !clauses.iter().any(|(n, _)| *n == name)
    });
    let mut cond = map
        .get("condition")
        .and_then(scalar)
        .map(|c| format!("({c})"))
        .unwrap_or_default();
    for (_, text) in clauses {
        cond.push_str(&format!(" and not {text}"));
    }
    map.insert("condition".into(), cond.into());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(yaml: &str) -> Mapping {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    // Falco's build_rule_exception_infos gives '(c) and not ((f1 = v1 and f2 = v2))' per tuple;
    // fd.ip '=' either end (compare_ip) and the listening-socket form of '!='.
    #[test]
    fn endpoint_exception_moves_into_the_condition() {
        let mut m = rule(
            "rule: R\ncondition: evt.type = connect\nexceptions:\n  - name: local\n    fields: [proc.name, fd.ip]\n    values: [[curl, 127.0.0.1]]\n",
        );
        let c = convert(&mut m, false).unwrap();
        assert_eq!(
            m["condition"].as_str(),
            Some(
                "(evt.type = connect) and not ((proc.name = curl and (fd.cip = 127.0.0.1 or fd.sip = 127.0.0.1)))"
            )
        );
        assert!(m["exceptions"].as_sequence().unwrap().is_empty());
        assert_eq!(c.changes.len(), 1);
    }

    #[test]
    fn ancestor_exception_stays_an_exception_on_the_list_field() {
        let mut m = rule(
            "rule: R\ncondition: c\nexceptions:\n  - name: pm\n    fields: proc.aname\n    values: [apt, dpkg]\n  - name: two\n    fields: [proc.name, proc.aname]\n    comps: [=, =]\n    values: [[a, b]]\n",
        );
        convert(&mut m, false).unwrap();
        assert_eq!(m["condition"].as_str(), Some("c"));
        let ex = &m["exceptions"];
        assert_eq!(ex[0]["fields"].as_str(), Some("edera.proc.anames"));
        assert_eq!(ex[0]["comps"].as_str(), Some("intersects"));
        assert_eq!(ex[1]["fields"][1].as_str(), Some("edera.proc.anames"));
        assert_eq!(ex[1]["comps"][0].as_str(), Some("="));
        assert_eq!(ex[1]["comps"][1].as_str(), Some("intersects"));
    }

    #[test]
    fn append_items_cannot_move_exceptions() {
        let mut m = rule(
            "rule: R\nappend: true\nexceptions:\n  - name: x\n    fields: [fd.port]\n    values: [[80]]\n",
        );
        assert!(convert(&mut m, true).is_err());
    }
}
