//! Structure-aware: events with valid headers and parameter tables built from the schema's
//! event table (a type, then parameters of that type's count and, mostly, their fixed sizes)
//! carrying hostile values (fds, tids and pids the state knows and does not, extreme
//! integers, odd paths, socket addresses of every family with any length), now and then a
//! wrong parameter count or size. They follow a seeded state (a few threads sharing a
//! process, files, sockets and a pipe, users) in a capture replayed through the plugin
//! in-process: conversion, `parse_event`, and every declared field of every event.
//! Invariant: no panic, no failed extraction, bounded allocation.

#![no_main]

use edera_falco_fuzz::Replay;
use edera_falco_fuzz::seeded::{raw_event, seeded_capture};
use edera_scap::info::{EventInfo, ParamInfo, ParamType};
use edera_scap::tables::EVENTS;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Most events per input.
const MAX_EVENTS: usize = 8;
/// Tids the seeded state knows (and one it does not).
const TIDS: [i64; 6] = [1, 100, 101, 200, 4242, 0];
/// Fds the seeded state knows, and the special and absurd ones.
const FDS: [i64; 9] = [0, 1, 3, 4, 5, 6, -1, -100, i64::MAX];
const INTS: [i64; 6] = [0, 1, -1, 2, i64::MIN, i64::MAX];
const PATHS: [&[u8]; 7] = [
    b"/etc/passwd\0",
    b"relative/../x\0",
    b"\0",
    b"",
    b"/proc/self/fd/3\0",
    b"a\0b\0",
    b"//./..//\xff\xfe\0",
];

/// An integer of `size` bytes: a known fd or tid for those types, else an extreme or any.
fn int(u: &mut Unstructured, ptype: ParamType, size: usize) -> Result<Vec<u8>> {
    let v: i64 = match ptype {
        ParamType::Fd | ParamType::Fd32 => *u.choose(&FDS)?,
        ParamType::Pid | ParamType::Pid32 => *u.choose(&TIDS)?,
        _ if u.ratio(1, 2)? => *u.choose(&INTS)?,
        _ => u.arbitrary()?,
    };
    Ok(v.to_le_bytes()[..size.min(8)].to_vec())
}

/// A socket address (or tuple): a family byte, then any bytes, of any length.
fn sockaddr(u: &mut Unstructured) -> Result<Vec<u8>> {
    let family: u8 = *u.choose(&[1u8, 2, 10, 0, 255])?;
    let len = u.int_in_range(0..=40)?;
    let mut b = vec![family];
    b.extend_from_slice(u.bytes(len)?);
    Ok(b)
}

fn param(u: &mut Unstructured, p: &ParamInfo) -> Result<Vec<u8>> {
    if u.ratio(1, 16)? {
        // A value of the wrong size.
        let len = u.int_in_range(0..=24)?;
        return Ok(u.bytes(len)?.to_vec());
    }
    if let Some(size) = p.ptype.fixed_size() {
        return int(u, p.ptype, usize::from(size));
    }
    match p.ptype {
        ParamType::Sockaddr | ParamType::Socktuple => sockaddr(u),
        ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath if u.ratio(2, 3)? => {
            Ok(u.choose(&PATHS)?.to_vec())
        }
        _ => {
            let len = u.int_in_range(0..=300)?;
            Ok(u.bytes(len)?.to_vec())
        }
    }
}

/// One event of type `info` with hostile values, now and then a wrong parameter count.
fn event(u: &mut Unstructured, code: u16, info: &EventInfo, ts: u64) -> Result<Vec<u8>> {
    let mut nparams = info.params.len();
    if u.ratio(1, 16)? {
        nparams = u.int_in_range(0..=nparams + 2)?;
    }
    let values = (0..nparams)
        .map(|i| match info.params.get(i) {
            Some(p) => param(u, p),
            None => Ok(u.bytes(8)?.to_vec()),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(raw_event(ts, *u.choose(&TIDS)?, code, info, &values))
}

fn capture(u: &mut Unstructured) -> Result<Vec<u8>> {
    let mut w = seeded_capture();
    let n = u.int_in_range(1..=MAX_EVENTS)?;
    for i in 0..n {
        let code = u.choose_index(EVENTS.len())?;
        let ts = 1_700_000_000_000_000_000 + 1000 * i as u64;
        let ev = event(u, code as u16, &EVENTS[code], ts)?;
        w.event(u.int_in_range(0..=3)?, &ev).expect("in memory");
    }
    Ok(w.finish().expect("in memory"))
}

fuzz_target!(|data: &[u8]| {
    static REPLAY: OnceLock<Replay> = OnceLock::new();
    if let Ok(file) = capture(&mut Unstructured::new(data)) {
        REPLAY.get_or_init(Replay::default).run(&file);
    }
});
