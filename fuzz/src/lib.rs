//! What the fuzz targets share: the plugin linked in-process and driven through its API table
//! as Falco drives it ([`Replay`]). A capture is written to a file (on tmpfs when there is one)
//! and opened as a capture of a fresh plugin state (`plugin_init`, then `plugin_open` with the
//! file as open params); `next_batch` is called until the end, `parse_event` on every event,
//! and every field the plugin declares is extracted from every event in one `extract_fields`
//! call (as the field table is laid out; libsinsp asks one field per call, which ends in the
//! same field functions). An extraction that fails, rather than answering "no value", is a
//! finding: in Falco it fails every field asked with it. [`Replay::run_beside`] replays two
//! captures as two zones of one plugin state, interleaved, and checks that the second zone's
//! values are those it gives alone (see [`seeded::normal_events`]).
//!
//! A fresh plugin state per input costs little next to the extraction; a long-lived one would
//! keep every input's zone (zone slots are never reused).

pub mod seeded;

use falco_plugin_api as api;
use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut};

/// Most events replayed per input (inputs are small; this bounds a run's time).
const MAX_EVENTS: usize = 4096;
/// Events per `next_batch`: small, so that the two zones of [`Replay::run_beside`] interleave.
const CONFIG: &CStr = c"{\"batch_size\": 4}";
/// Fields whose value depends on the events of every zone by design: the time since the
/// previous event parsed, whichever zone it came from (as Falco's `evt.deltatime`).
const CROSS_ZONE_FIELDS: [&str; 3] = ["evt.deltatime", "evt.deltatime.s", "evt.deltatime.ns"];

/// One declared field, as an extraction request asks for it.
struct Field {
    name: CString,
    ftype: api::ss_plugin_field_type,
    list: bool,
    /// `name[1]` for fields that require an index, `name[fd]` for those that require a key.
    index: Option<u64>,
    key: Option<CString>,
}

/// The plugin API's type code (`ss_plugin_field_type`) of a declared type name.
fn ftype_code(name: &str) -> api::ss_plugin_field_type {
    use api::*;
    [
        ("uint64", ss_plugin_field_type_FTYPE_UINT64),
        ("string", ss_plugin_field_type_FTYPE_STRING),
        ("reltime", ss_plugin_field_type_FTYPE_RELTIME),
        ("abstime", ss_plugin_field_type_FTYPE_ABSTIME),
        ("bool", ss_plugin_field_type_FTYPE_BOOL),
        ("ipaddr", ss_plugin_field_type_FTYPE_IPADDR),
        ("ipnet", ss_plugin_field_type_FTYPE_IPNET),
    ]
    .into_iter()
    .find_map(|(n, code)| (n == name).then_some(code))
    .unwrap_or_else(|| panic!("field type `{name}` unknown to the fuzz driver"))
}

/// The declared fields, from `plugin_get_fields` (JSON).
fn declared_fields(json: &str) -> Vec<Field> {
    let fields: Vec<serde_json::Value> =
        serde_json::from_str(json).expect("the plugin's field list is JSON");
    fields
        .iter()
        .map(|f| {
            let arg = &f["arg"];
            let required = arg["isRequired"].as_bool() == Some(true);
            let by_index = arg["isIndex"].as_bool() == Some(true);
            Field {
                name: CString::new(f["name"].as_str().expect("a field has a name"))
                    .expect("no NUL in a field name"),
                ftype: ftype_code(f["type"].as_str().expect("a field has a type")),
                list: f["isList"].as_bool() == Some(true),
                index: (required && by_index).then_some(1),
                key: (required && !by_index).then(|| c"fd".to_owned()),
            }
        })
        .collect()
}

/// Which values [`Replay::parse_and_extract`] copies out.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    Nothing,
    /// Strings and addresses: those the one call for all fields leaves in place.
    Strings,
    /// Every value: numbers and lists from a call of their own each.
    All,
}

/// What the plugin answered for one field of one event, copied out of the plugin's memory.
#[derive(Debug, PartialEq)]
enum Value {
    Numbers(Vec<u64>),
    Bytes(Vec<Vec<u8>>),
}

