//! Shared helpers of the synthetic render tests: event encoding and a map-backed state.
#![allow(dead_code)]

use std::collections::HashMap;

use edera_falco_plugin::render::{self, FdRef, Lookup, Options};
use edera_scap::event::{EventHeader, HEADER_LEN, RawEvent};
use edera_scap::tables::EVENTS;

/// Encodes an event of the table entry called `id` with the given parameter bytes.
pub fn build(id: &str, params: &[&[u8]]) -> Vec<u8> {
    let info = EVENTS
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id}"));
    let width = if info.large_payload() { 4 } else { 2 };
    let mut v = vec![0u8; HEADER_LEN];
    for p in params {
        if width == 4 {
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
    }
    for p in params {
        v.extend_from_slice(p);
    }
    let h = EventHeader {
        ts: 1,
        tid: 100,
        len: v.len() as u32,
        etype: info.code,
        nparams: params.len() as u32,
    };
    let mut hb = [0u8; HEADER_LEN];
    h.write(&mut hb);
    v[..HEADER_LEN].copy_from_slice(&hb);
    v
}

#[derive(Default)]
pub struct State {
    pub thread: bool,
    pub fds: HashMap<i64, (u8, Option<u8>, &'static str)>,
    pub comms: HashMap<i64, &'static str>,
    pub users: HashMap<u32, &'static str>,
    pub cwd: Option<&'static str>,
}

impl Lookup for State {
    fn has_thread(&self) -> bool {
        self.thread
    }
    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        self.fds.get(&fd).map(|&(typechar, proto, name)| FdRef {
            typechar,
            proto,
            name: name.as_bytes(),
        })
    }
    fn comm(&self, tid: i64) -> Option<&[u8]> {
        self.comms.get(&tid).map(|s| s.as_bytes())
    }
    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        self.users.get(&uid).map(|s| s.as_bytes())
    }
    fn cwd(&self) -> Option<&[u8]> {
        self.cwd.map(str::as_bytes)
    }
}

pub fn state() -> State {
    let mut s = State {
        thread: true,
        cwd: Some("/home/u/"),
        ..State::default()
    };
    s.fds.insert(3, (b'f', None, "/etc/passwd"));
    s.fds
        .insert(4, (b'4', Some(b't'), "127.0.0.1:43228->127.0.0.1:80"));
    s.fds.insert(5, (b'd', None, "/tmp"));
    s.fds.insert(6, (b'e', None, ""));
    s.comms.insert(42, "bash");
    s.users.insert(0, "root");
    s
}

pub fn args_with(bytes: &[u8], lk: &dyn Lookup, opts: &Options) -> String {
    let ev = RawEvent::parse(bytes).unwrap();
    let mut out = Vec::new();
    render::write_args(&mut out, &ev, lk, opts);
    String::from_utf8(out).unwrap()
}

pub fn args(bytes: &[u8], lk: &dyn Lookup) -> String {
    args_with(bytes, lk, &Options::default())
}

pub fn arg(bytes: &[u8], n: usize, lk: &dyn Lookup) -> Option<String> {
    let ev = RawEvent::parse(bytes).unwrap();
    let mut out = Vec::new();
    render::write_arg(&mut out, &ev, n, lk, &Options::default())
        .then(|| String::from_utf8(out).unwrap())
}

pub fn res(bytes: &[u8], lk: &dyn Lookup) -> (Option<String>, Option<i64>, Option<bool>) {
    let ev = RawEvent::parse(bytes).unwrap();
    let mut out = Vec::new();
    let r = render::write_res(&mut out, &ev, lk, &Options::default());
    (
        r.then(|| String::from_utf8(out).unwrap()),
        render::return_value(&ev),
        render::failed(&ev),
    )
}

pub fn le64(v: i64) -> [u8; 8] {
    v.to_le_bytes()
}

pub fn openat(fd: i64, dirfd: i64, name: &[u8]) -> Vec<u8> {
    build(
        "PPME_SYSCALL_OPENAT_2_X",
        &[
            &le64(fd),
            &le64(dirfd),
            name,
            &4097u32.to_le_bytes(),
            &0u32.to_le_bytes(),
            &0x803u32.to_le_bytes(),
            &42u64.to_le_bytes(),
        ],
    )
}
