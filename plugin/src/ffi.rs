//! The FFI boundary: panic containment and the exported `plugin_*` symbols.
//!
//! Decisions:
//! - No panic crosses into libsinsp's C++ frames. [`guarded`] wraps the body of every trait
//!   method we implement, so a panic in plugin code becomes an ordinary error reported through
//!   `plugin_get_last_error`. The exported symbols add a second layer: each one calls the SDK
//!   inside [`std::panic::catch_unwind`] (through [`contain`]), so a panic in SDK code is
//!   contained too: the call returns `SS_PLUGIN_FAILURE`, NULL or 0 and logs the panic. They are
//!   `extern "C"`: anything escaping `catch_unwind` aborts instead of unwinding into C++.
//! - Only the SDK's public API is used: its documented `static_plugin!` builds the plugin API
//!   table for [`EderaPlugin`](crate::EderaPlugin) (base, source, parse and extract
//!   capabilities, the SDK's default required API version), and each `plugin_*` symbol libsinsp
//!   looks up calls that table's entry.
//! - The symbols are not defined here but by [`plugin_symbols!`](crate::plugin_symbols), invoked
//!   by the crate that builds the `.so` (`plugin-so/` for this plugin, `plugin-syscall/` for the
//!   syscall-source mode): a `#[no_mangle]` function in this library would be linked into every
//!   cdylib that uses it, and two plugins' `plugin_init` in one `.so` do not link.
//!
//! After a contained panic the plugin keeps running with whatever state the panicking call left
//! (the closures are `AssertUnwindSafe`); state code must therefore keep its invariants at every
//! point where it can panic, or, better, not panic (bounds-checked decoding, no `unwrap`).
//!
//! Every message we hand to the SDK goes through [`c_safe`], so it never contains a NUL byte.

use falco_plugin::anyhow;
use falco_plugin::api::{ss_plugin_rc, ss_plugin_rc_SS_PLUGIN_FAILURE};
use falco_plugin::static_plugin;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The SDK's API types and the std items the [`plugin_symbols!`](crate::plugin_symbols)
/// expansion names, so the crate invoking it needs no path of its own.
#[doc(hidden)]
pub mod reexport {
    pub use falco_plugin::api::*;
    pub use std::ffi::c_char;
    pub use std::ptr::{null, null_mut};
}

/// Make a message safe for a C string: NUL bytes become the two characters `\0`.
pub fn c_safe(msg: impl Into<String>) -> String {
    let msg = msg.into();
    if msg.contains('\0') {
        msg.replace('\0', "\\0")
    } else {
        msg
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Run `f`, turning a panic into an error that names `what` and carries the panic message.
///
/// Used inside every trait method the SDK calls, so that a bug shows up in Falco's log as
/// `edera: internal error in next_batch: ...` instead of killing Falco.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(anyhow::anyhow!(c_safe(format!(
            "internal error in {what}: panic: {}",
            panic_message(payload.as_ref())
        )))),
    }
}

/// Run `f`; if it panics, log the panic and return `on_panic()` instead. For the FFI exports and
/// for trait methods that cannot report an error (`get_metrics`, `get_progress`, `close`).
pub fn contain<T>(what: &str, f: impl FnOnce() -> T, on_panic: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            // Outside `catch_unwind`: a panic in the logger itself would abort (extern "C").
            log::error!(
                "{}",
                c_safe(format!(
                    "internal error in {what}: panic: {}",
                    panic_message(payload.as_ref())
                ))
            );
            on_panic()
        }
    }
}

// The plugin API table, built by the SDK. `static_plugin!` exports it unmangled under this name;
// libsinsp looks up only the `plugin_*` functions `plugin-so/` defines with it. (The macro calls
// itself by its bare name, hence the import.)
static_plugin!(pub EDERA_PLUGIN_API = crate::EderaPlugin);

/// The failure code the symbols return after a panic.
pub const FAILURE: ss_plugin_rc = ss_plugin_rc_SS_PLUGIN_FAILURE;

