//! Hostile input: random and malformed parameters for every event type, rendered in every
//! field and buffer format, with a state that answers with awkward names. Nothing may panic,
//! no text may contain a NUL byte (texts become C strings), and every text stays within a
//! bound proportional to the event's size.

use edera_falco_plugin::render::{self, BufFmt, FdRef, Lookup, NoState, Options};
use edera_scap::event::{EventHeader, HEADER_LEN, RawEvent};
use edera_scap::info::ParamType;
use edera_scap::tables::{EVENTS, MAX_PARAMS, PARAM_NAMES};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Up to `max - 1` random bytes.
    fn some_bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max) as usize;
        self.bytes(n)
    }
}

/// A state whose names contain NULs, invalid UTF-8, slashes and dots.
struct Awkward;

const NAME: &[u8] = b"/a/../\xff\xfe\0hidden/./";

impl Lookup for Awkward {
    fn has_thread(&self) -> bool {
        true
    }
    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        (fd % 3 != 0).then_some(FdRef {
            typechar: if fd % 2 == 0 { 0 } else { b'4' },
            proto: Some(b't'),
            name: NAME,
        })
    }
    fn comm(&self, _: i64) -> Option<&[u8]> {
        Some(b"\0x")
    }
    fn user_name(&self, _: u32) -> Option<&[u8]> {
        Some(NAME)
    }
    fn group_name(&self, _: u32) -> Option<&[u8]> {
        Some(b"")
    }
    fn cwd(&self) -> Option<&[u8]> {
        Some(b"relative/cwd")
    }
}

fn encode(code: u16, large: bool, params: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![0u8; HEADER_LEN];
    for p in params {
        if large {
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(p.len().min(u16::MAX as usize) as u16).to_le_bytes());
        }
    }
    for p in params {
        v.extend_from_slice(p);
    }
    let h = EventHeader {
        ts: 1,
        tid: 7,
        len: v.len() as u32,
        etype: code,
        nparams: params.len() as u32,
    };
    let mut hb = [0u8; HEADER_LEN];
    h.write(&mut hb);
    v[..HEADER_LEN].copy_from_slice(&hb);
    v
}

/// A parameter value for type `t`: right-sized, wrong-sized, structured-but-short, or big.
fn value(rng: &mut Rng, t: Option<ParamType>) -> Vec<u8> {
    let fixed = t.and_then(ParamType::fixed_size).map(usize::from);
    match rng.below(8) {
        0 => Vec::new(),
        1 | 2 => match fixed {
            Some(n) => rng.bytes(n),
            None => rng.some_bytes(40),
        },
        3 => rng.some_bytes(24),
        4 => {
            // A family byte and a too-short or odd body (sockaddrs, tuples).
            let mut v = vec![[1u8, 2, 10, 0, 200][rng.below(5) as usize]];
            v.extend(rng.some_bytes(40));
            v
        }
        5 => {
            // A string, maybe unterminated, maybe with inner NULs and invalid UTF-8.
            let mut v = b"../x/\xc3\x28/./y".to_vec();
            if rng.below(2) == 0 {
                v.push(0);
            }
            if rng.below(3) == 0 {
                v.extend_from_slice(b"\0tail\0");
            }
            v
        }
        6 => {
            // An fd list claiming more entries than it holds.
            let mut v = (rng.below(u16::MAX as u64) as u16).to_le_bytes().to_vec();
            v.extend(rng.some_bytes(64));
            v
        }
        _ => rng.some_bytes(6000),
    }
}

const FORMATS: [BufFmt; 12] = [
    BufFmt::NORMAL,
    BufFmt::JSON,
    BufFmt::SIMPLE,
    BufFmt::HEX,
    BufFmt::HEXASCII,
    BufFmt::EOLS,
    BufFmt::EOLS_COMPACT,
    BufFmt::BASE64,
    BufFmt::JSONEOLS,
    BufFmt::JSONHEX,
    BufFmt::JSONHEXASCII,
    BufFmt::JSONBASE64,
];

fn check(text: &[u8], ev_len: usize, what: &str) {
    assert!(
        !text.contains(&0),
        "{what}: NUL in {:?}",
        String::from_utf8_lossy(text)
    );
    let bound = 8 * ev_len + 64 * (MAX_PARAMS + 1) + 4096;
    assert!(
        text.len() <= bound,
        "{what}: {} bytes for a {ev_len}-byte event",
        text.len()
    );
}

