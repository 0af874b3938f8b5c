//! The plugin's init config (`plugins[].init_config` in falco.yaml), as JSON.
//!
//! # How the SDK handles config (falco_plugin 0.5.1)
//!
//! `Plugin::ConfigType` is one of `()`, `String` or `falco_plugin::base::Json<T>` (the trait behind
//! it, `ConfigSchema`, is not nameable outside the SDK, so no other type is possible). With
//! `Json<T>`, `T: serde::de::DeserializeOwned + schemars::JsonSchema`: the SDK publishes
//! `schema_for!(T)` through `plugin_get_init_schema` (libsinsp validates the config against it
//! before `init`) and parses the string with `serde_json::from_str::<T>` in `init` and
//! `set_config`, reporting `Failed to parse config: JSON deserialization error: <serde error>`.
//! libsinsp turns an empty config into `{}` when the plugin has a JSON schema; the SDK itself
//! does not (so a test harness calling `init` directly must do the same).
//!
//! serde's own messages for a wrong type (`invalid type: string "x", expected u32 at line 1
//! column 20`) do not say which key is wrong, so [`InitConfig`] deserialises [`Config`] through
//! `serde_path_to_error` and prefixes the key path: `invalid init config: key
//! `limits.max_fds_per_zone`: invalid type: ...`. Unknown keys are rejected
//! (`deny_unknown_fields`, also `additionalProperties: false` in the schema), and values are
//! range-checked here too, so every config error comes out the same way, naming its key.

use crate::ffi::c_safe;
use crate::state::StateLimits;
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::{Deserialize, Deserializer};
use std::path::PathBuf;

/// Default path of the Edera protect daemon's socket.
pub const DEFAULT_SOCKET: &str = "/var/lib/edera/protect/daemon.socket";
/// Default maximum number of events per `next_batch` call.
pub const DEFAULT_BATCH_SIZE: u32 = 512;
/// Upper bound for `batch_size` (the SDK allocates the whole batch in one arena).
pub const MAX_BATCH_SIZE: u32 = 65_536;

/// The `edera` plugin's init config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde", deny_unknown_fields)]
#[schemars(crate = "falco_plugin::schemars")]
pub struct Config {
    /// Event source used when Falco passes no open params: `file:///path/x.scap` replays a
    /// libscap capture file; absent means live Edera zones through the daemon socket.
    #[serde(default)]
    pub source: Option<String>,

    /// Path of the Edera protect daemon's unix socket.
    #[serde(default = "default_socket")]
    pub socket: String,

    /// Maximum number of events returned by one `next_batch` call (1 to 65536).
    #[serde(default = "default_batch_size")]
    #[schemars(range(min = 1, max = 65536))]
    pub batch_size: u32,

    /// Per-zone state limits; beyond them entries are evicted and counted.
    #[serde(default)]
    pub limits: Limits,

    /// Syscalls the zones capture (names, e.g. `execve`), sent to each zone's stream as
    /// `Update{enabled_syscalls}` (ppm_sc codes). Absent: the syscalls Falco's stock rules use
    /// (the zone source's `RULE_SYSCALLS` and the syscalls libsinsp keeps state from); empty:
    /// every syscall.
    #[serde(default)]
    pub enabled_syscalls: Option<Vec<String>>,

    /// Ask the daemon for edera-falco's batched event form (a real Edera daemon ignores the
    /// request and sends one message per event, which works as well).
    #[serde(default = "default_true")]
    pub batches: bool,

    /// How a zone's threads are tied to its workloads (its containers, for `container.*` and
    /// `k8s.*`): `cgroup` (default), the workload whose id is a component of one of the
    /// thread's cgroup paths; `none`, every thread is the zone's own (`container.id = host`).
    #[serde(default)]
    pub workload_match: WorkloadMatch,
}

/// The values of `workload_match`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde", rename_all = "lowercase")]
#[schemars(crate = "falco_plugin::schemars", inline)]
pub enum WorkloadMatch {
    /// By the workload id in the thread's cgroup paths.
    #[default]
    Cgroup,
    /// No thread is in a workload.
    None,
}

