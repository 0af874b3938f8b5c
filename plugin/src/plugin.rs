//! The plugin type and its base capability (identity, init, config, metrics).

use crate::config::{Config, InitConfig};
use crate::ffi::{c_safe, contain, guarded};
use crate::fields::ctx::DecodedEvent;
use crate::metrics::Metrics;
use crate::zones::ZoneRegistry;
use falco_plugin::anyhow::{self, anyhow};
use falco_plugin::base::{Json, Metric, Plugin};
use falco_plugin::tables::TablesInput;
use std::cell::RefCell;
use std::ffi::CStr;

/// `CARGO_PKG_VERSION` as a C string, checked at compile time.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("package version contains a NUL byte"),
    };

/// The `edera` plugin: one per `init`, shared by source, parse and extract.
pub struct EderaPlugin {
    pub(crate) config: Config,
    pub(crate) zones: ZoneRegistry,
    pub(crate) metrics: Metrics,
    /// The last parsed event (see `parse.rs`).
    pub(crate) current: crate::parse_capability::Current,
    /// The event extraction decoded last (see `fields/ctx.rs`).
    pub(crate) decoded: RefCell<DecodedEvent>,
}

impl Plugin for EderaPlugin {
    const NAME: &'static CStr = c"edera";
    const PLUGIN_VERSION: &'static CStr = VERSION;
    const DESCRIPTION: &'static CStr = c"Syscall events from Edera zones (or replayed libscap \
captures) as the edera_zone source, with per-zone process and fd state and Falco's syscall fields";
    const CONTACT: &'static CStr = c"edera-falco maintainers (see the project README)";
    type ConfigType = Json<InitConfig>;

    fn new(
        _input: Option<&TablesInput>,
        Json(InitConfig(config)): Json<InitConfig>,
    ) -> anyhow::Result<Self> {
        // The SDK logs a trace line for every timeout (every idle `next_batch`): keep the
        // plugin's log at info and above, as Falco's default log level shows.
        log::set_max_level(log::LevelFilter::Info);
        // The SDK panics if an init error message contains a NUL byte: keep ours NUL-free.
        guarded("init", || {
            Ok(EderaPlugin {
                config,
                zones: ZoneRegistry::default(),
                metrics: Metrics::default(),
                current: crate::parse_capability::Current::default(),
                decoded: RefCell::default(),
            })
        })
        .map_err(|e| anyhow!(c_safe(format!("{e:#}"))))
    }

    fn set_config(&mut self, Json(InitConfig(config)): Json<InitConfig>) -> anyhow::Result<()> {
        // Takes effect at the next `open`.
        guarded("set_config", || {
            self.config = config;
            Ok(())
        })
    }

    fn get_metrics(&mut self) -> impl IntoIterator<Item = Metric> {
        contain(
            "get_metrics",
            || self.metrics.snapshot(&self.zones),
            Vec::new,
        )
    }
}
