//! A plugin instance driven through `falco_plugin_runner` as Falco drives it: [`load_plugin`]
//! registers the plugin with a fresh `PluginRunner` (`plugin_init` with the config),
//! [`Handle::open`] starts the capture (`plugin_open`), [`Handle::next_event`] calls `next_batch`
//! (and `plugin_parse_event` for every event), [`Handle::extract`] asks for one field by name,
//! with an optional `[arg]`, as libsinsp does.
//!
//! Where the runner differs from Falco, and what we do about it:
//! - it passes NULL open params: the plugin falls back to its init config's `source`, so a
//!   capture is selected with `{"source": "file:///path/x.scap"}`;
//! - it passes the init config verbatim, while libsinsp turns an empty config into `{}` for a
//!   plugin with a JSON schema: [`load_plugin`] does the same;
//! - it returns only an `ss_plugin_rc` when an extraction fails: [`Handle::extract`] adds the
//!   plugin's message (`plugin_get_last_error`);
//! - its extraction results go by count, not by the field's list flag: [`Handle::extract`] wraps a
//!   one-value list field again, as Falco prints it;
//! - it leaves event timestamps as the plugin wrote them (libscap would replace `u64::MAX` with
//!   "now") and has no libsinsp state: libsinsp's own fields (`evt.time`, ...) do not exist here
//!   (see [`generic`](crate::generic)), except `evt.plugininfo`, which it maps to the source's
//!   event-to-string.

use crate::event::CapturedEvent;
use crate::library::{LAST_INIT, PluginLibrary, owned_str, plugin_library};
use falco_plugin_api as api;
use falco_plugin_runner::{
    CapturingPluginRunner, ExtractedField, MetricValue, PluginRunner, ScapStatus,
};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The result of asking for the next event.
pub enum Next {
    /// An event.
    Event(CapturedEvent),
    /// No event right now (`SS_PLUGIN_TIMEOUT`).
    Timeout,
    /// End of input (`SS_PLUGIN_EOF`).
    Eof,
}

/// Why [`Handle::next_events`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It got the number of events asked for.
    Count,
    /// The plugin reported a timeout.
    Timeout,
    /// The plugin reported end of input.
    Eof,
}

enum State {
    Registered(PluginRunner),
    Capturing(CapturingPluginRunner),
    Closed,
}

/// A plugin instance (after `init`), and its capture once opened.
pub struct Handle {
    library: &'static PluginLibrary,
    state: State,
    id: u64,
    plugin: *mut api::ss_plugin_t,
    next_synthetic: u64,
    /// Names of the plugin's list fields (read once from its field list).
    lists: OnceLock<std::collections::HashSet<String>>,
}

/// Event numbers of hand-made events start here, far from the runner's (1, 2, ...).
pub const SYNTHETIC_EVT_NUM_BASE: u64 = 1 << 62;

/// Load the built plugin and `init` it with `config_json` (empty means `{}`, as in libsinsp).
/// On failure, the error carries the plugin's own message.
pub fn load_plugin(config_json: &str) -> Result<Handle, String> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let library = plugin_library();
    let config = if config_json.trim().is_empty() {
        "{}"
    } else {
        config_json
    };
    let config = CString::new(config).map_err(|_| "config contains a NUL byte".to_owned())?;
    let mut runner = PluginRunner::new();
    LAST_INIT.with(|last| last.set(std::ptr::null_mut()));
    runner
        .register_plugin(library.api, &config)
        .map_err(|e| format!("{e:#}"))?;
    let plugin = LAST_INIT.with(|last| last.replace(std::ptr::null_mut()));
    if plugin.is_null() {
        return Err("plugin_init succeeded but returned no plugin state".into());
    }
    Ok(Handle {
        library,
        state: State::Registered(runner),
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        plugin,
        next_synthetic: SYNTHETIC_EVT_NUM_BASE,
        lists: OnceLock::new(),
    })
}