/// Per-zone limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde", deny_unknown_fields)]
#[schemars(crate = "falco_plugin::schemars", inline)]
pub struct Limits {
    /// Maximum number of threads tracked per zone (at least 1).
    #[serde(default = "default_max_threads")]
    #[schemars(range(min = 1))]
    pub max_threads_per_zone: u32,

    /// Maximum number of file descriptors tracked per zone, over all its processes (at least 1).
    #[serde(default = "default_max_fds")]
    #[schemars(range(min = 1))]
    pub max_fds_per_zone: u32,
}

fn default_socket() -> String {
    DEFAULT_SOCKET.to_owned()
}

fn default_true() -> bool {
    true
}

fn default_batch_size() -> u32 {
    DEFAULT_BATCH_SIZE
}

/// The state engine's default cap on threads per zone.
fn default_max_threads() -> u32 {
    StateLimits::DEFAULT.max_threads as u32
}

/// The state engine's default cap on fds per zone (all of its processes together).
fn default_max_fds() -> u32 {
    StateLimits::DEFAULT.max_fds as u32
}

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// Replay a libscap capture file (`file:///path/x.scap`).
    File(PathBuf),
    /// Live Edera zones, through the daemon socket from the config.
    Zones,
}

impl InputKind {
    /// Parse a source spec: `file:///absolute/path` or empty (zones). The path is taken
    /// literally (no percent-decoding).
    pub fn parse(spec: &str) -> Result<InputKind, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Ok(InputKind::Zones);
        }
        match spec.strip_prefix("file://") {
            Some(path) if path.starts_with('/') => Ok(InputKind::File(PathBuf::from(path))),
            Some(_) => Err(format!(
                "`{}` is not a file URL with an absolute path (file:///path/to/capture.scap)",
                c_safe(spec)
            )),
            None => Err(format!(
                "unsupported source `{}`: expected `file:///path/to/capture.scap`, or nothing for \
                 Edera zones",
                c_safe(spec)
            )),
        }
    }
}

impl Limits {
    /// The state engine's limits for these settings (other caps keep their defaults).
    pub fn state_limits(&self) -> StateLimits {
        StateLimits {
            max_threads: self.max_threads_per_zone as usize,
            max_fds: self.max_fds_per_zone as usize,
            ..StateLimits::DEFAULT
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_threads_per_zone: default_max_threads(),
            max_fds_per_zone: default_max_fds(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            source: None,
            socket: default_socket(),
            batch_size: DEFAULT_BATCH_SIZE,
            limits: Limits::default(),
            enabled_syscalls: None,
            batches: true,
            workload_match: WorkloadMatch::Cgroup,
        }
    }
}

/// A config error: the key path it concerns (`.` for the whole object) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `limits.max_fds_per_zone`; `.` for the top-level object.
    pub key: String,
    /// What is wrong, e.g. `must be between 1 and 65536, got 0`.
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key == "." {
            write!(f, "invalid init config: {}", c_safe(self.problem.as_str()))
        } else {
            write!(
                f,
                "invalid init config: key `{}`: {}",
                c_safe(self.key.as_str()),
                c_safe(self.problem.as_str())
            )
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Check values serde cannot check (ranges, formats).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, problem: String| ConfigError {
            key: key.to_owned(),
            problem,
        };
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(bad(
                "batch_size",
                format!(
                    "must be between 1 and {MAX_BATCH_SIZE}, got {}",
                    self.batch_size
                ),
            ));
        }
        if self.socket.is_empty() {
            return Err(bad("socket", "must be a non-empty path".to_owned()));
        }
        if self.limits.max_threads_per_zone == 0 {
            return Err(bad(
                "limits.max_threads_per_zone",
                "must be at least 1, got 0".to_owned(),
            ));
        }
        if self.limits.max_fds_per_zone == 0 {
            return Err(bad(
                "limits.max_fds_per_zone",
                "must be at least 1, got 0".to_owned(),
            ));
        }
        if let Some(source) = &self.source {
            InputKind::parse(source).map_err(|problem| bad("source", problem))?;
        }
        for (i, name) in self.enabled_syscalls.iter().flatten().enumerate() {
            if edera_scap::tables::syscalls::ppm_sc_of(name).is_none() {
                return Err(bad(
                    &format!("enabled_syscalls[{i}]"),
                    format!("`{}` is not a syscall name", c_safe(name.as_str())),
                ));
            }
        }
        Ok(())
    }
}

