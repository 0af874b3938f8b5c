//! Drive the **built** `libedera_falco_plugin.so` as Falco would, through `falco_plugin_runner`.
//!
//! # How it works
//!
//! 1. **Build.** [`plugin_library`] runs `cargo build -p edera-falco-plugin` once per test process,
//!    with the same profile and target directory as the running test binary (both read off the
//!    test executable's path, `<target>/<profile>/deps/<test>-<hash>`), then uses
//!    `<target>/<profile>/libedera_falco_plugin.so`. The build is a no-op when nothing changed,
//!    and it guarantees the tests never run against a stale `.so`. Why not the alternatives: a
//!    build script calling cargo deadlocks on the target-dir lock; a normal dependency on the
//!    plugin crate would link its rlib (and its exported `plugin_*` symbols) into the test
//!    binary, and cargo does not promise to put a dependency's cdylib anywhere stable; artifact
//!    dependencies are unstable. (Cargo releases its build lock before running test binaries, so
//!    the nested build does not deadlock; it waits like any other build while someone else holds
//!    the lock.) Set `EDERA_PLUGIN_SO=/path/to/libedera_falco_plugin.so` to skip the build and
//!    test a given library (e.g. a release build in CI). Cross-compiled targets are not handled.
//! 2. **Load.** The library is opened once with `libloading` and never closed (leaked), because
//!    `falco_plugin_runner` 0.5.1 only accepts a `&'static falco_plugin_api::plugin_api` (it was
//!    written for plugins linked statically with `static_plugin!`), not a path. We fill a
//!    `plugin_api` from the library's `plugin_*` symbols, as libsinsp's loader does with `dlsym`
//!    (a missing symbol is a `None` entry), and leak it too to get the `&'static`.
//! 3. **Run.** [`load_plugin`] registers the plugin with a fresh `PluginRunner` (that calls
//!    `plugin_init` with the config), [`Handle::open`] starts the capture (`plugin_open`), and
//!    [`Handle::next_event`] / [`Handle::next_events`] call `next_batch` through the runner,
//!    which also calls `plugin_parse_event` for every event. [`Handle::extract`] asks for one
//!    field by name, with an optional `[arg]`, as libsinsp does.
//!
//! # What the runner does differently from Falco (and what we do about it)
//!
//! - It passes NULL open params: the plugin falls back to its init config's `source`, so tests
//!   select a capture with `{"source": "file:///path/x.scap"}`.
//! - It passes the init config verbatim, while libsinsp turns an empty config into `{}` for a
//!   plugin with a JSON schema: [`load_plugin`] does the same.
//! - Its events are raw pointers into the plugin's batch buffer, valid only until the next
//!   `next_batch`. [`CapturedEvent`] copies the bytes out, so tests may keep events around.
//! - It keeps the plugin's state pointer (`ss_plugin_t *`) private, and returns only an
//!   `ss_plugin_rc` when an extraction fails. The API table we give it has a shim in place of
//!   `plugin_init` that records the pointer (per thread), so [`Handle::extract`] can fetch the
//!   plugin's message with `plugin_get_last_error`, and [`Handle::event_from_bytes`] can build
//!   events (e.g. hand-made hostile ones) that extraction and `evt.plugininfo` accept.
//! - It leaves event timestamps as the plugin wrote them (libscap would replace `u64::MAX` with
//!   "now") and has no libsinsp state: libsinsp's own fields (`evt.time`, ...) do not exist here,
//!   except `evt.plugininfo`, which it maps to the source's event-to-string.

use falco_plugin_api as api;
use falco_plugin_runner::{
    CapturingPluginRunner, Event, ExtractedField, MetricValue, PluginRunner, ScapStatus,
};
use libloading::Library;
use std::collections::BTreeMap;
use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// File name of the plugin library.
pub const LIBRARY_NAME: &str = "libedera_falco_plugin.so";

/// The loaded plugin library: its `plugin_api` table and where it came from.
pub struct PluginLibrary {
    /// Path of the `.so`.
    pub path: PathBuf,
    /// The API table filled from its symbols.
    pub api: &'static api::plugin_api,
}

