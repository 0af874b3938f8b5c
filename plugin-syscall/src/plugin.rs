//! The plugin type: identity and config (the `edera` plugin's init config), the source (the
//! `edera` plugin's inputs, every event namespaced before it reaches libsinsp; a refused event
//! is counted as malformed and dropped; a marker before the first event after each zone
//! snapshot, [`crate::marker`]), the parse capability (on a marker, the zone's snapshot into
//! libsinsp's thread table, see [`crate::seed`]), and the zone and workload fields.

use crate::marker::{self, Marker};
use crate::namespace::{self, namespace};
use crate::seed::{self, ThreadsTable};
use edera_falco_plugin::config::{Config, InitConfig, WorkloadMatch};
use edera_falco_plugin::ffi::{c_safe, contain, guarded};
use edera_falco_plugin::fields::container::image;
use edera_falco_plugin::fields::value::borrowed_text;
use edera_falco_plugin::metrics::Metrics;
use edera_falco_plugin::source::{Carry, EventSink, Input};
use edera_falco_plugin::workloads::Workload;
use edera_falco_plugin::zones::{Zone, ZoneRegistry, ZoneSlot};
use falco_plugin::anyhow::{self, anyhow};
use falco_plugin::base::{Json, Metric, Plugin};
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{EventInput, ExtractFieldInfo, ExtractPlugin, ExtractRequest, field};
use falco_plugin::parse::{ParseInput, ParsePlugin};
use falco_plugin::source::{EventBatch, ProgressInfo, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::TablesInput;
use std::ffi::{CStr, CString};

/// `CARGO_PKG_VERSION` as a C string, checked at compile time.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("package version contains a NUL byte"),
    };

/// The `edera_syscall` plugin.
pub struct SyscallPlugin {
    config: Config,
    zones: ZoneRegistry,
    metrics: Metrics,
    /// libsinsp's thread table (`None`: not offered, nothing is seeded).
    threads: Option<ThreadsTable>,
}

impl Plugin for SyscallPlugin {
    const NAME: &'static CStr = c"edera_syscall";
    const PLUGIN_VERSION: &'static CStr = VERSION;
    const DESCRIPTION: &'static CStr = c"Syscall events from Edera zones (or replayed libscap \
captures) as Falco's syscall source, thread ids namespaced per zone, with the edera.zone and \
edera.workload fields";
    const CONTACT: &'static CStr = c"edera-falco maintainers (see the project README)";
    type ConfigType = Json<InitConfig>;

    fn new(
        input: Option<&TablesInput>,
        Json(InitConfig(config)): Json<InitConfig>,
    ) -> anyhow::Result<Self> {
        // As the `edera` plugin: the SDK logs a trace line for every idle `next_batch`.
        log::set_max_level(log::LevelFilter::Info);
        let threads = match input.map(|i| i.get_table(c"threads")) {
            Some(Ok(table)) => Some(table),
            Some(Err(e)) => {
                log::warn!("libsinsp's threads table: {e:#}; zone snapshots are not seeded");
                None
            }
            None => None,
        };
        Ok(SyscallPlugin {
            config,
            zones: ZoneRegistry::default(),
            metrics: Metrics::default(),
            threads,
        })
    }

    fn set_config(&mut self, Json(InitConfig(config)): Json<InitConfig>) -> anyhow::Result<()> {
        // Takes effect at the next `open`.
        self.config = config;
        Ok(())
    }

    fn get_metrics(&mut self) -> impl IntoIterator<Item = Metric> {
        contain(
            "get_metrics",
            || self.metrics.snapshot(&self.zones),
            Vec::new,
        )
    }
}

/// An open input.
pub struct SyscallInstance {
    input: Input,
    /// The marker being written (reused).
    scratch: Vec<u8>,
    /// By zone number: whether a snapshot was taken since the zone's last marker (zone numbers
    /// are those of registered zones, so this stays as small as the registry).
    unmarked: Vec<bool>,
}

impl SourcePlugin for SyscallPlugin {
    type Instance = SyscallInstance;
    // Id 0 and no source name: libsinsp's syscall source.
    const EVENT_SOURCE: &'static CStr = c"";
    const PLUGIN_ID: u32 = 0;
    type Event<'a> = RawEvent<'a>;