unsafe extern "C-unwind" fn no_owner_error(_owner: *mut api::ss_plugin_owner_t) -> *const c_char {
    null()
}

/// A capture file written for one run, removed once the plugin has opened it.
struct CaptureFile {
    path: PathBuf,
    /// `file://PATH`, the open params that select it.
    params: CString,
}

impl CaptureFile {
    fn new(dir: &Path, name: &str) -> CaptureFile {
        let path = dir.join(format!("edera-fuzz-{}-{name}.scap", std::process::id()));
        let params = CString::new(format!("file://{}", path.display())).expect("no NUL in a path");
        CaptureFile { path, params }
    }
}

/// The plugin, ready to replay captures.
pub struct Replay {
    api: &'static api::plugin_api,
    hostile: CaptureFile,
    normal: CaptureFile,
    fields: Vec<Field>,
    /// Whether each field is compared by [`Replay::run_beside`] (not in [`CROSS_ZONE_FIELDS`]).
    compared: Vec<bool>,
    /// For [`Replay::run_beside`].
    normal_zone: Option<NormalZone>,
}

impl Default for Replay {
    fn default() -> Self {
        let api = &edera_falco_plugin::EDERA_PLUGIN_API;
        let get_fields = api.__bindgen_anon_2.get_fields.expect("extract capability");
        // SAFETY: a plugin API function without arguments; it returns a static C string.
        let json = unsafe { CStr::from_ptr(get_fields()) }.to_string_lossy();
        // tmpfs when there is one: creating a file on a disk file system costs more than a run.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        };
        let fields = declared_fields(&json);
        let compared = fields
            .iter()
            .map(|f| !CROSS_ZONE_FIELDS.contains(&f.name.to_str().unwrap_or_default()))
            .collect();
        Replay {
            api,
            hostile: CaptureFile::new(&dir, "hostile"),
            normal: CaptureFile::new(&dir, "normal"),
            fields,
            compared,
            normal_zone: None,
        }
    }
}

/// The normal zone of [`Replay::run_beside`]: its capture, and the values of every field
/// (`None` for [`CROSS_ZONE_FIELDS`]) of each of its events replayed alone.
struct NormalZone {
    capture: Vec<u8>,
    expected: Vec<Vec<Option<Value>>>,
}

/// A plugin state and the captures opened on it; closed and destroyed on drop.
struct Session {
    api: &'static api::plugin_api,
    plugin: *mut api::ss_plugin_t,
    captures: Vec<*mut api::ss_instance_t>,
    /// Events handed out so far (Falco's event number of the next one, minus one).
    events: u64,
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: closing the captures opened and destroying the state created, once each.
        unsafe {
            if let Some(close) = self.api.__bindgen_anon_1.close {
                for &capture in &self.captures {
                    close(self.plugin, capture);
                }
            }
            if !self.plugin.is_null()
                && let Some(destroy) = self.api.destroy
            {
                destroy(self.plugin);
            }
        }
    }
}

impl Session {
    /// `plugin_init` with [`CONFIG`].
    fn new(api: &'static api::plugin_api) -> Session {
        static OWNER: u8 = 0;
        let input = api::ss_plugin_init_input {
            config: CONFIG.as_ptr(),
            owner: (&raw const OWNER).cast_mut().cast(),
            get_owner_last_error: Some(no_owner_error),
            tables: null(),
            log_fn: None,
        };
        let init = api.init.expect("plugin_init");
        let mut rc = api::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `input` and the config outlive the call.
        let plugin = unsafe { init(&input, &mut rc) };
        let session = Session {
            api,
            plugin,
            captures: Vec::new(),
            events: 0,
        };
        assert!(
            !plugin.is_null() && rc == api::ss_plugin_rc_SS_PLUGIN_SUCCESS,
            "plugin_init failed (rc {rc})"
        );
        session
    }