/// The library path a program chose (see [`use_library`]).
static CHOSEN: OnceLock<PathBuf> = OnceLock::new();

/// Make [`plugin_library`] load `path` instead of building the workspace's library (for
/// programs, which run outside cargo). Only the first call counts, and only before the first load.
pub fn use_library(path: PathBuf) {
    let _ = CHOSEN.set(path);
}

/// Build (once) and load (once) the plugin library. Panics with the reason if that fails.
pub fn plugin_library() -> &'static PluginLibrary {
    static LIBRARY: OnceLock<Result<PluginLibrary, String>> = OnceLock::new();
    match LIBRARY.get_or_init(|| {
        let path = match CHOSEN.get() {
            Some(p) => p.clone(),
            None => built_library_path()?,
        };
        load_library(&path)
    }) {
        Ok(library) => library,
        Err(e) => panic!("cannot load the plugin library: {e}"),
    }
}

/// Where the library is, after building it (or `EDERA_PLUGIN_SO` if set).
fn built_library_path() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("EDERA_PLUGIN_SO") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // <target>/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected test binary location {}", exe.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| format!("unexpected test binary location {}", exe.display()))?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => return Err(format!("no profile directory in {}", exe.display())),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("tests crate has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--quiet",
            "-p",
            "edera-falco-plugin",
            "--profile",
            profile,
            "--target-dir",
        ])
        .arg(target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build -p edera-falco-plugin failed: {status}"
        ));
    }
    let path = profile_dir.join(LIBRARY_NAME);
    if !path.is_file() {
        return Err(format!("{} was not built", path.display()));
    }
    Ok(path)
}

type InitFn = unsafe extern "C-unwind" fn(
    *const api::ss_plugin_init_input,
    *mut api::ss_plugin_rc,
) -> *mut api::ss_plugin_t;

/// The library's real `plugin_init`.
static REAL_INIT: OnceLock<InitFn> = OnceLock::new();

