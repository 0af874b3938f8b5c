//! The plugin side of the benchmark: the built `.so`, driven the way libsinsp drives it.
//!
//! # Why not [`Handle`](edera_falco_harness::handle::Handle) for the timed loop
//!
//! The library is found, built and dlopened by
//! [`plugin_library`](edera_falco_harness::library::plugin_library), and
//! [`cross_check`] replays the first events through the runner harness too, to show that both
//! drivers see the same values. But the runner (falco_plugin_runner 0.5.1) looks every field up
//! by name in a linear scan of the plugin's whole field list on *every* call, copies every
//! string value into a fresh `CString`, and the harness copies every event into a `Vec`: costs
//! of the test harness, not of the plugin, and not what Falco pays (libsinsp resolves a rule's
//! fields to ids once, when it compiles the rule). So the timed loop calls the library's own
//! `plugin_*` functions like libsinsp's plugin source and filter checks do:
//! `plugin_next_batch`, then for each event `plugin_parse_event` and one `plugin_extract_fields`
//! call per field (num_fields = 1, as libsinsp's filter checks ask), with the field id resolved
//! once from `plugin_get_fields`.
//!
//! Each event's values are rendered into one output line (`<NA>` for no value, lists as
//! `(a,b)`), as `sysdig -p` does, and written to the sink the caller gives (`/dev/null` for
//! timed runs), so both sides do comparable work per event.
//!
//! The host side is minimal: no state tables (the plugin keeps its own state and asks for none),
//! table vtables with every entry NULL (the SDK only checks that the pointers exist), an owner
//! without a last error, and a logger that prints to stderr.

use edera_falco_harness::falco_text;
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_harness::library::PluginLibrary;
use falco_plugin_api as api;
use std::ffi::{CStr, CString, c_char};
use std::io::Write;
use std::time::Instant;

/// A field resolved against the plugin's field list.
#[derive(Debug, Clone)]
struct Field {
    name: CString,
    id: u32,
    ftype: u32,
    list: bool,
}

/// Plugin API field type codes (`ss_plugin_field_type`).
fn ftype_code(name: &str) -> Option<u32> {
    Some(match name {
        "uint64" => 8,
        "string" => 9,
        "reltime" => 20,
        "abstime" => 21,
        "bool" => 25,
        "ipaddr" => 40,
        "ipnet" => 41,
        _ => return None,
    })
}

/// One run of the plugin over a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginRun {
    /// Events the plugin delivered.
    pub events: u64,
    /// Wall clock from `plugin_init` and `plugin_open` to EOF, `plugin_close` and
    /// `plugin_destroy` (init and teardown are a few ms; sysdig's time includes its own).
    pub seconds: f64,
    /// Per field (in the order asked): events where it had a value.
    pub present: Vec<u64>,
    /// Per field: extraction calls that failed.
    pub failed: Vec<u64>,
    /// Fields the plugin does not declare (never asked; printed as `<NA>`).
    pub undeclared: Vec<String>,
    /// `next_batch` calls that returned a timeout.
    pub timeouts: u64,
    /// Wall clock from open to the last event delivered (live sources, which do not end).
    pub seconds_to_last: f64,
}

/// When a live source (zone mode) counts as done: after this many timeouts in a row once
/// events have come (each `next_batch` timeout waits up to ~50 ms).
pub const IDLE_TIMEOUTS: u64 = 40;

/// Resolve `fields` against the plugin's field list: `None` for undeclared ones.
fn resolve(library: &PluginLibrary, fields: &[&str]) -> Result<Vec<Option<Field>>, String> {
    let declared = library.fields()?;
    fields
        .iter()
        .map(|&name| {
            let Some((id, info)) = declared
                .iter()
                .enumerate()
                .find(|(_, f)| f["name"].as_str() == Some(name))
            else {
                return Ok(None);
            };
            let type_name = info["type"].as_str().unwrap_or_default();
            let ftype = ftype_code(type_name)
                .ok_or_else(|| format!("field {name} has unknown type `{type_name}`"))?;
            Ok(Some(Field {
                name: CString::new(name).map_err(|_| "NUL in a field name")?,
                id: id as u32,
                ftype,
                list: info["isList"].as_bool().unwrap_or(false),
            }))
        })
        .collect()
}

unsafe extern "C-unwind" fn no_owner_error(_owner: *mut api::ss_plugin_owner_t) -> *const c_char {
    std::ptr::null()
}

