//! spike
use edera_scap::convert::{Converter, ConverterLimits, Outcome};
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use falco_plugin::anyhow::{self, anyhow};
use falco_plugin::base::{Json, Plugin};
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::Deserialize;
use falco_plugin::source::{EventBatch, EventInput, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::TablesInput;
use falco_plugin::{FailureReason, plugin, source_plugin};
use std::ffi::{CStr, CString};
use std::fs::File;

#[derive(Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde")]
#[schemars(crate = "falco_plugin::schemars")]
pub struct Cfg {
    source: String,
}

pub struct SyscallPlugin {
    path: String,
}

impl Plugin for SyscallPlugin {
    const NAME: &'static CStr = c"edera_syscall";
    const PLUGIN_VERSION: &'static CStr = c"0.1.0";
    const DESCRIPTION: &'static CStr = c"spike";
    const CONTACT: &'static CStr = c"spike";
    type ConfigType = Json<Cfg>;
    fn new(_input: Option<&TablesInput>, Json(cfg): Json<Cfg>) -> anyhow::Result<Self> {
        Ok(SyscallPlugin { path: cfg.source })
    }
}

pub struct Instance {
    reader: CaptureReader<File, GeneratedTable>,
    converter: Converter,
}

impl SourcePlugin for SyscallPlugin {
    type Instance = Instance;
    const EVENT_SOURCE: &'static CStr = c"";
    const PLUGIN_ID: u32 = 0;
    type Event<'a> = falco_plugin::event::events::RawEvent<'a>;
    fn open(&mut self, _params: Option<&str>) -> anyhow::Result<Instance> {
        let mut reader = CaptureReader::open(&self.path, GeneratedTable, Limits::default())
            .map_err(|e| anyhow!("{e}"))?;
        reader.read_state().map_err(|e| anyhow!("{e}"))?;
        Ok(Instance {
            reader,
            converter: Converter::new(ConverterLimits::default()),
        })
    }
    fn event_to_string(&mut self, _event: &EventInput<Self::Event<'_>>) -> anyhow::Result<CString> {
        Ok(CString::default())
    }
}

impl SourcePluginInstance for Instance {
    type Plugin = SyscallPlugin;
    fn next_batch(&mut self, _p: &mut SyscallPlugin, batch: &mut EventBatch) -> anyhow::Result<()> {
        let mut n = 0;
        while n < 512 {
            let Ok(Some(ev)) = self.reader.next_event() else {
                break;
            };
            match self.converter.convert(ev.bytes()) {
                Outcome::Pass(b) | Outcome::Converted(b) => {
                    batch.add(b)?;
                    n += 1;
                }
                _ => {}
            }
        }
        if n == 0 {
            return Err(anyhow!("eof").context(FailureReason::Eof));
        }
        Ok(())
    }
}

plugin!(SyscallPlugin);
source_plugin!(SyscallPlugin);