thread_local! {
    /// The plugin state pointer returned by the last `plugin_init` on this thread.
    static LAST_INIT: std::cell::Cell<*mut api::ss_plugin_t> =
        const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Stands in for `plugin_init` in the API table given to the runner: calls the real one and
/// remembers the plugin state pointer, which the runner keeps private but we need to call
/// `plugin_get_last_error` and to build events for `evt.plugininfo`.
unsafe extern "C-unwind" fn init_shim(
    input: *const api::ss_plugin_init_input,
    rc: *mut api::ss_plugin_rc,
) -> *mut api::ss_plugin_t {
    let Some(init) = REAL_INIT.get() else {
        return std::ptr::null_mut();
    };
    // SAFETY: forwarding the runner's arguments unchanged.
    let plugin = unsafe { init(input, rc) };
    LAST_INIT.with(|last| last.set(plugin));
    plugin
}

/// Look up `name` in `lib` as a function pointer of type `T` (`None` if absent).
///
/// # Safety
/// `T` must be the symbol's actual function pointer type.
unsafe fn symbol<T: Copy>(lib: &'static Library, name: &CStr) -> Option<T> {
    unsafe { lib.get::<T>(name) }.ok().map(|s| *s)
}

/// dlopen `path` and fill a `plugin_api` from its `plugin_*` symbols; both leak.
///
/// The plugin exports its functions as `extern "C"` (it never unwinds); the table's types say
/// `extern "C-unwind"`, which has the same calling convention.
fn load_library(path: &Path) -> Result<PluginLibrary, String> {
    // SAFETY: loading our own plugin; its initialisers are Rust statics only.
    let lib =
        unsafe { Library::new(path) }.map_err(|e| format!("dlopen {}: {e}", path.display()))?;
    let lib: &'static Library = Box::leak(Box::new(lib));
    // SAFETY (every `symbol` call): each name is looked up with the type the plugin API
    // declares for it, which is the type `plugin_api`'s field has.
    let api = unsafe {
        api::plugin_api {
            get_required_api_version: symbol(lib, c"plugin_get_required_api_version"),
            get_init_schema: symbol(lib, c"plugin_get_init_schema"),
            init: {
                let real: Option<InitFn> = symbol(lib, c"plugin_init");
                real.map(|real| {
                    REAL_INIT.get_or_init(|| real);
                    init_shim as InitFn
                })
            },
            destroy: symbol(lib, c"plugin_destroy"),
            get_last_error: symbol(lib, c"plugin_get_last_error"),
            get_name: symbol(lib, c"plugin_get_name"),
            get_description: symbol(lib, c"plugin_get_description"),
            get_contact: symbol(lib, c"plugin_get_contact"),
            get_version: symbol(lib, c"plugin_get_version"),
            __bindgen_anon_1: api::plugin_api__bindgen_ty_1 {
                get_id: symbol(lib, c"plugin_get_id"),
                get_event_source: symbol(lib, c"plugin_get_event_source"),
                open: symbol(lib, c"plugin_open"),
                close: symbol(lib, c"plugin_close"),
                list_open_params: symbol(lib, c"plugin_list_open_params"),
                get_progress: symbol(lib, c"plugin_get_progress"),
                event_to_string: symbol(lib, c"plugin_event_to_string"),
                next_batch: symbol(lib, c"plugin_next_batch"),
            },
            __bindgen_anon_2: api::plugin_api__bindgen_ty_2 {
                get_extract_event_types: symbol(lib, c"plugin_get_extract_event_types"),
                get_extract_event_sources: symbol(lib, c"plugin_get_extract_event_sources"),
                get_fields: symbol(lib, c"plugin_get_fields"),
                extract_fields: symbol(lib, c"plugin_extract_fields"),
            },
            __bindgen_anon_3: api::plugin_api__bindgen_ty_3 {
                get_parse_event_types: symbol(lib, c"plugin_get_parse_event_types"),
                get_parse_event_sources: symbol(lib, c"plugin_get_parse_event_sources"),
                parse_event: symbol(lib, c"plugin_parse_event"),
            },
            __bindgen_anon_4: api::plugin_api__bindgen_ty_4 {
                get_async_event_sources: symbol(lib, c"plugin_get_async_event_sources"),
                get_async_events: symbol(lib, c"plugin_get_async_events"),
                set_async_event_handler: symbol(lib, c"plugin_set_async_event_handler"),
                dump_state: symbol(lib, c"plugin_dump_state"),
            },
            set_config: symbol(lib, c"plugin_set_config"),
            get_metrics: symbol(lib, c"plugin_get_metrics"),
            __bindgen_anon_5: api::plugin_api__bindgen_ty_5 {
                capture_open: symbol(lib, c"plugin_capture_open"),
                capture_close: symbol(lib, c"plugin_capture_close"),
            },
        }
    };
    Ok(PluginLibrary {
        path: path.to_owned(),
        api: Box::leak(Box::new(api)),
    })
}

/// Copy a C string returned by the plugin (NULL → `None`).
fn owned_str(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: the plugin returns NUL-terminated strings that stay valid until its next call.
        Some(
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

impl PluginLibrary {
    /// `plugin_get_name`.
    pub fn name(&self) -> Option<String> {
        // SAFETY: plugin API functions without arguments.
        owned_str(unsafe { self.api.get_name?() })
    }

    /// `plugin_get_version`.
    pub fn version(&self) -> Option<String> {
        owned_str(unsafe { self.api.get_version?() })
    }

    /// `plugin_get_required_api_version`.
    pub fn required_api_version(&self) -> Option<String> {
        owned_str(unsafe { self.api.get_required_api_version?() })
    }

    /// `plugin_get_id` (source capability).
    pub fn id(&self) -> Option<u32> {
        Some(unsafe { self.api.__bindgen_anon_1.get_id?() })
    }

    /// `plugin_get_event_source`.
    pub fn event_source(&self) -> Option<String> {
        owned_str(unsafe { self.api.__bindgen_anon_1.get_event_source?() })
    }

    /// `plugin_get_init_schema`: the schema type (`SS_PLUGIN_SCHEMA_*`) and text.
    pub fn init_schema(&self) -> Option<(u32, String)> {
        let mut schema_type = 0;
        let text = owned_str(unsafe { self.api.get_init_schema?(&mut schema_type) })?;
        Some((schema_type, text))
    }

    /// `plugin_get_fields`, parsed: one JSON object per field (`name`, `type`, `isList`, `arg`,
    /// `display`, `desc`, `addOutput`).
    pub fn fields(&self) -> Result<Vec<serde_json::Value>, String> {
        let text = owned_str(unsafe {
            self.api
                .__bindgen_anon_2
                .get_fields
                .ok_or("no get_fields")?()
        })
        .ok_or("get_fields returned NULL")?;
        serde_json::from_str(&text).map_err(|e| format!("field list is not JSON: {e}: {text}"))
    }

    /// `plugin_get_extract_event_sources`, parsed.
    pub fn extract_event_sources(&self) -> Result<Vec<String>, String> {
        let f = self
            .api
            .__bindgen_anon_2
            .get_extract_event_sources
            .ok_or("no get_extract_event_sources")?;
        let text = owned_str(unsafe { f() }).ok_or("get_extract_event_sources returned NULL")?;
        serde_json::from_str(&text).map_err(|e| format!("not a JSON list: {e}: {text}"))
    }
}

/// One event the plugin emitted, copied out of the plugin's batch buffer.
pub struct CapturedEvent {
    bytes: Vec<u8>,
    /// The event number the runner gave it (1, 2, ...).
    pub evt_num: u64,
    handle_id: u64,
    source: *const c_char,
    source_plugin: *mut api::ss_plugin_t,
    to_string: Option<
        unsafe extern "C-unwind" fn(
            *mut api::ss_plugin_t,
            *const api::ss_plugin_event_input,
        ) -> *const c_char,
    >,
}

impl CapturedEvent {
    fn copy_from(event: &Event, handle_id: u64) -> Result<Self, String> {
        if event.buf.is_null() {
            return Err("plugin returned a NULL event".into());
        }
        let base = event.buf as *const u8;
        // SAFETY: the runner hands us a pointer to a complete event in the plugin's batch,
        // valid until the next `next_batch`; its header is 26 bytes with `len` at offset 16.
        let len = unsafe { std::ptr::read_unaligned(base.add(16) as *const u32) } as usize;
        if len < 26 {
            return Err(format!("plugin returned an event of length {len}"));
        }
        let bytes = unsafe { std::slice::from_raw_parts(base, len) }.to_vec();
        Ok(CapturedEvent {
            bytes,
            evt_num: event.evt_num.unwrap_or_default(),
            handle_id,
            source: event.source,
            source_plugin: event.source_plugin,
            to_string: event.to_string,
        })
    }

    /// The whole event, header included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }

    /// Header timestamp (ns since the epoch).
    pub fn ts(&self) -> u64 {
        u64::from_ne_bytes(self.bytes[0..8].try_into().unwrap())
    }

    /// Header event type (322 for plugin events).
    pub fn event_type(&self) -> u16 {
        u16::from_ne_bytes(self.bytes[20..22].try_into().unwrap())
    }

    /// For a plugin event: (plugin id, payload). `None` if the layout is not a plugin event's.
    pub fn plugin_payload(&self) -> Option<(u32, &[u8])> {
        if self.event_type() != 322 || self.bytes.len() < 38 || self.u32_at(22) != 2 {
            return None;
        }
        let (len0, len1) = (self.u32_at(26) as usize, self.u32_at(30) as usize);
        if len0 != 4 || 34 + len0 + len1 != self.bytes.len() {
            return None;
        }
        Some((self.u32_at(34), &self.bytes[38..]))
    }

    /// For one of edera's plugin events: the raw scap event it carries, after the payload
    /// header and the state-only events (layout in plugin/src/payload.rs).
    pub fn scap_event(&self) -> Option<&[u8]> {
        let (_, payload) = self.plugin_payload()?;
        let count = u16::from_le_bytes(payload.get(6..8)?.try_into().ok()?);
        let mut rest = payload.get(8..)?;
        for _ in 0..count {
            let len = u32::from_ne_bytes(rest.get(16..20)?.try_into().ok()?) as usize;
            rest = rest.get(len.max(26)..)?;
        }
        (rest.len() >= 26).then_some(rest)
    }

    /// The tid in the header of the carried raw scap event (`thread.tid` as libsinsp reads it).
    pub fn scap_tid(&self) -> Option<i64> {
        Some(i64::from_ne_bytes(
            self.scap_event()?.get(8..16)?.try_into().ok()?,
        ))
    }

    /// The runner's view of this event, pointing at our copy.
    fn as_runner_event(&self) -> Event {
        Event {
            source: self.source,
            source_plugin: self.source_plugin,
            to_string: self.to_string,
            // The plugin only reads events; the API type is `*mut` for historical reasons.
            buf: self.bytes.as_ptr() as *mut api::ss_plugin_event,
            evt_num: Some(self.evt_num),
        }
    }
}

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

/// A fixture capture under `../shared/fixtures/scap` (relative to the workspace), or `None`
/// with the reason printed, so that the calling test can skip.
pub fn fixture(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/scap")
        .join(name);
    match path.canonicalize() {
        Ok(path) if path.is_file() => Some(path),
        _ => {
            eprintln!("SKIP: fixture {} is absent", path.display());
            None
        }
    }
}

/// `{"source": "file://<path>"}` with any extra keys from `extra` (a JSON object's inside,
/// e.g. `"batch_size": 8`), for replaying a capture.
pub fn replay_config(path: &Path, extra: &str) -> String {
    let source = serde_json::to_string(&format!("file://{}", path.display())).expect("string");
    if extra.trim().is_empty() {
        format!("{{\"source\": {source}}}")
    } else {
        format!("{{\"source\": {source}, {extra}}}")
    }
}

/// Replay capture `path` through the plugin, calling `visit` on every event with a function
/// that extracts a field as text (empty for no value). Panics on plugin errors (for tests).
pub fn replay_fields(path: &Path, mut visit: impl FnMut(&mut dyn FnMut(&str) -> String)) {
    let mut h = load_plugin(&replay_config(path, "")).expect("plugin loads");
    h.open().expect("capture opens");
    loop {
        let ev = match h.next_event().expect("next_event") {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        visit(&mut |name| {
            h.extract_string(&ev, name)
                .ok()
                .flatten()
                .unwrap_or_default()
        });
    }
}

/// A minimal raw scap event: header only, no parameters (`len` = 26).
pub fn bare_scap_event(ts: u64, tid: i64, event_type: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(26);
    v.extend_from_slice(&ts.to_ne_bytes());
    v.extend_from_slice(&tid.to_ne_bytes());
    v.extend_from_slice(&26u32.to_ne_bytes());
    v.extend_from_slice(&event_type.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v
}

/// A `PPME_PLUGINEVENT_E` laid out as plugin/src/payload.rs documents (written independently
/// here, so tests cross-check the documented layout): header with `ts`, params plugin id and
/// payload = little-endian `u32` zone slot, `u16` cpu 0, `u16` 0 state-only events, then `raw`.
pub fn plugin_event_bytes(ts: u64, plugin_id: u32, zone_slot: u32, raw: &[u8]) -> Vec<u8> {
    let data_len = 8 + raw.len();
    let total = 26 + 8 + 4 + data_len;
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&ts.to_ne_bytes());
    v.extend_from_slice(&(-1i64).to_ne_bytes());
    v.extend_from_slice(&(total as u32).to_ne_bytes());
    v.extend_from_slice(&322u16.to_ne_bytes());
    v.extend_from_slice(&2u32.to_ne_bytes());
    v.extend_from_slice(&4u32.to_ne_bytes());
    v.extend_from_slice(&(data_len as u32).to_ne_bytes());
    v.extend_from_slice(&plugin_id.to_ne_bytes());
    v.extend_from_slice(&zone_slot.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes()); // cpu
    v.extend_from_slice(&0u16.to_le_bytes()); // no state-only events
    v.extend_from_slice(raw);
    v
}