/// The type given to the SDK (`ConfigType = Json<InitConfig>`): a [`Config`] whose
/// deserialisation names the offending key in every error and validates the values.
/// Its JSON schema is exactly [`Config`]'s, at the top level (no `$ref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitConfig(pub Config);

impl JsonSchema for InitConfig {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Config::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        Config::schema_id()
    }

    fn json_schema(
        generator: &mut falco_plugin::schemars::SchemaGenerator,
    ) -> falco_plugin::schemars::Schema {
        Config::json_schema(generator)
    }
}

impl<'de> Deserialize<'de> for InitConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use falco_plugin::serde::de::Error as _;
        let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let error = ConfigError {
                key: err.path().to_string(),
                problem: err.inner().to_string(),
            };
            D::Error::custom(error)
        })?;
        config.validate().map_err(D::Error::custom)?;
        Ok(InitConfig(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        serde_json::from_str::<InitConfig>(text)
            .map(|c| c.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn schema_is_flat_and_closed() {
        let schema = falco_plugin::schemars::schema_for!(InitConfig);
        let schema = serde_json::to_value(&schema).unwrap();
        assert_eq!(schema["additionalProperties"], false, "{schema}");
        assert_eq!(schema["properties"]["batch_size"]["minimum"], 1, "{schema}");
        assert_eq!(
            schema["properties"]["limits"]["additionalProperties"], false,
            "{schema}"
        );
        assert!(schema.get("$ref").is_none(), "{schema}");
    }

    #[test]
    fn defaults() {
        assert_eq!(parse("{}").unwrap(), Config::default());
    }

    #[test]
    fn full() {
        let c = parse(
            r#"{"source": "file:///tmp/x.scap", "socket": "/s", "batch_size": 10,
                "limits": {"max_threads_per_zone": 5, "max_fds_per_zone": 6},
                "workload_match": "none"}"#,
        )
        .unwrap();
        assert_eq!(c.workload_match, WorkloadMatch::None);
        assert_eq!(c.source.as_deref(), Some("file:///tmp/x.scap"));
        assert_eq!(c.batch_size, 10);
        assert_eq!(c.limits.max_fds_per_zone, 6);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse(r#"{"bogus": 1}"#).unwrap_err();
        assert!(e.contains("key `bogus`: unknown field `bogus`"), "{e}");
        let e = parse(r#"{"limits": {"max_procs": 1}}"#).unwrap_err();
        assert!(e.contains("key `limits.max_procs`: unknown field"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = parse(r#"{"batch_size": "many"}"#).unwrap_err();
        assert!(e.contains("key `batch_size`"), "{e}");
        let e = parse(r#"{"limits": {"max_fds_per_zone": -1}}"#).unwrap_err();
        assert!(e.contains("key `limits.max_fds_per_zone`"), "{e}");
    }

    #[test]
    fn workload_match_is_cgroup_or_none() {
        assert_eq!(parse("{}").unwrap().workload_match, WorkloadMatch::Cgroup);
        let c = parse(r#"{"workload_match": "cgroup"}"#).unwrap();
        assert_eq!(c.workload_match, WorkloadMatch::Cgroup);
        let e = parse(r#"{"workload_match": "pid"}"#).unwrap_err();
        assert!(
            e.contains("key `workload_match`: unknown variant `pid`"),
            "{e}"
        );
    }

    #[test]
    fn range_is_checked() {
        let e = parse(r#"{"batch_size": 0}"#).unwrap_err();
        assert!(
            e.contains("key `batch_size`: must be between 1 and 65536"),
            "{e}"
        );
        let e = parse(r#"{"source": "http://x"}"#).unwrap_err();
        assert!(e.contains("key `source`"), "{e}");
    }

    #[test]
    fn nul_never_reaches_the_message() {
        let e = parse(r#"{"bo\u0000gus": 1}"#).unwrap_err();
        assert!(!e.contains('\0'), "{e:?}");
    }
}