unsafe extern "C-unwind" fn log_to_stderr(
    _owner: *mut api::ss_plugin_owner_t,
    component: *const c_char,
    msg: *const c_char,
    severity: api::ss_plugin_log_severity,
) {
    let text = |p: *const c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: the plugin passes NUL-terminated strings valid for this call.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    eprintln!("[plugin {} sev {severity}] {}", text(component), text(msg));
}

/// The plugin state and capture instance; closed and destroyed on drop.
struct Instance {
    library: &'static PluginLibrary,
    plugin: *mut api::ss_plugin_t,
    capture: *mut api::ss_instance_t,
}

impl Instance {
    fn last_error(&self) -> String {
        let Some(f) = self.library.api.get_last_error else {
            return String::new();
        };
        // SAFETY: `plugin` is live; the string stays valid until the next plugin call.
        let p = unsafe { f(self.plugin) };
        if p.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    }

    /// `plugin_init` with `config`, then `plugin_open` with NULL open params (as the runner,
    /// so that the plugin takes its source from the config).
    fn open(library: &'static PluginLibrary, config: &str) -> Result<Instance, String> {
        static OWNER: u8 = 0;
        let config = CString::new(config).map_err(|_| "NUL in the config")?;
        let input = api::ss_plugin_init_input {
            config: config.as_ptr(),
            owner: &OWNER as *const u8 as *mut api::ss_plugin_owner_t,
            get_owner_last_error: Some(no_owner_error),
            tables: std::ptr::null(),
            log_fn: Some(log_to_stderr),
        };
        let init = library.api.init.ok_or("the plugin has no plugin_init")?;
        let mut rc = api::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `input` and the config string outlive the call.
        let plugin = unsafe { init(&input, &mut rc) };
        let mut instance = Instance {
            library,
            plugin,
            capture: std::ptr::null_mut(),
        };
        if plugin.is_null() || rc != api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            return Err(format!(
                "plugin_init failed (rc {rc}): {}",
                instance.last_error()
            ));
        }
        let open = library
            .api
            .__bindgen_anon_1
            .open
            .ok_or("the plugin has no plugin_open")?;
        // SAFETY: `plugin` is the state `init` returned.
        let capture = unsafe { open(plugin, std::ptr::null(), &mut rc) };
        if rc != api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            return Err(format!(
                "plugin_open failed (rc {rc}): {}",
                instance.last_error()
            ));
        }
        instance.capture = capture;
        Ok(instance)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let api = self.library.api;
        // SAFETY: closing the capture we opened and destroying the state we created, once.
        unsafe {
            if !self.capture.is_null()
                && let Some(close) = api.__bindgen_anon_1.close
            {
                close(self.plugin, self.capture);
            }
            if !self.plugin.is_null()
                && let Some(destroy) = api.destroy
            {
                destroy(self.plugin);
            }
        }
    }
}

/// Append the value of one extraction (`res_len` values of type `ftype`) to `line`.
///
/// # Safety
/// `res` must be what the plugin filled in for a successful extraction of type `ftype`.
unsafe fn render(
    line: &mut Vec<u8>,
    res: &api::ss_plugin_extract_field__bindgen_ty_1,
    len: usize,
    ftype: u32,
) {
    if len == 0 {
        line.extend_from_slice(b"<NA>");
        return;
    }
    if len > 1 {
        line.push(b'(');
    }
    for i in 0..len {
        if i > 0 {
            line.push(b',');
        }
        // SAFETY (all arms): the plugin returned `len` values of type `ftype`.
        unsafe {
            match ftype {
                9 => {
                    let p = *res.str_.add(i);
                    if p.is_null() {
                        line.extend_from_slice(b"<NA>");
                    } else {
                        line.extend_from_slice(CStr::from_ptr(p).to_bytes());
                    }
                }
                8 | 20 | 21 => {
                    let _ = write!(line, "{}", *res.u64_.add(i));
                }
                25 => line.extend_from_slice(if *res.boolean.add(i) != 0 {
                    b"true"
                } else {
                    b"false"
                }),
                40 => {
                    let buf = *res.buf.add(i);
                    let bytes = std::slice::from_raw_parts(buf.ptr.cast::<u8>(), buf.len as usize);
                    match bytes.len() {
                        4 => {
                            let a: [u8; 4] = bytes.try_into().unwrap_or_default();
                            let _ = write!(line, "{}", std::net::Ipv4Addr::from(a));
                        }
                        16 => {
                            let a: [u8; 16] = bytes.try_into().unwrap_or_default();
                            let _ = write!(line, "{}", std::net::Ipv6Addr::from(a));
                        }
                        _ => line.extend_from_slice(b"<IP?>"),
                    }
                }
                _ => line.extend_from_slice(b"<IPNET>"),
            }
        }
    }
    if len > 1 {
        line.push(b')');
    }
}

