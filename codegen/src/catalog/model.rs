//! The field catalog model: `schema/fields/<class>.toml`, one file per field class.

use serde::{Deserialize, Serialize};

/// One catalog file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassFile {
    /// Class name: `evt`, `syscall`, `proc`, `thread`, `fd`, `fs.path`, `user`, `group`,
    /// `fdlist` or `edera`.
    pub class: String,
    /// A sentence on what the class is about (printed by `codegen list fields`).
    pub desc: String,
    #[serde(rename = "field", default)]
    pub fields: Vec<Field>,
}

/// The value type a plugin field can have (the plugin API's field types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    U64,
    Bool,
    Reltime,
    Abstime,
    Ipaddr,
    Ipnet,
}

/// The argument a field takes, in brackets: `proc.aname[2]`, `proc.env[HOME]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgForm {
    None,
    Index,
    Key,
    /// libsinsp accepts an index or a key; the plugin SDK takes one kind per field, so the
    /// generator declares such fields with a key argument and the implementation parses a
    /// number out of it when it is one.
    Both,
}

/// Extra properties of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFlag {
    /// Not shown by `falco --list` (libsinsp EPF_TABLE_ONLY and the like).
    Hidden,
    /// Informational only (libsinsp EPF_INFO).
    Info,
    /// Suggested for outputs (EPF_FORMAT_SUGGESTED).
    AddOutput,
    /// Deprecated upstream (EPF_DEPRECATED); still served.
    Deprecated,
}

/// How a field's value is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Compute {
    /// A Rust function of the plugin, by path relative to the plugin's `fields` module,
    /// e.g. `proc::exe`. Signature: `fn(&mut FieldCtx, Arg) -> FieldResult<T>`.
    Fn(String),
    /// The event parameter with this name, rendered like libsinsp renders it (`evt.arg.NAME`).
    Param(String),
    /// The event parameter with this name, raw (`evt.rawarg.NAME`).
    RawParam(String),
    /// A column of the event's thread (`thread.tid` = `tid`).
    Thread(String),
    /// A column of the thread's process (main thread) entry.
    Process(String),
    /// A column of the event's file descriptor entry.
    Fd(String),
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Full field name, e.g. `proc.aname`.
    pub name: String,
    #[serde(rename = "type")]
    pub ftype: FieldType,
    #[serde(default = "default_arg")]
    pub arg: ArgForm,
    /// The argument must be given (libsinsp EPF_ARG_REQUIRED).
    #[serde(default)]
    pub arg_required: bool,
    /// The field returns a list of values.
    #[serde(default)]
    pub list: bool,
    #[serde(default)]
    pub flags: Vec<FieldFlag>,
    /// Display name (short title), for `codegen list`.
    #[serde(default)]
    pub display: String,
    /// What the field means, in this project's words.
    pub desc: String,
    /// How libsinsp types the field when it differs from `type` (e.g. `PT_INT64` rendered as
    /// a decimal string), with the reason, so the choice is documented where it is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// How the value is computed; absent only for unsupported fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<Compute>,
    /// Present when the plugin does not serve this field: the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
}

fn default_arg() -> ArgForm {
    ArgForm::None
}

/// The whole catalog: every class file, sorted by file name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    pub files: Vec<ClassFile>,
}

impl Catalog {
    /// Every field of every class, in file order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.files.iter().flat_map(|f| f.fields.iter())
    }
}