fn render_all(bytes: &[u8], rng: &mut Rng) {
    let Ok(ev) = RawEvent::parse(bytes) else {
        return;
    };
    let lookups: [&dyn Lookup; 2] = [&NoState, &Awkward];
    let lk = lookups[rng.below(2) as usize];
    let opts = Options {
        buffer_format: FORMATS[rng.below(FORMATS.len() as u64) as usize],
        max_output_len: [0, 3, 80][rng.below(3) as usize],
    };
    let mut out = Vec::new();
    render::write_args(&mut out, &ev, lk, &opts);
    check(&out, bytes.len(), "args");
    for n in 0..ev.nparams() + 2 {
        out.clear();
        render::write_arg(&mut out, &ev, n, lk, &opts);
        check(&out, bytes.len(), "arg");
    }
    if let Some(info) = ev.info() {
        for p in info.params {
            out.clear();
            render::write_arg_named(&mut out, &ev, p.name_id, lk, &opts);
            check(&out, bytes.len(), "arg.NAME");
            out.clear();
            render::write_rawarg_named(&mut out, &ev, p.name_id, &opts);
            check(&out, bytes.len(), "rawarg.NAME");
        }
    }
    out.clear();
    render::write_res(&mut out, &ev, lk, &opts);
    check(&out, bytes.len(), "res");
    let _ = (render::return_value(&ev), render::failed(&ev));
    check(&render::event_line(&ev, lk), bytes.len(), "line");
}

#[test]
fn random_parameters_for_every_event_type() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for info in EVENTS.iter() {
        for _ in 0..40 {
            let n = match rng.below(4) {
                0 => rng.below(MAX_PARAMS as u64 + 1) as usize,
                _ => info.params.len(),
            };
            let params: Vec<Vec<u8>> = (0..n)
                .map(|i| value(&mut rng, info.params.get(i).map(|p| p.ptype)))
                .collect();
            let bytes = encode(info.code, info.large_payload(), &params);
            render_all(&bytes, &mut rng);
        }
    }
}

#[test]
fn unknown_types_and_extra_parameters() {
    let mut rng = Rng(7);
    let bytes = encode(60000, false, &[vec![1, 2, 3]]);
    let ev = RawEvent::parse(&bytes).unwrap();
    assert!(render::event_line(&ev, &NoState) == b"unknown");
    let mut out = Vec::new();
    render::write_args(&mut out, &ev, &NoState, &Options::default());
    assert!(out.is_empty());
    assert!(!render::write_arg(
        &mut out,
        &ev,
        0,
        &NoState,
        &Options::default()
    ));
    assert_eq!(render::return_value(&ev), None);
    // close_x has two parameters; the rest are ignored.
    let close = EVENTS
        .iter()
        .find(|e| e.id == "PPME_SYSCALL_CLOSE_X")
        .unwrap();
    let mut params = vec![0i64.to_le_bytes().to_vec(), 3i64.to_le_bytes().to_vec()];
    params.extend((0..30).map(|_| rng.bytes(5)));
    let bytes = encode(close.code, false, &params);
    let ev = RawEvent::parse(&bytes).unwrap();
    render::write_args(&mut out, &ev, &NoState, &Options::default());
    assert_eq!(out, b"res=0 fd=3");
    assert!(!render::write_arg(
        &mut out,
        &ev,
        2,
        &NoState,
        &Options::default()
    ));
}

#[test]
fn wrong_sizes_render_as_invalid() {
    let close = EVENTS
        .iter()
        .find(|e| e.id == "PPME_SYSCALL_CLOSE_X")
        .unwrap();
    let bytes = encode(close.code, false, &[vec![1, 2, 3], vec![9; 9]]);
    let ev = RawEvent::parse(&bytes).unwrap();
    let mut out = Vec::new();
    render::write_args(&mut out, &ev, &Awkward, &Options::default());
    assert_eq!(out, b"res=<INVALID> fd=<INVALID>");
    // The return value of a 3-byte first parameter is 0, as libsinsp reads it.
    assert_eq!(render::return_value(&ev), Some(0));
}

#[test]
fn large_buffers_and_invalid_utf8() {
    let write = EVENTS
        .iter()
        .find(|e| e.id == "PPME_SYSCALL_WRITE_X")
        .unwrap();
    let data: Vec<u8> = (0..60_000u32).map(|i| (i % 256) as u8).collect();
    let params = vec![
        60_000i64.to_le_bytes().to_vec(),
        data,
        1i64.to_le_bytes().to_vec(),
        60_000u32.to_le_bytes().to_vec(),
    ];
    let bytes = encode(write.code, write.large_payload(), &params);
    let ev = RawEvent::parse(&bytes).unwrap();
    let mut out = Vec::new();
    assert!(render::write_arg(
        &mut out,
        &ev,
        1,
        &NoState,
        &Options::default()
    ));
    assert_eq!(out.len(), 60_000);
    out.clear();
    let data = PARAM_NAMES.binary_search(&"data").unwrap() as u16;
    render::write_rawarg_named(&mut out, &ev, data, &Options::default());
    assert_eq!(out.len(), 1021);
    // Strings pass through byte for byte.
    let chdir = EVENTS
        .iter()
        .find(|e| e.id == "PPME_SYSCALL_CHDIR_X")
        .unwrap();
    let bytes = encode(
        chdir.code,
        false,
        &[0i64.to_le_bytes().to_vec(), b"/\xff\xfe\0".to_vec()],
    );
    let ev = RawEvent::parse(&bytes).unwrap();
    out.clear();
    render::write_args(&mut out, &ev, &NoState, &Options::default());
    assert_eq!(out, b"res=0 path=/\xff\xfe");
}
