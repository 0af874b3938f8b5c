//! Which checks mean something else on a plugin field, and what to write instead so the
//! condition means what libsinsp makes of it (libsinsp at falcosecurity/libs 48dfd53):
//!
//! - Bare ancestor fields (`proc.aname`, `proc.aexe`, `proc.aexepath`, `proc.acmdline`,
//!   `proc.apid`, `proc.aenv`): libsinsp's `compare_full_a*` tests the operator against each
//!   ancestor from the parent upward (not the process itself) and matches when one does, for
//!   every operator (`!=` too: "some ancestor differs"). With `=`/`==`/`in`/`intersects`/
//!   `exists` that is a list field of all ancestors with `intersects` (list fields accept only
//!   `in`, `intersects` and `exists`); any other operator becomes the disjunction of the
//!   indexed forms `[1]` to `[ANCESTOR_DEPTH]`, so ancestors above that depth are not seen.
//!   `proc.aenv` has no list field and always takes the disjunction. `proc.aargs` is not
//!   rewritten: libsinsp compares its joined value, which the plugin field gives too.
//! - `fd.ip`, `fd.net`, `fd.port`, `fd.proto` (filter-only in libsinsp): `=`, `in` and the
//!   orderings match when either end of a connected socket does; `!=` when both ends differ; a
//!   listening socket has one address and port. The client/server fields give exactly that:
//!   `fd.cip` has no value on a listening socket, where `fd.sip` is the bound address.
//!   `fd.proto` is compared on the ports in libsinsp (same code as `fd.port`), so it becomes
//!   `fd.cport`/`fd.sport`. Other operators throw inside libsinsp and are refused here.
//! - `bcontains`/`bstartswith` on `evt.buffer` (or `evt.rawarg.data`): the right-hand side is
//!   hex; the bytes become the spaced lowercase hex of `edera.evt.buffer_hex` with
//!   `contains`/`startswith`, which can only match whole bytes.

use crate::condition::{Check, Rhs};

/// How many ancestor levels an ancestor disjunction tests.
pub const ANCESTOR_DEPTH: usize = 16;

/// What to do with one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// The plugin field means the same.
    Keep,
    /// Replace the check's span by `text`.
    Replace(String),
    /// No faithful form exists; why.
    Refuse(String),
}

/// The bare ancestor fields libsinsp compares per ancestor, with their list field.
const ANCESTORS: [(&str, Option<&str>); 6] = [
    ("proc.aname", Some("edera.proc.anames")),
    ("proc.aexe", Some("edera.proc.aexes")),
    ("proc.aexepath", Some("edera.proc.aexepaths")),
    ("proc.acmdline", Some("edera.proc.acmdlines")),
    ("proc.apid", Some("edera.proc.apids")),
    ("proc.aenv", None),
];

/// The filter-only fd fields and their client and server forms.
const ENDPOINTS: [(&str, &str, &str); 4] = [
    ("fd.ip", "fd.cip", "fd.sip"),
    ("fd.net", "fd.cnet", "fd.snet"),
    ("fd.port", "fd.cport", "fd.sport"),
    ("fd.proto", "fd.cport", "fd.sport"),
];

const BUFFERS: [&str; 2] = ["evt.buffer", "evt.rawarg.data"];

/// The field the data buffer's bytes are matched on.
pub const BUFFER_HEX_FIELD: &str = "edera.evt.buffer_hex";

/// The list field standing for bare ancestor field `field` with `=` and `in`, if any.
pub(crate) fn ancestor_list(field: &str) -> Option<&'static str> {
    ANCESTORS
        .iter()
        .find(|(f, _)| *f == field)
        .and_then(|(_, l)| *l)
}

/// Whether `field` is one this module may rewrite (so a transformer around it is a problem).
pub(crate) fn is_target(field: &str) -> bool {
    ANCESTORS.iter().any(|(f, _)| *f == field)
        || ENDPOINTS.iter().any(|(f, _, _)| *f == field)
        || BUFFERS.contains(&field)
}