/// Replay the capture named in `config` (`{"source": "file://..."}`) through the plugin,
/// extracting `fields` on every event and writing one line per event to `out`. Stops at EOF,
/// or after `max_events` events if given, or (`stop_when_idle`, for live sources) when no
/// event came for [`IDLE_TIMEOUTS`] timeouts in a row.
pub fn run(
    library: &'static PluginLibrary,
    config: &str,
    fields: &[&str],
    max_events: Option<u64>,
    stop_when_idle: bool,
    out: &mut dyn Write,
) -> Result<PluginRun, String> {
    let resolved = resolve(library, fields)?;
    let api = library.api;
    let next_batch = api
        .__bindgen_anon_1
        .next_batch
        .ok_or("no plugin_next_batch")?;
    let extract = api
        .__bindgen_anon_2
        .extract_fields
        .ok_or("no plugin_extract_fields")?;
    let parse = api.__bindgen_anon_3.parse_event;
    // SAFETY: plugin API function without arguments; a static string.
    let source = api
        .__bindgen_anon_1
        .get_event_source
        .map_or(std::ptr::null(), |f| unsafe { f() });
    // SAFETY: these vtables hold only `Option<fn>` entries, for which all-zero is `None`.
    let mut reader_ext: api::ss_plugin_table_reader_vtable_ext = unsafe { std::mem::zeroed() };
    let mut writer_ext: api::ss_plugin_table_writer_vtable_ext = unsafe { std::mem::zeroed() };
    let reader: api::ss_plugin_table_reader_vtable = unsafe { std::mem::zeroed() };
    let writer: api::ss_plugin_table_writer_vtable = unsafe { std::mem::zeroed() };

    let mut result = PluginRun {
        events: 0,
        seconds: 0.0,
        present: vec![0; fields.len()],
        failed: vec![0; fields.len()],
        undeclared: fields
            .iter()
            .zip(&resolved)
            .filter(|(_, r)| r.is_none())
            .map(|(name, _)| name.to_string())
            .collect(),
        timeouts: 0,
        seconds_to_last: 0.0,
    };
    let mut idle = 0u64;
    let start = Instant::now();
    let instance = Instance::open(library, config)?;
    let owner = std::ptr::null_mut();
    let mut line = Vec::with_capacity(4096);
    'replay: loop {
        let mut nevts = 0u32;
        let mut events: *mut *mut api::ss_plugin_event = std::ptr::null_mut();
        // SAFETY: live plugin state and capture; out-pointers to locals.
        let rc = unsafe { next_batch(instance.plugin, instance.capture, &mut nevts, &mut events) };
        match rc {
            api::ss_plugin_rc_SS_PLUGIN_SUCCESS => {}
            api::ss_plugin_rc_SS_PLUGIN_EOF => break,
            api::ss_plugin_rc_SS_PLUGIN_TIMEOUT => {
                result.timeouts += 1;
                idle += 1;
                if stop_when_idle && result.events > 0 && idle >= IDLE_TIMEOUTS {
                    break;
                }
                continue;
            }
            rc => {
                return Err(format!(
                    "next_batch failed (rc {rc}): {}",
                    instance.last_error()
                ));
            }
        }
        idle = 0;
        for i in 0..nevts as usize {
            if max_events.is_some_and(|max| result.events >= max) {
                break 'replay;
            }
            result.events += 1;
            result.seconds_to_last = start.elapsed().as_secs_f64();
            let event_input = api::ss_plugin_event_input {
                // SAFETY: the batch holds `nevts` event pointers, valid until the next batch.
                evt: unsafe { *events.add(i) },
                evtnum: result.events,
                evtsrc: source,
            };
            if let Some(parse) = parse {
                let parse_input = api::ss_plugin_event_parse_input {
                    owner,
                    get_owner_last_error: Some(no_owner_error),
                    table_reader: reader,
                    table_writer: writer,
                    table_reader_ext: &mut reader_ext,
                    table_writer_ext: &mut writer_ext,
                };
                // SAFETY: live plugin state; inputs outlive the call.
                let rc = unsafe { parse(instance.plugin, &event_input, &parse_input) };
                if rc != api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
                    return Err(format!(
                        "parse_event failed (rc {rc}): {}",
                        instance.last_error()
                    ));
                }
            }
            line.clear();
            for (k, field) in resolved.iter().enumerate() {
                if k > 0 {
                    line.push(b' ');
                }
                let Some(field) = field else {
                    line.extend_from_slice(b"<NA>");
                    continue;
                };
                let mut request = api::ss_plugin_extract_field {
                    res: api::ss_plugin_extract_field__bindgen_ty_1 {
                        u64_: std::ptr::null_mut(),
                    },
                    res_len: 0,
                    field_id: field.id,
                    field: field.name.as_ptr(),
                    arg_key: std::ptr::null(),
                    arg_index: 0,
                    arg_present: 0,
                    ftype: field.ftype,
                    flist: field.list.into(),
                };
                let input = api::ss_plugin_field_extract_input {
                    owner,
                    get_owner_last_error: Some(no_owner_error),
                    num_fields: 1,
                    fields: &mut request,
                    table_reader: reader,
                    table_reader_ext: &mut reader_ext,
                    value_offsets: std::ptr::null_mut(),
                };
                // SAFETY: live plugin state; inputs outlive the call.
                let rc = unsafe { extract(instance.plugin, &event_input, &input) };
                if rc != api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
                    result.failed[k] += 1;
                    line.extend_from_slice(b"<NA>");
                    continue;
                }
                if request.res_len > 0 {
                    result.present[k] += 1;
                }
                // SAFETY: a successful extraction of this field's type.
                unsafe {
                    render(
                        &mut line,
                        &request.res,
                        request.res_len as usize,
                        field.ftype,
                    )
                };
            }
            line.push(b'\n');
            out.write_all(&line)
                .map_err(|e| format!("writing output: {e}"))?;
        }
    }
    drop(instance);
    out.flush().map_err(|e| format!("writing output: {e}"))?;
    result.seconds = start.elapsed().as_secs_f64();
    Ok(result)
}