    /// Writes `bytes` to `file` and opens it as a capture (a new zone); its index in
    /// `captures`, or `None` if the plugin refuses it.
    fn open(&mut self, file: &CaptureFile, bytes: &[u8]) -> Option<usize> {
        std::fs::write(&file.path, bytes).expect("capture file written");
        let open = self.api.__bindgen_anon_1.open.expect("plugin_open");
        let mut rc = api::ss_plugin_rc_SS_PLUGIN_FAILURE;
        // SAFETY: `plugin` is the live state; the params outlive the call.
        let capture = unsafe { open(self.plugin, file.params.as_ptr(), &mut rc) };
        // The source has the file open (or refused it): the name is not needed any more.
        let _ = std::fs::remove_file(&file.path);
        (rc == api::ss_plugin_rc_SS_PLUGIN_SUCCESS).then(|| {
            self.captures.push(capture);
            self.captures.len() - 1
        })
    }

    /// The next batch of capture `c`, numbered; `None` at its end (or on a timeout or an
    /// error: a file source has nothing more then). Valid until the next call for `c`.
    fn next_batch(&mut self, c: usize) -> Option<Vec<api::ss_plugin_event_input>> {
        let next_batch = self.api.__bindgen_anon_1.next_batch.expect("source");
        // SAFETY: a plugin API function without arguments; a static string.
        let source = self
            .api
            .__bindgen_anon_1
            .get_event_source
            .map_or(null(), |f| unsafe { f() });
        let mut n = 0u32;
        let mut batch: *mut *mut api::ss_plugin_event = null_mut();
        // SAFETY: live plugin state and capture; out-pointers to locals.
        let rc = unsafe { next_batch(self.plugin, self.captures[c], &mut n, &mut batch) };
        if rc != api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            return None;
        }
        let events = (0..n as usize)
            .map(|i| {
                self.events += 1;
                api::ss_plugin_event_input {
                    // SAFETY: the batch holds `n` event pointers, valid until the next batch.
                    evt: unsafe { *batch.add(i) },
                    evtnum: self.events,
                    evtsrc: source,
                }
            })
            .collect();
        Some(events)
    }
}

impl Replay {
    /// A replay for [`Replay::run_beside`]: the normal zone replayed alone once, its values kept.
    pub fn with_normal_zone() -> Replay {
        let mut replay = Replay::default();
        let normal = seeded::normal_events();
        let mut session = Session::new(replay.api);
        let c = session
            .open(&replay.normal, &normal)
            .expect("the normal zone's capture opens");
        let mut values = Vec::new();
        while let Some(events) = session.next_batch(c) {
            for event in &events {
                values.push(replay.parse_and_extract(&session, event, Keep::All));
            }
        }
        drop(session);
        replay.normal_zone = Some(NormalZone {
            capture: normal,
            expected: values,
        });
        replay
    }

    /// Replays `capture` (the bytes of a `.scap` file) through a fresh plugin state and
    /// extracts every field of every event; returns the number of events. A capture the
    /// plugin refuses at open is not an error.
    ///
    /// # Panics
    /// When an extraction or a `parse_event` fails, or the plugin cannot be initialised.
    pub fn run(&self, capture: &[u8]) -> usize {
        let mut session = Session::new(self.api);
        let Some(c) = session.open(&self.hostile, capture) else {
            return 0;
        };
        while (session.events as usize) < MAX_EVENTS
            && let Some(events) = session.next_batch(c)
        {
            for event in &events {
                self.parse_and_extract(&session, event, Keep::Nothing);
            }
        }
        session.events as usize
    }