/// The rewrite of one check.
pub fn rewrite(k: &Check) -> Rewrite {
    if k.transformed {
        return if is_target(&k.field) && k.arg.is_none() {
            Rewrite::Refuse(format!(
                "{} inside a transformer has no plugin form",
                k.field
            ))
        } else {
            Rewrite::Keep
        };
    }
    if let Some((field, list)) = ANCESTORS.iter().find(|(f, _)| *f == k.field) {
        return match k.arg {
            Some(_) => Rewrite::Keep,
            None => Rewrite::Replace(ancestors(field, *list, k)),
        };
    }
    if let Some((field, client, server)) = ENDPOINTS.iter().find(|(f, _, _)| *f == k.field) {
        if k.arg.is_some() {
            return Rewrite::Refuse(format!("{field}[N] has no plugin form"));
        }
        return endpoints(field, client, server, k);
    }
    if BUFFERS.contains(&k.field.as_str()) && matches!(k.op.as_str(), "bcontains" | "bstartswith") {
        return buffer(k);
    }
    Rewrite::Keep
}

fn ancestors(field: &str, list: Option<&str>, k: &Check) -> String {
    let rhs = k.rhs.text();
    match (list, k.op.as_str(), &k.rhs) {
        (Some(list), "exists", _) => format!("{list} exists"),
        (Some(list), "=" | "==", Rhs::Value(v)) => format!("{list} intersects ({v})"),
        (Some(list), "in" | "intersects", _) => format!("{list} intersects {rhs}"),
        _ => {
            let tail = if rhs.is_empty() {
                String::new()
            } else {
                format!(" {rhs}")
            };
            let parts: Vec<String> = (1..=ANCESTOR_DEPTH)
                .map(|n| format!("{field}[{n}] {}{tail}", k.op))
                .collect();
            format!("({})", parts.join(" or "))
        }
    }
}

fn endpoints(field: &str, client: &str, server: &str, k: &Check) -> Rewrite {
    let rhs = k.rhs.text();
    let is_port = matches!(field, "fd.port" | "fd.proto");
    match k.op.as_str() {
        "=" | "==" | "in" => Rewrite::Replace(format!(
            "({client} {op} {rhs} or {server} {op} {rhs})",
            op = k.op
        )),
        "<" | "<=" | ">" | ">=" if is_port => Rewrite::Replace(format!(
            "({client} {op} {rhs} or {server} {op} {rhs})",
            op = k.op
        )),
        "!=" => Rewrite::Replace(format!(
            "({server} != {rhs} and ({client} != {rhs} or not {client} exists))"
        )),
        op => Rewrite::Refuse(format!(
            "'{field} {op}' is not supported by libsinsp either (it accepts =, != and in{})",
            if is_port { " and the orderings" } else { "" }
        )),
    }
}

