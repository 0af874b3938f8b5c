//! The plugin library: found (or built, see [`artifact`](crate::artifact)) once, dlopened once
//! with `libloading`, and never closed.
//!
//! `falco_plugin_runner` 0.5.1 only accepts a `&'static falco_plugin_api::plugin_api` (it was
//! written for plugins linked statically), not a path. So we fill a `plugin_api` from the
//! library's `plugin_*` symbols, as libsinsp's loader does with `dlsym` (a missing symbol is a
//! `None` entry), and leak it to get the `&'static`. The runner keeps the plugin's state pointer
//! (`ss_plugin_t *`) private; the table we give it has a shim in place of `plugin_init` that
//! records the pointer per thread, so a [`Handle`](crate::handle::Handle) can call
//! `plugin_get_last_error` and build events of its own.
//!
//! Why the `.so` and not the plugin crate as a dependency: that would link the rlib (and its
//! exported `plugin_*` symbols) into the test binary, and cargo does not promise to put a
//! dependency's cdylib anywhere stable. Set `EDERA_PLUGIN_SO=/path/to/libedera_falco_plugin.so`
//! to test a given library (e.g. a release build in CI) instead of building one.

use falco_plugin_api as api;
use libloading::Library;
use std::ffi::{CStr, c_char};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
            None => match std::env::var_os("EDERA_PLUGIN_SO") {
                Some(path) => PathBuf::from(path),
                None => crate::artifact::build("edera-falco-plugin-so", LIBRARY_NAME)?,
            },
        };
        load_library(&path)
    }) {
        Ok(library) => library,
        Err(e) => panic!("cannot load the plugin library: {e}"),
    }
}

type InitFn = unsafe extern "C-unwind" fn(
    *const api::ss_plugin_init_input,
    *mut api::ss_plugin_rc,
) -> *mut api::ss_plugin_t;

/// The library's real `plugin_init`.
static REAL_INIT: OnceLock<InitFn> = OnceLock::new();

thread_local! {
    /// The plugin state pointer returned by the last `plugin_init` on this thread.
    pub(crate) static LAST_INIT: std::cell::Cell<*mut api::ss_plugin_t> =
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
pub(crate) fn owned_str(ptr: *const c_char) -> Option<String> {
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
