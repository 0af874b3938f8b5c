//! The FFI boundary: panic containment and the exported `plugin_*` symbols.
//!
//! # What falco_plugin 0.5.1 does and does not do (checked in its source)
//!
//! The SDK's `plugin!`, `source_plugin!`, `parse_plugin!` and `extract_plugin!` macros export
//! `extern "C-unwind"` functions that call generic wrappers in
//! `falco_plugin::internals::*::wrappers`.
//! **None of them catches panics**: a panic in plugin code (or in the SDK itself) unwinds straight
//! into the caller, i.e. into libsinsp's C++ frames, which ends the Falco process. The SDK also has
//! a few panics of its own on the FFI path:
//! - `plugin_init` builds its error string with `CString` and panics if the message contains a NUL
//!   byte (possible when an error quotes a config value such as `"\u0000"`);
//! - the config schema, field list and event source list are serialised with `expect(...)`;
//! - a few `Mutex::lock().unwrap()` calls.
//!
//! # What this crate does instead
//!
//! Two layers:
//! 1. [`guarded`] wraps the body of every trait method we implement (`new`, `open`,
//!    `next_batch`, `parse_event`, `event_to_string`, each extractor, ...): a panic becomes an
//!    ordinary error, which the SDK reports through `plugin_get_last_error` like any other.
//! 2. [`export_plugin!`](crate::export_plugin) replaces the SDK's export macros: it exports the
//!    same `plugin_*` symbols, each calling the same SDK wrapper inside
//!    [`std::panic::catch_unwind`], so even a panic in SDK code is contained (the call then
//!    returns `SS_PLUGIN_FAILURE`, NULL or 0, and logs the panic). The functions are `extern "C"`:
//!    if anything ever escaped `catch_unwind` (a panic while dropping a panic payload, or in the
//!    logger), Rust aborts instead of unwinding into C++.
//!
//! After a contained panic the plugin keeps running with whatever state the panicking call left
//! (the closures are `AssertUnwindSafe`); state code must therefore keep its invariants at every
//! point where it can panic, or, better, not panic (bounds-checked decoding, no `unwrap`).
//!
//! Every message we hand to the SDK goes through [`c_safe`], so it never contains a NUL byte.

use falco_plugin::anyhow;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

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