fn buffer(k: &Check) -> Rewrite {
    let Rhs::Value(v) = &k.rhs else {
        return Rewrite::Refuse(format!("'{} {}' needs one hex value", k.field, k.op));
    };
    let hex = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    if hex.is_empty() || hex.len() % 2 != 0 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Rewrite::Refuse(format!(
            "'{} {} {v}': libsinsp takes only a non-empty, even-length hex string",
            k.field, k.op
        ));
    }
    let lower = hex.to_ascii_lowercase();
    let bytes: Vec<&str> = (0..lower.len() / 2)
        .map(|i| &lower[2 * i..2 * i + 2])
        .collect();
    let op = if k.op == "bcontains" {
        "contains"
    } else {
        "startswith"
    };
    Rewrite::Replace(format!("{BUFFER_HEX_FIELD} {op} \"{}\"", bytes.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::parse;

    fn one(cond: &str) -> Rewrite {
        let p = parse(cond).unwrap();
        assert_eq!(p.checks.len(), 1, "{cond}");
        rewrite(&p.checks[0])
    }

    fn replaced(cond: &str) -> String {
        match one(cond) {
            Rewrite::Replace(t) => t,
            other => panic!("{cond}: {other:?}"),
        }
    }

    // Expected forms written from libsinsp's compare_full_aname: any ancestor above the
    // process, any operator.
    #[test]
    fn ancestor_equality_and_membership_become_list_intersections() {
        assert_eq!(
            replaced("proc.aname=sshd"),
            "edera.proc.anames intersects (sshd)"
        );
        assert_eq!(
            replaced("proc.aname in (package_mgmt_binaries, needrestart)"),
            "edera.proc.anames intersects (package_mgmt_binaries, needrestart)"
        );
        assert_eq!(
            replaced("proc.apid == 1"),
            "edera.proc.apids intersects (1)"
        );
        assert_eq!(
            replaced("proc.aexepath in java_paths"),
            "edera.proc.aexepaths intersects java_paths"
        );
        assert_eq!(
            replaced("proc.acmdline exists"),
            "edera.proc.acmdlines exists"
        );
    }

    #[test]
    fn other_ancestor_operators_test_each_level() {
        let t = replaced("proc.aexe endswith java");
        assert!(t.starts_with("(proc.aexe[1] endswith java or proc.aexe[2] endswith java or "));
        assert!(t.ends_with(" or proc.aexe[16] endswith java)"));
        assert_eq!(t.matches(" or ").count(), ANCESTOR_DEPTH - 1);
        // '!=' in libsinsp: some ancestor differs, not "no ancestor is".
        assert!(replaced("proc.aname != sshd").starts_with("(proc.aname[1] != sshd or "));
        // proc.aenv has no list field.
        assert!(
            replaced("proc.aenv contains \"X=1\"")
                .starts_with("(proc.aenv[1] contains \"X=1\" or ")
        );
    }

    #[test]
    fn indexed_ancestors_and_aargs_stay() {
        assert_eq!(one("proc.aname[2] = sshd"), Rewrite::Keep);
        assert_eq!(one("proc.aargs contains x"), Rewrite::Keep);
        assert!(matches!(one("tolower(proc.aname) = x"), Rewrite::Refuse(_)));
    }

    // compare_ip / compare_net / compare_port: '=' and 'in' either end, '!=' both ends, a
    // listening socket its one address (fd.sip, with no fd.cip).
    #[test]
    fn endpoint_fields_cover_both_ends() {
        assert_eq!(
            replaced("fd.ip = \"0.0.0.0\""),
            "(fd.cip = \"0.0.0.0\" or fd.sip = \"0.0.0.0\")"
        );
        assert_eq!(
            replaced("fd.net != \"127.0.0.0/8\""),
            "(fd.snet != \"127.0.0.0/8\" and (fd.cnet != \"127.0.0.0/8\" or not fd.cnet exists))"
        );
        assert_eq!(
            replaced("fd.port in (expected_udp_ports)"),
            "(fd.cport in (expected_udp_ports) or fd.sport in (expected_udp_ports))"
        );
        assert_eq!(
            replaced("fd.proto > 1024"),
            "(fd.cport > 1024 or fd.sport > 1024)"
        );
        assert!(matches!(one("fd.ip > 1"), Rewrite::Refuse(_)));
        assert!(matches!(one("fd.net exists"), Rewrite::Refuse(_)));
    }

    #[test]
    fn byte_operators_become_aligned_hex() {
        assert_eq!(
            replaced("evt.buffer bcontains cafebabe"),
            "edera.evt.buffer_hex contains \"ca fe ba be\""
        );
        assert_eq!(
            replaced("evt.rawarg.data bstartswith \"7F454C46\""),
            "edera.evt.buffer_hex startswith \"7f 45 4c 46\""
        );
        assert!(matches!(
            one("evt.buffer bcontains abc"),
            Rewrite::Refuse(_)
        ));
        assert!(matches!(
            one("evt.buffer bcontains xyzw"),
            Rewrite::Refuse(_)
        ));
        assert_eq!(one("evt.buffer contains abc"), Rewrite::Keep);
    }
}