    /// Replays `capture` as one zone and the normal zone ([`seeded::normal_events`]) as
    /// another of the same plugin state, a batch of each in turn, and checks that the normal
    /// events' fields (but [`CROSS_ZONE_FIELDS`]) have the values they have without the other
    /// zone: the strings and addresses of every normal event, every field of the last one
    /// (numbers and lists cost a call each, see [`Keep`]).
    ///
    /// # Panics
    /// As [`Replay::run`], and when a normal event's value differs.
    pub fn run_beside(&self, capture: &[u8]) {
        let NormalZone {
            capture: normal,
            expected,
        } = self
            .normal_zone
            .as_ref()
            .expect("a Replay::with_normal_zone");
        let mut session = Session::new(self.api);
        let hostile = session.open(&self.hostile, capture);
        let normal_zone = session
            .open(&self.normal, normal)
            .expect("the normal zone's capture opens");
        let (mut hostile_done, mut seen) = (hostile.is_none(), 0);
        loop {
            if !hostile_done && (session.events as usize) < MAX_EVENTS {
                match hostile.and_then(|c| session.next_batch(c)) {
                    Some(events) => {
                        for event in &events {
                            self.parse_and_extract(&session, event, Keep::Nothing);
                        }
                    }
                    None => hostile_done = true,
                }
            } else {
                hostile_done = true;
            }
            match session.next_batch(normal_zone) {
                Some(events) => {
                    for event in &events {
                        let keep = if seen + 1 == expected.len() {
                            Keep::All
                        } else {
                            Keep::Strings
                        };
                        let got = self.parse_and_extract(&session, event, keep);
                        let want = expected
                            .get(seen)
                            .expect("no more normal events than alone");
                        for ((f, want), got) in self.fields.iter().zip(want).zip(got) {
                            if got.is_some() {
                                assert_eq!(
                                    want, &got,
                                    "normal event {seen}: {:?} changed beside the hostile zone",
                                    f.name
                                );
                            }
                        }
                        seen += 1;
                    }
                }
                None if hostile_done => break,
                None => {}
            }
        }
        assert_eq!(
            seen,
            expected.len(),
            "normal events lost beside the hostile zone"
        );
    }

    /// `parse_event`, then every field in one `extract_fields` call; the values `keep` asks
    /// for of the compared fields (`None` for the others).
    fn parse_and_extract(
        &self,
        session: &Session,
        event: &api::ss_plugin_event_input,
        keep: Keep,
    ) -> Vec<Option<Value>> {
        // SAFETY (the vtables): they hold only `Option<fn>` entries, for which zero is `None`;
        // the SDK only checks that the pointers are there.
        let mut reader_ext: api::ss_plugin_table_reader_vtable_ext = unsafe { std::mem::zeroed() };
        let mut writer_ext: api::ss_plugin_table_writer_vtable_ext = unsafe { std::mem::zeroed() };
        let reader: api::ss_plugin_table_reader_vtable = unsafe { std::mem::zeroed() };
        let writer: api::ss_plugin_table_writer_vtable = unsafe { std::mem::zeroed() };
        let parse = self
            .api
            .__bindgen_anon_3
            .parse_event
            .expect("parse capability");
        let parse_input = api::ss_plugin_event_parse_input {
            owner: null_mut(),
            get_owner_last_error: Some(no_owner_error),
            table_reader: reader,
            table_writer: writer,
            table_reader_ext: &mut reader_ext,
            table_writer_ext: &mut writer_ext,
        };
        // SAFETY: live plugin state; the inputs outlive the call.
        let rc = unsafe { parse(session.plugin, event, &parse_input) };
        assert_eq!(
            rc,
            api::ss_plugin_rc_SS_PLUGIN_SUCCESS,
            "parse_event failed"
        );
        let extract = self
            .api
            .__bindgen_anon_2
            .extract_fields
            .expect("extract capability");
        let mut extract_into = |requests: &mut [api::ss_plugin_extract_field]| {
            let input = api::ss_plugin_field_extract_input {
                owner: null_mut(),
                get_owner_last_error: Some(no_owner_error),
                num_fields: requests.len() as u32,
                fields: requests.as_mut_ptr(),
                table_reader: reader,
                table_reader_ext: &mut reader_ext,
                value_offsets: null_mut(),
            };
            // SAFETY: live plugin state; the inputs outlive the call.
            unsafe { extract(session.plugin, event, &input) }
        };
        let mut requests: Vec<api::ss_plugin_extract_field> = self
            .fields
            .iter()
            .enumerate()
            .map(|(id, f)| api::ss_plugin_extract_field {
                res: api::ss_plugin_extract_field__bindgen_ty_1 { u64_: null_mut() },
                res_len: 0,
                field_id: id as u32,
                field: f.name.as_ptr(),
                arg_key: f.key.as_ref().map_or(null(), |k| k.as_ptr()),
                arg_index: f.index.unwrap_or(0),
                arg_present: u32::from(f.index.is_some() || f.key.is_some()),
                ftype: f.ftype,
                flist: u32::from(f.list),
            })
            .collect();
        // All fields in one call; if that fails, one by one to name the field that fails.
        if extract_into(&mut requests) == api::ss_plugin_rc_SS_PLUGIN_SUCCESS {
            if keep == Keep::Nothing {
                return Vec::new();
            }
            // The SDK (falco_plugin 0.5.1) writes numbers, and the pointer arrays of lists,
            // into bump storage that it takes back at once; the next field of the same call
            // overwrites them (libsinsp asks one field per call, so Falco never sees this).
            // Strings and addresses stay: they are copied from this call, the others read from
            // calls of their own.
            let mut values: Vec<Option<Value>> = requests
                .iter()
                .zip(&self.fields)
                .zip(&self.compared)
                .map(|((r, f), &compared)| {
                    // SAFETY: the values of a successful extraction, valid until the next one.
                    (compared && survives_next_field(f)).then(|| unsafe { value_of(r) })
                })
                .collect();
            for (i, request) in requests.iter_mut().enumerate() {
                if keep == Keep::All && self.compared[i] && !survives_next_field(&self.fields[i]) {
                    let rc = extract_into(std::slice::from_mut(request));
                    assert_eq!(rc, api::ss_plugin_rc_SS_PLUGIN_SUCCESS, "extraction failed");
                    // SAFETY: as above, before the next extraction.
                    values[i] = Some(unsafe { value_of(request) });
                }
            }
            return values;
        }
        for (f, request) in self.fields.iter().zip(&mut requests) {
            let rc = extract_into(std::slice::from_mut(request));
            assert_eq!(
                rc,
                api::ss_plugin_rc_SS_PLUGIN_SUCCESS,
                "extracting {:?} failed",
                f.name
            );
        }
        panic!("extracting every field at once failed, and each field alone succeeds");
    }
}