/// After a panic: store `SS_PLUGIN_FAILURE` through the (possibly NULL) `rc` out pointer and
/// return `value`.
///
/// # Safety
/// `rc` is NULL or valid for writes.
pub unsafe fn failed<T>(rc: *mut ss_plugin_rc, value: T) -> T {
    if let Some(rc) = unsafe { rc.as_mut() } {
        *rc = FAILURE;
    }
    value
}

/// After a panic: store 0 through the (possibly NULL) count out pointer and return `value`.
///
/// # Safety
/// `count` is NULL or valid for writes.
pub unsafe fn none<T>(count: *mut u32, value: T) -> T {
    if let Some(count) = unsafe { count.as_mut() } {
        *count = 0;
    }
    value
}

/// Defines the exported `plugin_*` symbols of a plugin `.so`: `plugin_symbols!(TABLE; caps)`,
/// `TABLE` a `static_plugin!` API table, `caps` some of `base`, `source`, `parse`, `extract` (the
/// capabilities the table has; a missing entry is a compile-time error). Each symbol calls the
/// table's entry inside [`contain`], with a failure value after a panic.
#[macro_export]
macro_rules! plugin_symbols {
    ($table:expr; $($cap:ident),+) => {
        $($crate::plugin_symbols!(@ $cap $table);)+
    };
    (@ base $table:expr) => {
        $crate::plugin_symbols! { @ export $table;
            plugin_get_required_api_version = get_required_api_version() -> *const c_char,
                on panic null();
            plugin_get_version = get_version() -> *const c_char, on panic null();
            plugin_get_name = get_name() -> *const c_char, on panic null();
            plugin_get_description = get_description() -> *const c_char, on panic null();
            plugin_get_contact = get_contact() -> *const c_char, on panic null();
            plugin_get_init_schema = get_init_schema(schema_type: *mut u32) -> *const c_char,
                on panic null();
            // No plugin state to hand back after a panic: NULL plus a failure code.
            plugin_init = init(input: *const ss_plugin_init_input, rc: *mut ss_plugin_rc)
                -> *mut ss_plugin_t,
                on panic unsafe { failed(rc, null_mut()) };
            plugin_destroy = destroy(plugin: *mut ss_plugin_t) -> (), on panic ();
            plugin_get_last_error = get_last_error(plugin: *mut ss_plugin_t) -> *const c_char,
                on panic null();
            plugin_set_config = set_config(
                plugin: *mut ss_plugin_t,
                input: *const ss_plugin_set_config_input
            ) -> ss_plugin_rc,
                on panic FAILURE;
            plugin_get_metrics = get_metrics(plugin: *mut ss_plugin_t, num_metrics: *mut u32)
                -> *mut ss_plugin_metric,
                on panic unsafe { none(num_metrics, null_mut()) };
        }
    };
    (@ source $table:expr) => {
        $crate::plugin_symbols! { @ export $table;
            plugin_get_id = __bindgen_anon_1.get_id() -> u32, on panic 0;
            plugin_get_event_source = __bindgen_anon_1.get_event_source() -> *const c_char,
                on panic null();
            plugin_list_open_params = __bindgen_anon_1.list_open_params(
                plugin: *mut ss_plugin_t,
                rc: *mut ss_plugin_rc
            ) -> *const c_char,
                on panic unsafe { failed(rc, null()) };
            plugin_open = __bindgen_anon_1.open(
                plugin: *mut ss_plugin_t,
                params: *const c_char,
                rc: *mut ss_plugin_rc
            ) -> *mut ss_instance_t,
                on panic unsafe { failed(rc, null_mut()) };
            plugin_close = __bindgen_anon_1.close(
                plugin: *mut ss_plugin_t,
                instance: *mut ss_instance_t
            ) -> (),
                on panic ();
            plugin_next_batch = __bindgen_anon_1.next_batch(
                plugin: *mut ss_plugin_t,
                instance: *mut ss_instance_t,
                nevts: *mut u32,
                evts: *mut *mut *mut ss_plugin_event
            ) -> ss_plugin_rc,
                on panic unsafe { none(nevts, FAILURE) };
            plugin_get_progress = __bindgen_anon_1.get_progress(
                plugin: *mut ss_plugin_t,
                instance: *mut ss_instance_t,
                progress_pct: *mut u32
            ) -> *const c_char,
                on panic unsafe { none(progress_pct, null()) };
            plugin_event_to_string = __bindgen_anon_1.event_to_string(
                plugin: *mut ss_plugin_t,
                event: *const ss_plugin_event_input
            ) -> *const c_char,
                on panic null();
        }
    };
    (@ parse $table:expr) => {
        $crate::plugin_symbols! { @ export $table;
            plugin_get_parse_event_types = __bindgen_anon_3.get_parse_event_types(
                numtypes: *mut u32,
                plugin: *mut ss_plugin_t
            ) -> *mut u16,
                on panic unsafe { none(numtypes, null_mut()) };
            plugin_get_parse_event_sources = __bindgen_anon_3.get_parse_event_sources()
                -> *const c_char,
                on panic null();
            plugin_parse_event = __bindgen_anon_3.parse_event(
                plugin: *mut ss_plugin_t,
                event: *const ss_plugin_event_input,
                input: *const ss_plugin_event_parse_input
            ) -> ss_plugin_rc,
                on panic FAILURE;
        }
    };
    (@ extract $table:expr) => {
        $crate::plugin_symbols! { @ export $table;
            plugin_get_fields = __bindgen_anon_2.get_fields() -> *const c_char, on panic null();
            plugin_get_extract_event_types = __bindgen_anon_2.get_extract_event_types(
                numtypes: *mut u32,
                plugin: *mut ss_plugin_t
            ) -> *mut u16,
                on panic unsafe { none(numtypes, null_mut()) };
            plugin_get_extract_event_sources = __bindgen_anon_2.get_extract_event_sources()
                -> *const c_char,
                on panic null();
            plugin_extract_fields = __bindgen_anon_2.extract_fields(
                plugin: *mut ss_plugin_t,
                event: *const ss_plugin_event_input,
                input: *const ss_plugin_field_extract_input
            ) -> ss_plugin_rc,
                on panic FAILURE;
        }
    };
    (@ export $table:expr; $(
        $symbol:ident = $($entry:ident).+ ($($arg:ident: $ty:ty),*) -> $ret:ty,
            on panic $on_panic:expr;
    )*) => {
        // In a block of their own so that the names they use need no import at the call site;
        // `no_mangle` functions are exported from wherever they are.
        const _: () = {
            #[allow(unused_imports)]
            use $crate::ffi::{FAILURE, failed, none, reexport::*};
            $(
        /// # Safety
        ///
        /// Called by the plugin framework with pointers that obey the Falco plugin API contract.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $symbol($($arg: $ty),*) -> $ret {
            const SDK: unsafe extern "C-unwind" fn($($ty),*) -> $ret =
                match $table.$($entry).+ {
                    Some(f) => f,
                    None => panic!(concat!("the SDK's API table has no ", stringify!($symbol))),
                };
            $crate::ffi::contain(
                stringify!($symbol),
                // SAFETY: the caller's arguments, as the SDK's entry expects them.
                || unsafe { SDK($($arg),*) },
                || $on_panic,
            )
        }
            )*
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_safe_escapes_nul() {
        assert_eq!(c_safe("a\0b"), "a\\0b");
        assert_eq!(c_safe("plain"), "plain");
    }

    #[test]
    fn guarded_turns_panic_into_error() {
        let err = guarded::<()>("unit test", || panic!("boom")).unwrap_err();
        assert_eq!(err.to_string(), "internal error in unit test: panic: boom");
    }

    #[test]
    fn contain_returns_fallback() {
        assert_eq!(contain("unit test", || -> i32 { panic!("boom") }, || 7), 7);
    }
}