/// Export the plugin API symbols for `$ty` (which must implement `Plugin`, `SourcePlugin`,
/// `ParsePlugin` and `ExtractPlugin`), each one panic-safe. Call once per crate, from `lib.rs`.
///
/// The symbol list, names and signatures are those of the SDK's own export macros for these four
/// capabilities, so libsinsp (and `falco_plugin_runner`) see exactly what `plugin!` +
/// `source_plugin!` + `parse_plugin!` + `extract_plugin!` would export. The required API version
/// is the SDK's default (`falco_plugin::api::PLUGIN_API_VERSION_MAJOR.MINOR.0`, 3.11.0 for 0.5.1),
/// the same as Edera's plugin.
#[macro_export]
#[doc(hidden)]
macro_rules! export_plugin {
    ($ty:ty) => {
        // The SDK's marker traits: "this plugin's capabilities are exported". Sound because every
        // capability's symbols are exported below.
        unsafe impl ::falco_plugin::internals::base::wrappers::BasePluginExported for $ty {}
        unsafe impl ::falco_plugin::internals::source::wrappers::SourcePluginExported for $ty {}
        unsafe impl ::falco_plugin::internals::parse::wrappers::ParsePluginExported for $ty {}
        unsafe impl ::falco_plugin::internals::extract::wrappers::ExtractPluginExported for $ty {}

        /// The exported `plugin_*` functions.
        ///
        /// # Safety
        ///
        /// Each is called by the plugin framework with pointers that obey the Falco plugin API
        /// contract (as the SDK wrappers they call require).
        #[allow(missing_docs, clippy::missing_safety_doc)]
        pub mod __plugin_exports {
            use super::*;
            use ::falco_plugin::api as ffi;
            use ::falco_plugin::internals::base::wrappers as base;
            use ::falco_plugin::internals::extract::wrappers as extract;
            use ::falco_plugin::internals::parse::wrappers as parse;
            use ::falco_plugin::internals::source::wrappers as source;
            use ::std::ffi::c_char;
            use $crate::ffi::contain;

            use ::std::ptr::null_mut;

            const FAILURE: ffi::ss_plugin_rc = ffi::ss_plugin_rc_SS_PLUGIN_FAILURE;

            fn null() -> *const c_char {
                ::std::ptr::null()
            }

            /// After a panic: store `SS_PLUGIN_FAILURE` through the (possibly NULL) `rc` out
            /// pointer and return `value`.
            unsafe fn failed<T>(rc: *mut ffi::ss_plugin_rc, value: T) -> T {
                if let Some(rc) = unsafe { rc.as_mut() } {
                    *rc = FAILURE;
                }
                value
            }

            /// After a panic: store 0 through the (possibly NULL) count out pointer and return
            /// `value`.
            unsafe fn none<T>(count: *mut u32, value: T) -> T {
                if let Some(count) = unsafe { count.as_mut() } {
                    *count = 0;
                }
                value
            }

            // ---- base capability ----

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_required_api_version() -> *const c_char {
                contain(
                    "get_required_api_version",
                    || {
                        base::plugin_get_required_api_version::<
                            { ffi::PLUGIN_API_VERSION_MAJOR as usize },
                            { ffi::PLUGIN_API_VERSION_MINOR as usize },
                            0,
                        >()
                    },
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_version() -> *const c_char {
                contain("get_version", || base::plugin_get_version::<$ty>(), null)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_name() -> *const c_char {
                contain("get_name", || base::plugin_get_name::<$ty>(), null)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_description() -> *const c_char {
                contain(
                    "get_description",
                    || base::plugin_get_description::<$ty>(),
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_contact() -> *const c_char {
                contain("get_contact", || base::plugin_get_contact::<$ty>(), null)
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_init_schema(
                schema_type: *mut u32,
            ) -> *const c_char {
                contain(
                    "get_init_schema",
                    || unsafe { base::plugin_get_init_schema::<$ty>(schema_type) },
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_init(
                input: *const ffi::ss_plugin_init_input,
                rc: *mut ffi::ss_plugin_rc,
            ) -> *mut ffi::ss_plugin_t {
                contain(
                    "init",
                    || unsafe { base::plugin_init::<$ty>(input, rc) },
                    // No plugin state to hand back after a panic: NULL plus a failure code.
                    || unsafe { failed(rc, null_mut()) },
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_destroy(plugin: *mut ffi::ss_plugin_t) {
                contain(
                    "destroy",
                    || unsafe { base::plugin_destroy::<$ty>(plugin) },
                    || (),
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_last_error(
                plugin: *mut ffi::ss_plugin_t,
            ) -> *const c_char {
                contain(
                    "get_last_error",
                    || unsafe { base::plugin_get_last_error::<$ty>(plugin) },
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_set_config(
                plugin: *mut ffi::ss_plugin_t,
                input: *const ffi::ss_plugin_set_config_input,
            ) -> ffi::ss_plugin_rc {
                contain(
                    "set_config",
                    || unsafe { base::plugin_set_config::<$ty>(plugin, input) },
                    || FAILURE,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_metrics(
                plugin: *mut ffi::ss_plugin_t,
                num_metrics: *mut u32,
            ) -> *mut ffi::ss_plugin_metric {
                contain(
                    "get_metrics",
                    || unsafe { base::plugin_get_metrics::<$ty>(plugin, num_metrics) },
                    || unsafe { none(num_metrics, null_mut()) },
                )
            }

            // ---- source capability ----

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_id() -> u32 {
                contain("get_id", || source::plugin_get_id::<$ty>(), || 0)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_event_source() -> *const c_char {
                contain(
                    "get_event_source",
                    || source::plugin_get_event_source::<$ty>(),
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_list_open_params(
                plugin: *mut ffi::ss_plugin_t,
                rc: *mut ffi::ss_plugin_rc,
            ) -> *const c_char {
                contain(
                    "list_open_params",
                    || unsafe { source::plugin_list_open_params::<$ty>(plugin, rc) },
                    || unsafe { failed(rc, ::std::ptr::null()) },
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_open(
                plugin: *mut ffi::ss_plugin_t,
                params: *const c_char,
                rc: *mut ffi::ss_plugin_rc,
            ) -> *mut ffi::ss_instance_t {
                contain(
                    "open",
                    || unsafe { source::plugin_open::<$ty>(plugin, params, rc) },
                    || unsafe { failed(rc, null_mut()) },
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_close(
                plugin: *mut ffi::ss_plugin_t,
                instance: *mut ffi::ss_instance_t,
            ) {
                contain(
                    "close",
                    || unsafe { source::plugin_close::<$ty>(plugin, instance) },
                    || (),
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_next_batch(
                plugin: *mut ffi::ss_plugin_t,
                instance: *mut ffi::ss_instance_t,
                nevts: *mut u32,
                evts: *mut *mut *mut ffi::ss_plugin_event,
            ) -> ffi::ss_plugin_rc {
                contain(
                    "next_batch",
                    || unsafe { source::plugin_next_batch::<$ty>(plugin, instance, nevts, evts) },
                    || unsafe { none(nevts, FAILURE) },
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_progress(
                plugin: *mut ffi::ss_plugin_t,
                instance: *mut ffi::ss_instance_t,
                progress_pct: *mut u32,
            ) -> *const c_char {
                contain(
                    "get_progress",
                    || unsafe {
                        source::plugin_get_progress::<$ty>(plugin, instance, progress_pct)
                    },
                    || unsafe { none(progress_pct, ::std::ptr::null()) },
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_event_to_string(
                plugin: *mut ffi::ss_plugin_t,
                event: *const ffi::ss_plugin_event_input,
            ) -> *const c_char {
                contain(
                    "event_to_string",
                    || unsafe { source::plugin_event_to_string::<$ty>(plugin, event) },
                    null,
                )
            }

            // ---- parse capability ----

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_parse_event_types(
                numtypes: *mut u32,
                plugin: *mut ffi::ss_plugin_t,
            ) -> *mut u16 {
                contain(
                    "get_parse_event_types",
                    || unsafe { parse::plugin_get_parse_event_types::<$ty>(numtypes, plugin) },
                    || unsafe { none(numtypes, null_mut()) },
                )
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_parse_event_sources() -> *const c_char {
                contain(
                    "get_parse_event_sources",
                    || parse::plugin_get_parse_event_sources::<$ty>(),
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_parse_event(
                plugin: *mut ffi::ss_plugin_t,
                event: *const ffi::ss_plugin_event_input,
                input: *const ffi::ss_plugin_event_parse_input,
            ) -> ffi::ss_plugin_rc {
                contain(
                    "parse_event",
                    || unsafe { parse::plugin_parse_event::<$ty>(plugin, event, input) },
                    || FAILURE,
                )
            }

            // ---- extract capability ----

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_fields() -> *const c_char {
                contain("get_fields", || extract::plugin_get_fields::<$ty>(), null)
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_get_extract_event_types(
                numtypes: *mut u32,
                plugin: *mut ffi::ss_plugin_t,
            ) -> *mut u16 {
                contain(
                    "get_extract_event_types",
                    || unsafe { extract::plugin_get_extract_event_types::<$ty>(numtypes, plugin) },
                    || unsafe { none(numtypes, null_mut()) },
                )
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn plugin_get_extract_event_sources() -> *const c_char {
                contain(
                    "get_extract_event_sources",
                    || extract::plugin_get_extract_event_sources::<$ty>(),
                    null,
                )
            }

            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn plugin_extract_fields(
                plugin: *mut ffi::ss_plugin_t,
                event: *const ffi::ss_plugin_event_input,
                input: *const ffi::ss_plugin_field_extract_input,
            ) -> ffi::ss_plugin_rc {
                contain(
                    "extract_fields",
                    || unsafe { extract::plugin_extract_fields::<$ty>(plugin, event, input) },
                    || FAILURE,
                )
            }
        }
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