    fn open(&mut self, params: Option<&str>) -> anyhow::Result<SyscallInstance> {
        guarded("open", || {
            Ok(SyscallInstance {
                input: Input::open(params, &self.config, &mut self.zones)?,
                scratch: Vec::new(),
                unmarked: Vec::new(),
            })
        })
        .map_err(|e| anyhow!(c_safe(format!("{e:#}"))))
    }

    fn event_to_string(&mut self, _event: &EventInput<RawEvent<'_>>) -> anyhow::Result<CString> {
        // libsinsp renders syscall events itself.
        Ok(CString::default())
    }
}

/// The SDK's batch as an [`EventSink`], namespacing every event on the way.
struct NamespacingSink<'b, 'a> {
    batch: &'b mut EventBatch<'a>,
    /// The marker being written.
    scratch: &'b mut Vec<u8>,
    unmarked: &'b mut Vec<bool>,
    metrics: &'b Metrics,
    count: usize,
}

impl NamespacingSink<'_, '_> {
    /// Add `raw` in zone `zone`'s namespace, its timestamp `ts` when given, after the zone's
    /// marker if one is due; a refused event is counted and dropped.
    fn add(&mut self, raw: &[u8], zone: u32, ts: Option<u64>) -> anyhow::Result<()> {
        let event = match namespace(raw, zone, ts) {
            Ok(event) => event,
            Err(e) => {
                Metrics::add(&self.metrics.malformed, 1);
                log::debug!("zone {zone}: event dropped: {e}");
                return Ok(());
            }
        };
        // The zone's snapshot is seeded before libsinsp parses its events.
        self.mark(zone, event.ts)?;
        self.batch.add(&event)?;
        self.count += 1;
        Ok(())
    }

    /// Add zone `zone`'s marker, timestamped `ts`, if a snapshot was taken since its last one.
    fn mark(&mut self, zone: u32, ts: u64) -> anyhow::Result<()> {
        let Some(unmarked) = self.unmarked.get_mut(zone as usize).filter(|u| **u) else {
            return Ok(());
        };
        *unmarked = false;
        marker::write(zone, ts, self.scratch);
        self.batch.add(&self.scratch[..])?;
        self.count += 1;
        Ok(())
    }
}

/// Zone numbers start at 1: 0 is "no zone" in a namespaced id.
fn zone_number(zone: ZoneSlot) -> u32 {
    zone.0.saturating_add(1)
}

impl EventSink for NamespacingSink<'_, '_> {
    fn push(
        &mut self,
        ts: u64,
        zone: ZoneSlot,
        _cpu: u16,
        _carry: &mut Carry,
        raw: &[u8],
    ) -> anyhow::Result<()> {
        // Nothing is ever held (see `hold`): `carry` is empty.
        self.add(raw, zone_number(zone), Some(ts))
    }

    fn hold(&mut self, zone: ZoneSlot, _carry: &mut Carry, raw: &[u8]) -> anyhow::Result<()> {
        // libsinsp parses every event and itself hides from rules what it hides: added now, in
        // the order events came.
        self.add(raw, zone_number(zone), None)
    }

    fn snapshot_taken(&mut self, zone: ZoneSlot) {
        let index = zone_number(zone) as usize;
        if self.unmarked.len() <= index {
            self.unmarked.resize(index + 1, false);
        }
        self.unmarked[index] = true;
    }

    fn len(&self) -> usize {
        self.count
    }
}

impl SourcePluginInstance for SyscallInstance {
    type Plugin = SyscallPlugin;

    fn next_batch(
        &mut self,
        plugin: &mut SyscallPlugin,
        batch: &mut EventBatch,
    ) -> anyhow::Result<()> {
        guarded("next_batch", || {
            batch.reserve(self.input.batch_size());
            let mut sink = NamespacingSink {
                batch,
                scratch: &mut self.scratch,
                unmarked: &mut self.unmarked,
                metrics: &plugin.metrics,
                count: 0,
            };
            self.input
                .fill(&mut plugin.zones, &mut sink, &plugin.metrics)
        })
    }

    fn get_progress(&mut self) -> ProgressInfo<'_> {
        self.input.progress()
    }
}

impl ParsePlugin for SyscallPlugin {
    // Only the markers: libsinsp calls the capability for no other event.
    type Event<'a> = Marker<'a>;

