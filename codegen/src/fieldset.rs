//! The complete field set the plugin declares: the catalog's fields plus one literal
//! `evt.arg.NAME` and `evt.rawarg.NAME` field for every distinct parameter name of the event
//! table (plugin fields only take bracket arguments, so `evt.arg.fd` must be its own field).

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{ArgForm, Catalog, Compute, Field, FieldType};
use crate::model::Schema;

/// Where a field of the set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A catalog entry (file name under `schema/fields/`).
    Catalog(String),
    /// Generated from the event table.
    EventTable,
}

/// One field of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetField {
    pub field: Field,
    pub origin: Origin,
}

/// How `evt.rawarg.NAME` is typed: numbers when every parameter of that name is an integer of
/// a kind libsinsp compares numerically, else the rendered string.
pub fn rawarg_type<'a>(ptypes: impl IntoIterator<Item = &'a str>) -> FieldType {
    let all_unsigned = ptypes.into_iter().all(|t| {
        matches!(
            t,
            "PT_UINT8"
                | "PT_UINT16"
                | "PT_UINT32"
                | "PT_UINT64"
                | "PT_FLAGS8"
                | "PT_FLAGS16"
                | "PT_FLAGS32"
                | "PT_ENUMFLAGS8"
                | "PT_ENUMFLAGS16"
                | "PT_ENUMFLAGS32"
                | "PT_MODE"
                | "PT_UID"
                | "PT_GID"
                | "PT_SYSCALLID"
                | "PT_PORT"
                | "PT_SIGTYPE"
                | "PT_L4PROTO"
                | "PT_SOCKFAMILY"
                | "PT_BOOL"
                | "PT_SIGSET"
        )
    });
    if all_unsigned {
        FieldType::U64
    } else {
        FieldType::String
    }
}

/// Distinct parameter names with every type they have across events, sorted by name.
pub fn param_types(schema: &Schema) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut m: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &schema.events {
        for p in &e.params {
            m.entry(p.name.as_str())
                .or_default()
                .insert(p.ptype.as_str());
        }
    }
    m
}

fn literal(name: String, ftype: FieldType, desc: String, compute: Compute) -> SetField {
    SetField {
        field: Field {
            name,
            ftype,
            arg: ArgForm::None,
            arg_required: false,
            list: false,
            flags: vec![],
            display: String::new(),
            desc,
            upstream: None,
            compute: Some(compute),
            unsupported: None,
        },
        origin: Origin::EventTable,
    }
}

/// The generated `evt.arg.NAME` / `evt.rawarg.NAME` fields, sorted by name.
pub fn arg_fields(schema: &Schema) -> Vec<SetField> {
    let mut out = Vec::new();
    for (name, types) in param_types(schema) {
        let types_txt = types.iter().copied().collect::<Vec<_>>().join(", ");
        out.push(literal(
            format!("evt.arg.{name}"),
            FieldType::String,
            format!("Parameter '{name}' of the event, rendered as in evt.args ({types_txt})."),
            Compute::Param(name.to_string()),
        ));
        out.push(literal(
            format!("evt.rawarg.{name}"),
            rawarg_type(types.iter().copied()),
            format!("Parameter '{name}' of the event, unformatted ({types_txt})."),
            Compute::RawParam(name.to_string()),
        ));
    }
    out.sort_by(|a, b| a.field.name.cmp(&b.field.name));
    out
}

/// The full set: catalog fields (served ones only, catalog order) followed by the generated
/// argument fields. Unsupported catalog entries are not declared to Falco.
pub fn build(schema: &Schema, catalog: &Catalog) -> Vec<SetField> {
    let mut out: Vec<SetField> = catalog
        .files
        .iter()
        .flat_map(|f| {
            f.fields
                .iter()
                .filter(|x| x.unsupported.is_none())
                .map(move |x| SetField {
                    field: x.clone(),
                    origin: Origin::Catalog(f.class.clone()),
                })
        })
        .collect();
    out.extend(arg_fields(schema));
    out
}