impl Handle {
    /// The library this handle runs.
    pub fn library(&self) -> &'static PluginLibrary {
        self.library
    }

    /// A closure reading the plugin's last error message (`plugin_get_last_error`).
    fn last_error(&self) -> impl Fn() -> Option<String> + use<> {
        let get_last_error = self.library.api.get_last_error;
        let plugin = self.plugin as usize;
        move || {
            // SAFETY: `plugin` is this handle's live plugin state (the closure is used only
            // while the handle exists).
            get_last_error.and_then(|f| owned_str(unsafe { f(plugin as *mut api::ss_plugin_t) }))
        }
    }

    /// A hand-made event (complete, header included) that [`Handle::extract`] accepts as if
    /// the plugin had emitted it. Its event number is unique and far above the runner's.
    pub fn event_from_bytes(&mut self, bytes: Vec<u8>) -> CapturedEvent {
        let evt_num = self.next_synthetic;
        self.next_synthetic += 1;
        let source_api = &self.library.api.__bindgen_anon_1;
        CapturedEvent {
            bytes,
            evt_num,
            handle_id: self.id,
            // SAFETY: plugin API function without arguments; returns a static string.
            source: source_api
                .get_event_source
                .map_or(std::ptr::null(), |f| unsafe { f() }),
            source_plugin: self.plugin,
            to_string: source_api.event_to_string,
        }
    }

    /// Open the capture (`plugin_open`, with NULL open params, as the runner does). After a
    /// failure the handle is closed.
    pub fn open(&mut self) -> Result<(), String> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Registered(runner) => {
                let capturing = runner.start_capture().map_err(|e| format!("{e:#}"))?;
                self.state = State::Capturing(capturing);
                Ok(())
            }
            State::Capturing(c) => {
                self.state = State::Capturing(c);
                Err("already open".into())
            }
            State::Closed => Err("handle is closed".into()),
        }
    }

    fn capture(&mut self) -> Result<&mut CapturingPluginRunner, String> {
        match &mut self.state {
            State::Capturing(c) => Ok(c),
            State::Registered(_) => Err("capture not opened (call open first)".into()),
            State::Closed => Err("handle is closed".into()),
        }
    }

    /// The next event, a timeout, the end, or the plugin's error.
    pub fn next_event(&mut self) -> Result<Next, String> {
        let id = self.id;
        let capture = self.capture()?;
        match capture.next_event() {
            Ok(event) => CapturedEvent::copy_from(&event, id).map(Next::Event),
            Err(e) => match e.downcast_ref::<ScapStatus>() {
                Some(ScapStatus::Timeout) => Ok(Next::Timeout),
                Some(ScapStatus::Eof) => Ok(Next::Eof),
                _ => Err(format!("{e:#}")),
            },
        }
    }

    /// Up to `n` events; stops early at a timeout or at the end of input.
    pub fn next_events(&mut self, n: usize) -> Result<(Vec<CapturedEvent>, Stop), String> {
        let mut events = Vec::new();
        while events.len() < n {
            match self.next_event()? {
                Next::Event(e) => events.push(e),
                Next::Timeout => return Ok((events, Stop::Timeout)),
                Next::Eof => return Ok((events, Stop::Eof)),
            }
        }
        Ok((events, Stop::Count))
    }

    /// Every remaining event, until EOF; fails after `max_events` events or on a timeout.
    pub fn read_to_eof(&mut self, max_events: usize) -> Result<Vec<CapturedEvent>, String> {
        let (events, stop) = self.next_events(max_events)?;
        match stop {
            Stop::Eof => Ok(events),
            Stop::Timeout => Err(format!(
                "timeout after {} events, expected EOF",
                events.len()
            )),
            Stop::Count => Err(format!("no EOF after {max_events} events")),
        }
    }

    /// Extract `field` (`name` or `name[arg]`) from `event`: `Ok(None)` is "no value";
    /// `Err` if no loaded plugin declares the field or the extraction failed (with the plugin's
    /// error message).
    pub fn extract(
        &mut self,
        event: &CapturedEvent,
        field: &str,
    ) -> Result<Option<ExtractedField>, String> {
        if event.handle_id != self.id {
            return Err("event belongs to another plugin handle".into());
        }
        let library = self.library;
        let is_list = self
            .lists
            .get_or_init(|| {
                let fields = library.fields().unwrap_or_default();
                fields
                    .iter()
                    .filter(|f| f["isList"].as_bool() == Some(true))
                    .filter_map(|f| f["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .contains(field.split('[').next().unwrap_or(field));
        let last_error = self.last_error();
        let capture = self.capture()?;
        let runner_event = event.as_runner_event();
        match capture.extract_field(&runner_event, field) {
            None => Err(format!("no plugin declares field `{field}` for this event")),
            Some(Ok(ExtractedField::None)) => Ok(None),
            // The runner goes by the result count, not the field's list flag: a list field
            // with one value comes back as that value. Wrap it again, as Falco prints a list.
            Some(Ok(value @ ExtractedField::Vec(_))) => Ok(Some(value)),
            Some(Ok(value)) if is_list => Ok(Some(ExtractedField::Vec(vec![value]))),
            Some(Ok(value)) => Ok(Some(value)),
            Some(Err(rc)) => Err(format!(
                "extracting `{field}` failed (rc {rc}): {}",
                last_error().unwrap_or_default()
            )),
        }
    }

    /// [`Handle::extract`] rendered as text (lists as `(a,b)`), the way the runner prints values.
    pub fn extract_string(
        &mut self,
        event: &CapturedEvent,
        field: &str,
    ) -> Result<Option<String>, String> {
        Ok(self.extract(event, field)?.map(|v| v.to_string()))
    }

    /// The plugin's metrics, by full name (`edera.events`), as `u64` where they are integers.
    pub fn metrics(&mut self) -> Result<BTreeMap<String, u64>, String> {
        let capture = self.capture()?;
        Ok(capture
            .get_metrics()
            .into_iter()
            .filter_map(|m| {
                let value = match m.value {
                    MetricValue::U64(v) => v,
                    MetricValue::U32(v) => v.into(),
                    MetricValue::I64(v) => u64::try_from(v).ok()?,
                    MetricValue::S32(v) | MetricValue::Int(v) => u64::try_from(v).ok()?,
                    MetricValue::Double(_) | MetricValue::Float(_) => return None,
                };
                Some((m.name, value))
            })
            .collect())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Stop the capture explicitly so that a close failure is visible, then destroy.
        if let State::Capturing(capture) = std::mem::replace(&mut self.state, State::Closed)
            && let Err(e) = capture.stop_capture()
        {
            eprintln!("stopping the capture failed: {e:#}");
        }
    }
}
