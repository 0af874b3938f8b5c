//! The model of `schema/conversions.toml`: libscap's savefile converter table, one entry per
//! (event, parameter count) key, as the project renders it. Serde reads it; [`super::validate`]
//! checks it against the schema before anything is generated.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversions {
    /// Where the facts come from (upstream repository and revision).
    pub source: String,
    /// The entries, in file order.
    #[serde(default, rename = "conversion")]
    pub entries: Vec<Conversion>,
}

/// One entry: what to do with an event of type `event` that has exactly `nparams` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    /// Event id, e.g. `PPME_SYSCALL_OPEN_X`.
    pub event: String,
    /// Parameter count of the event this entry applies to.
    pub nparams: u8,
    pub action: Action,
    /// The new event id (`change_type` only).
    #[serde(default)]
    pub to: Option<String>,
    /// The parameters pushed (`add_params`, `change_type`).
    #[serde(default)]
    pub params: Option<Vec<Instruction>>,
}

impl Conversion {
    /// `PPME_X/3`: how problems name the entry.
    pub fn key(&self) -> String {
        format!("{}/{}", self.event, self.nparams)
    }

    /// The instructions (none for the actions that take no parameters).
    pub fn instructions(&self) -> &[Instruction] {
        self.params.as_deref().unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Pass,
    Store,
    StoreAndPass,
    AddParams,
    ChangeType,
}

/// One pushed parameter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instruction {
    /// Name of the parameter it fills in the resulting layout.
    pub name: String,
    pub from: ParamOrigin,
    /// Index of the parameter it is taken from (`old`, `enter`).
    #[serde(default)]
    pub param: Option<u8>,
    /// What to push when the value cannot be obtained (`enter`, `callback`).
    #[serde(default)]
    pub fallback: Option<Fallback>,
    /// Name of the Rust function computing the value (`callback`).
    #[serde(default)]
    pub callback: Option<String>,
}

/// Where a converted parameter's value comes from (`from = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamOrigin {
    /// `old`: parameter `param` of the event being converted.
    Old,
    /// `enter`: parameter `param` of the thread's pending enter event (else `fallback`).
    Enter,
    /// `empty`: a zero-length parameter.
    Empty,
    /// `default`: the type's default value.
    Default,
    /// `callback`: computed by the named Rust function (else `fallback`).
    Callback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    Empty,
    Default,
}

/// The callbacks the runtime converter implements (`edera_scap::convert`), by name. The
/// generated table refers to them as `Callback::<CamelName>`.
pub const CALLBACKS: &[&str] = &["container_json"];
