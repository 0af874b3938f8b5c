//! Plain-text listings of the schema and the field set: what `codegen list` prints and what the
//! insta snapshots under `snapshots/` hold, so a schema, overlay or catalog change shows up as a
//! diff.

use std::fmt::Write;

use crate::catalog::{ArgForm, FieldFlag, FieldType};
use crate::fieldset::SetField;
use crate::model::{Direction, Schema};

pub fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "string",
        FieldType::U64 => "u64",
        FieldType::Bool => "bool",
        FieldType::Reltime => "reltime",
        FieldType::Abstime => "abstime",
        FieldType::Ipaddr => "ipaddr",
        FieldType::Ipnet => "ipnet",
    }
}

/// `none`, `index`, `key`, `both`, with `!` when the argument is required.
pub fn arg_text(arg: ArgForm, required: bool) -> String {
    let a = match arg {
        ArgForm::None => "none",
        ArgForm::Index => "index",
        ArgForm::Key => "key",
        ArgForm::Both => "both",
    };
    if required {
        format!("{a}!")
    } else {
        a.to_string()
    }
}

fn flag_text(f: FieldFlag) -> &'static str {
    match f {
        FieldFlag::Hidden => "hidden",
        FieldFlag::Info => "info",
        FieldFlag::AddOutput => "add_output",
        FieldFlag::Deprecated => "deprecated",
    }
}

/// One line per event: code, id, name, direction, parameter names and types.
pub fn events(schema: &Schema) -> String {
    let mut s = String::new();
    for e in &schema.events {
        let dir = match e.direction {
            Direction::Enter => "E",
            Direction::Exit => "X",
        };
        let params: Vec<String> = e
            .params
            .iter()
            .map(|p| {
                format!(
                    "{}:{}",
                    p.name,
                    p.ptype.trim_start_matches("PT_").to_ascii_lowercase()
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "{:>3} {} {} {} ({})",
            e.code,
            dir,
            e.id,
            e.name,
            params.join(" ")
        );
    }
    s
}

/// One line per field: name, type, argument form, list marker and flags.
pub fn fields(set: &[SetField]) -> String {
    let mut s = String::new();
    for f in set {
        let f = &f.field;
        let mut extra: Vec<&str> = f.flags.iter().map(|x| flag_text(*x)).collect();
        if f.list {
            extra.insert(0, "list");
        }
        let _ = writeln!(
            s,
            "{} {} {}{}",
            f.name,
            type_name(f.ftype),
            arg_text(f.arg, f.arg_required),
            if extra.is_empty() {
                String::new()
            } else {
                format!(" [{}]", extra.join(","))
            }
        );
    }
    s
}

/// `falco --list`-like output: each field with type, argument and description.
pub fn fields_long(set: &[SetField]) -> String {
    let mut s = String::new();
    for f in set {
        let f = &f.field;
        let arg = match f.arg {
            ArgForm::None => String::new(),
            _ => format!(" [arg: {}]", arg_text(f.arg, f.arg_required)),
        };
        let list = if f.list { " (list)" } else { "" };
        let _ = writeln!(s, "{:<32} {}{}{}", f.name, type_name(f.ftype), list, arg);
        let _ = writeln!(s, "{:<32} {}", "", f.desc);
    }
    s
}

/// One line per event of the libsinsp overlay: behaviour, code, id and `evt.type`, in code
/// order within each behaviour.
pub fn libsinsp(schema: &Schema, overlay: &crate::libsinsp::Libsinsp) -> String {
    let mut s = String::new();
    for (section, _, b) in overlay.behaviours() {
        let mut events: Vec<_> = b
            .events
            .iter()
            .filter_map(|e| schema.events.iter().find(|ev| ev.id == e.id))
            .collect();
        events.sort_by_key(|e| e.code);
        for e in events {
            let _ = writeln!(s, "{section:<15} {:>3} {} {}", e.code, e.id, e.name);
        }
    }
    s
}
