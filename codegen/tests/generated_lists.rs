//! Snapshots of what the generator derives from the checked-in schema: the event list and the
//! `evt.arg.*` / `evt.rawarg.*` literal fields. They change only when `schema/` changes, and their
//! diff is reviewed like code.

use std::path::Path;

use codegen::fieldset::arg_fields;
use codegen::listing;
use codegen::schema_io::load_schema;

fn schema() -> codegen::model::Schema {
    load_schema(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema"))
        .expect("checked-in schema loads")
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn event_list() {
    let s = schema();
    let text = listing::events(&s);
    assert_eq!(text.lines().count(), s.events.len());
    snap!("events", text);
}

#[test]
fn arg_field_list() {
    let s = schema();
    let set = arg_fields(&s);
    // Two literals per distinct parameter name.
    let names: std::collections::BTreeSet<_> = s
        .events
        .iter()
        .flat_map(|e| e.params.iter().map(|p| p.name.as_str()))
        .collect();
    assert_eq!(set.len(), 2 * names.len());
    assert!(set.iter().any(|f| f.field.name == "evt.arg.fd"));
    assert!(set.iter().any(|f| f.field.name == "evt.rawarg.res"));
    snap!("arg_fields", listing::fields(&set));
}

#[test]
fn tables_generate_and_are_deterministic() {
    let s = schema();
    let a = codegen::emit::generate_tables(&s).unwrap();
    let b = codegen::emit::generate_tables(&s).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("pub enum EventCode"));
}

#[test]
fn a_broken_schema_is_refused_with_file_and_entry() {
    let mut s = schema();
    let open_x = s
        .events
        .iter_mut()
        .find(|e| e.id == "PPME_SYSCALL_OPEN_X")
        .unwrap();
    open_x.params[2].flags = Some("no_such_table".into());
    open_x.params[0].ptype = "PT_NOPE".into();
    let err = codegen::emit::generate_tables(&s).unwrap_err().to_string();
    assert!(err.contains("schema/events.toml: event 3 (PPME_SYSCALL_OPEN_X) param 2 'flags': unknown flags table no_such_table"), "{err}");
    assert!(err.contains("param 0 'fd': unknown type PT_NOPE"), "{err}");
}

#[test]
fn full_field_list() {
    let s = schema();
    let catalog = codegen::catalog::load_catalog(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/fields"),
    )
    .expect("checked-in catalog loads");
    let set = codegen::fieldset::build(&s, &catalog);
    let served = catalog.fields().filter(|f| f.unsupported.is_none()).count();
    assert_eq!(set.len(), served + arg_fields(&s).len());
    let mut names: Vec<_> = set.iter().map(|f| f.field.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), set.len(), "field names are unique");
    snap!("fields", listing::fields(&set));
    // The field table generates for the full set.
    let code = codegen::emit::generate_fields(&s, &catalog, "crate::EderaPlugin").unwrap();
    assert!(code.contains(&format!("pub const FIELD_COUNT: usize = {};", set.len())));
}

#[test]
fn capture_plan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let plan = codegen::capture::load_plan(&root.join(codegen::capture::CAPTURE_FILE)).unwrap();
    let [rust, c] = codegen::emit::generate_capture(&schema(), &plan).unwrap();
    snap!("capture_plan", rust);
    snap!("capture_plan_h", c);
}