/// Whether the SDK leaves a field's value in place while later fields of the same
/// `extract_fields` call are extracted: single strings and addresses.
fn survives_next_field(f: &Field) -> bool {
    use api::*;
    !f.list
        && [
            ss_plugin_field_type_FTYPE_STRING,
            ss_plugin_field_type_FTYPE_IPADDR,
            ss_plugin_field_type_FTYPE_IPNET,
        ]
        .contains(&f.ftype)
}

/// The values of one answered request, copied.
///
/// # Safety
/// `r` is a request of a successful `extract_fields` call, before the next call.
unsafe fn value_of(r: &api::ss_plugin_extract_field) -> Value {
    use api::*;
    let n = r.res_len as usize;
    let t = r.ftype;
    // SAFETY: the plugin answered `n` values of the request's type.
    unsafe {
        if t == ss_plugin_field_type_FTYPE_STRING {
            Value::Bytes(
                (0..n)
                    .map(|i| CStr::from_ptr(*r.res.str_.add(i)).to_bytes().to_vec())
                    .collect(),
            )
        } else if t == ss_plugin_field_type_FTYPE_BOOL {
            Value::Numbers((0..n).map(|i| u64::from(*r.res.boolean.add(i))).collect())
        } else if t == ss_plugin_field_type_FTYPE_IPADDR || t == ss_plugin_field_type_FTYPE_IPNET {
            Value::Bytes(
                (0..n)
                    .map(|i| {
                        let b = &*r.res.buf.add(i);
                        std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len as usize).to_vec()
                    })
                    .collect(),
            )
        } else {
            Value::Numbers((0..n).map(|i| *r.res.u64_.add(i)).collect())
        }
    }
}