/// The first `n` events of the capture in `config`, with `fields`, through the runner harness
/// ([`load_plugin`]), rendered as [`run`] renders them;
/// undeclared fields as `<NA>`.
pub fn harness_lines(config: &str, fields: &[&str], n: usize) -> Result<Vec<String>, String> {
    let mut handle = load_plugin(config)?;
    handle.open()?;
    let mut lines = Vec::with_capacity(n);
    // Fields are extracted right after each event, as libsinsp does: the plugin's state answers
    // for the last parsed event only.
    while lines.len() < n {
        let event = match handle.next_event()? {
            Next::Event(event) => event,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            let value = match handle.extract(&event, field) {
                Ok(Some(v)) => falco_text::text(&v).unwrap_or_default(),
                Ok(None) => "<NA>".to_owned(),
                Err(e) if e.starts_with("no plugin declares") => "<NA>".to_owned(),
                Err(e) => return Err(e),
            };
            values.push(value);
        }
        lines.push(values.join(" "));
    }
    Ok(lines)
}

/// Replay the first `n` events through both drivers and compare them line by line: the number
/// of lines compared, or the first difference.
pub fn cross_check(
    library: &'static PluginLibrary,
    config: &str,
    fields: &[&str],
    n: usize,
) -> Result<usize, String> {
    let mut direct = Vec::new();
    run(library, config, fields, Some(n as u64), false, &mut direct)?;
    let direct = String::from_utf8_lossy(&direct).into_owned();
    let harness: String = harness_lines(config, fields, n)?
        .iter()
        .map(|line| format!("{line}\n"))
        .collect();
    if direct == harness {
        return Ok(direct.lines().count());
    }
    let (d, h): (Vec<&str>, Vec<&str>) = (direct.lines().collect(), harness.lines().collect());
    let at = d
        .iter()
        .zip(&h)
        .position(|(a, b)| a != b)
        .unwrap_or(d.len().min(h.len()));
    Err(format!(
        "line {}: direct driver `{}`, harness `{}` ({} and {} lines)",
        at + 1,
        d.get(at).unwrap_or(&"<end>"),
        h.get(at).unwrap_or(&"<end>"),
        d.len(),
        h.len()
    ))
}