    fn parse_event(
        &mut self,
        event: &EventInput<Marker<'_>>,
        parse_input: &ParseInput,
    ) -> anyhow::Result<()> {
        guarded("parse_event", || {
            let Some(zone) = marker::zone(&event.event()?).filter(|&z| z > 0) else {
                return Ok(());
            };
            let (Some(table), Some(z)) = (&self.threads, self.zones.get(ZoneSlot(zone - 1))) else {
                return Ok(());
            };
            let failed = seed::seed(
                table,
                &parse_input.reader,
                &parse_input.writer,
                zone,
                z.state.threads.iter(),
            );
            Metrics::add(&self.metrics.malformed, failed);
            Ok(())
        })
    }
}

impl SyscallPlugin {
    /// The zone an event's thread belongs to.
    fn zone(&self, req: &ExtractRequest<'_, '_, '_, '_, Self>) -> anyhow::Result<Option<&Zone>> {
        let tid = req.event.event()?.metadata.tid;
        Ok(match namespace::zone_of(tid).checked_sub(1) {
            Some(slot) => self.zones.get(ZoneSlot(slot)),
            None => None,
        })
    }

    fn zone_id(&mut self, req: ExtractRequest<Self>) -> anyhow::Result<Option<CString>> {
        Ok(self.zone(&req)?.map(|z| z.id_c().clone()))
    }

    fn zone_name(&mut self, req: ExtractRequest<Self>) -> anyhow::Result<Option<CString>> {
        Ok(self.zone(&req)?.map(|z| z.name_c().clone()))
    }

    /// `f` of the workload the event's thread runs in: the zone's workload named in the
    /// thread's cgroups as libsinsp keeps them (as the `edera` plugin matches them, with the
    /// same `workload_match`); no value outside workloads.
    fn with_workload(
        &self,
        req: &ExtractRequest<'_, '_, '_, '_, Self>,
        f: impl FnOnce(&Workload) -> Option<CString>,
    ) -> anyhow::Result<Option<CString>> {
        let (Some(zone), Some(threads)) = (self.zone(req)?, &self.threads) else {
            return Ok(None);
        };
        if self.config.workload_match == WorkloadMatch::None || zone.workloads.is_empty() {
            return Ok(None);
        }
        let tid = req.event.event()?.metadata.tid;
        let workload = seed::find_in_cgroups(threads, req.table_reader, tid, |path| {
            zone.workloads.of_cgroup_path(path)
        })?;
        Ok(workload.and_then(|w| f(w)))
    }

    fn workload_id(&mut self, req: ExtractRequest<Self>) -> anyhow::Result<Option<CString>> {
        self.with_workload(&req, |w| borrowed_text(&w.id))
    }

    fn workload_name(&mut self, req: ExtractRequest<Self>) -> anyhow::Result<Option<CString>> {
        self.with_workload(&req, |w| borrowed_text(&w.name))
    }

    fn workload_image(&mut self, req: ExtractRequest<Self>) -> anyhow::Result<Option<CString>> {
        self.with_workload(&req, |w| borrowed_text(&image(w)))
    }
}

impl ExtractPlugin for SyscallPlugin {
    type Event<'a> = RawEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("edera.zone.id", &Self::zone_id)
            .with_display("Zone id")
            .with_description("The id of the zone the event's thread runs in (Zone.id)."),
        field("edera.zone.name", &Self::zone_name)
            .with_display("Zone name")
            .with_description("The name of the zone the event's thread runs in (Zone.spec.name)."),
        field("edera.workload.id", &Self::workload_id)
            .with_display("Workload id")
            .with_description(
                "The id (Workload.id) of the zone workload the event's thread runs in, found in \
the thread's cgroups; no value for the zone's own processes.",
            ),
        field("edera.workload.name", &Self::workload_name)
            .with_display("Workload name")
            .with_description(
                "The name (WorkloadSpec.name) of the zone workload the event's thread runs in.",
            ),
        field("edera.workload.image", &Self::workload_image)
            .with_display("Workload image")
            .with_description(
                "The image of the zone workload the event's thread runs in, as container.image \
shows it: the image reference from its annotations, else the image digest.",
            ),
    ];
}
