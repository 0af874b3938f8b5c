//! The converter against Falco 0.45 on the fixture captures (`oracle-falco/*.jsonl.gz`): every
//! capture read with the reader and converted gives the event stream Falco numbered, event for
//! event, and the parameters merged from enter events hold the values Falco shows.
//!
//! Established here (see `falco_numbers_every_event_the_converter_hands_on`): libsinsp numbers
//! (`evt.num`) exactly the events the converter hands on, 1, 2, 3, ...; events the converter
//! stores or drops are not numbered. Falco then does not show some numbered events: syscall
//! enter events the converter lets through (open, connect, execve enter layouts) and some
//! metaevents (container JSON, user/group added); every other handed-on event is in the oracle.

mod reader_support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use edera_scap::convert::{Converter, Outcome};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use edera_scap::info::{Direction, EventInfo, ParamType, PrintFormat, event_info};
use edera_scap::tables::{EventCode, PPM_SC_NAMES, ec, syscalls};
use reader_support::fixtures_dir;
use serde_json::Value;

const FIXTURES: &[&str] = &[
    "cat_write",
    "connect_localhost",
    "curl_google",
    "curl_google_comments",
    "empty",
    "empty_2016",
    "open-multiple-files",
    "ping_sendto",
    "privileged",
    "run_as_user_0_container",
    "run_as_user_65534_container",
    "sample",
    "single_ipv6_conn",
    "syscall",
    "test_ipv6_client",
    "write_tmp_test",
];

/// One event the converter handed on.
struct Out {
    bytes: Vec<u8>,
    converted: bool,
    /// Type and parameter count of the event as read (before conversion).
    read_as: (u16, u32),
}

fn convert_all(path: &Path) -> (Vec<Out>, Converter) {
    let mut r = CaptureReader::open(path, GeneratedTable, Limits::default()).unwrap();
    let mut c = Converter::default();
    let mut out = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        let read_as = (ev.event_type(), ev.nparams());
        let o = match c.convert(ev.bytes()) {
            Outcome::Pass(b) => Out {
                bytes: b.to_vec(),
                converted: false,
                read_as,
            },
            Outcome::Converted(b) => Out {
                bytes: b.to_vec(),
                converted: true,
                read_as,
            },
            Outcome::Drop(_) => continue,
            Outcome::Error(e) => panic!("{}: {e}", path.display()),
        };
        out.push(o);
        assert_eq!(c.handed_out(), out.len() as u64);
    }
    (out, c)
}

fn oracle(dir: &Path, name: &str) -> Vec<Value> {
    let f = std::fs::File::open(dir.join(format!("oracle-falco/{name}.jsonl.gz"))).unwrap();
    BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

/// `evt.type` as libsinsp prints it: generic events by their syscall (ppm_sc code, or the
/// x86_64 native number when the code is unknown).
fn type_name(ev: &RawEvent) -> &'static str {
    let info = ev.info().unwrap();
    if ev.header.etype != EventCode::GenericX as u16 {
        return info.name;
    }
    let sc = ev.param_as::<u16>(0).unwrap_or(0);
    let sc = match (sc, ev.param_as::<u16>(1)) {
        (0, Some(native)) => syscalls::X86_64
            .iter()
            .find(|s| s.nr == u32::from(native))
            .map_or(0, |s| s.ppm_sc),
        (sc, _) => sc,
    };
    PPM_SC_NAMES[usize::from(sc)]
}

/// Events Falco numbers but does not show.
fn unshown_kind(info: &EventInfo) -> bool {
    let syscall_enter = info.category & ec::SYSCALL != 0 && info.direction == Direction::Enter;
    syscall_enter || info.category & ec::METAEVENT != 0
}

#[test]
fn falco_numbers_every_event_the_converter_hands_on() {
    let Some(dir) = fixtures_dir() else { return };
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>6} {:>7}",
        "fixture", "read", "out", "conv", "stored", "oracle"
    );
    for name in FIXTURES {
        let (out, c) = convert_all(&dir.join(format!("{name}.scap")));
        let s = c.stats();
        let rows = oracle(&dir, name);
        let read = s.passed + s.converted + s.stored + s.dropped + s.unknown_types + s.errors;
        println!(
            "{name:<28} {read:>6} {:>6} {:>6} {:>6} {:>7}",
            out.len(),
            s.converted,
            s.stored,
            rows.len()
        );
        assert_eq!(
            (s.errors, s.evictions, s.unknown_types),
            (0, 0, 0),
            "{name}"
        );

        let mut shown = vec![false; out.len()];
        let mut last = 0;
        for o in &rows {
            let num = o["evt.num"].as_u64().unwrap();
            assert!(num > last, "{name}: oracle numbers increase");
            last = num;
            let ev = out
                .get(num as usize - 1)
                .unwrap_or_else(|| panic!("{name}: evt.num {num} past our {} events", out.len()));
            let raw = RawEvent::parse(&ev.bytes).unwrap();
            let ours = (raw.header.ts, raw.header.tid as i64, type_name(&raw));
            let want = (
                o["evt.rawtime"].as_u64().unwrap(),
                o["thread.tid"].as_i64().unwrap(),
                o["evt.type"].as_str().unwrap(),
            );
            assert_eq!(ours, want, "{name}: evt.num {num}");
            let dir_sym = raw.info().unwrap().direction.symbol();
            assert_eq!(
                dir_sym,
                o["evt.dir"].as_str().unwrap(),
                "{name}: evt.num {num}"
            );
            shown[num as usize - 1] = true;
        }
        for (i, ev) in out.iter().enumerate().filter(|(i, _)| !shown[*i]) {
            let info = event_info(u16::from_le_bytes([ev.bytes[20], ev.bytes[21]])).unwrap();
            assert!(
                unshown_kind(info),
                "{name}: event {} ({}) is not in the oracle",
                i + 1,
                info.id
            );
        }
        for ev in out.iter().filter(|e| e.converted) {
            let raw = RawEvent::parse(&ev.bytes).unwrap();
            let info = raw.info().unwrap();
            assert_eq!(
                raw.nparams(),
                info.params.len(),
                "{name}: converted {} has its current layout",
                info.id
            );
        }
    }
}

/// A parameter rendered the way the oracle shows it, when that rendering is unambiguous: a
/// decimal integer, or a plain absolute path or printable string. `None` when not comparable.
fn plain(info: &EventInfo, raw: &RawEvent, i: usize) -> Option<String> {
    let p = info.params.get(i)?;
    let b = raw.param(i).filter(|b| !b.is_empty())?;
    use ParamType as T;
    let int = |signed: bool| -> Option<String> {
        let mut w = [0u8; 8];
        w.get_mut(..b.len())?.copy_from_slice(b);
        let u = u64::from_le_bytes(w);
        let shift = 64 - 8 * b.len() as u32;
        Some(if signed {
            (((u << shift) as i64) >> shift).to_string()
        } else {
            u.to_string()
        })
    };
    match p.ptype {
        _ if p.fmt != PrintFormat::Dec && !matches!(p.ptype, T::Charbuf | T::Fspath) => None,
        T::Int8
        | T::Int16
        | T::Int32
        | T::Int64
        | T::Errno
        | T::Fd
        | T::Pid
        | T::Fd32
        | T::Pid32 => int(true),
        T::Uint8 | T::Uint16 | T::Uint32 | T::Uint64 | T::Uid | T::Gid | T::Port => int(false),
        T::Charbuf | T::Fspath => {
            let s = b.strip_suffix(b"\0").unwrap_or(b);
            let printable = !s.is_empty() && s.iter().all(|c| (0x20..0x7f).contains(c));
            (printable && (p.ptype == T::Charbuf || s.starts_with(b"/")))
                .then(|| String::from_utf8_lossy(s).into_owned())
        }
        _ => None,
    }
}

#[test]
fn merged_parameters_hold_the_values_falco_shows() {
    let Some(dir) = fixtures_dir() else { return };
    let mut checked: HashMap<&str, usize> = HashMap::new();
    let mut total = 0;
    // Values of parameters the event did not have as read (appended by the conversion).
    let mut appended = 0;
    for name in FIXTURES {
        let (out, _) = convert_all(&dir.join(format!("{name}.scap")));
        for o in oracle(&dir, name) {
            let num = o["evt.num"].as_u64().unwrap() as usize;
            let ev = &out[num - 1];
            if !ev.converted {
                continue;
            }
            let raw = RawEvent::parse(&ev.bytes).unwrap();
            let info = raw.info().unwrap();
            let fields = [
                ("evt.arg[0]", Some(0)),
                ("evt.arg[1]", Some(1)),
                ("evt.arg.fd", info.param_index("fd")),
                ("evt.arg.name", info.param_index("name")),
            ];
            for (field, idx) in fields {
                let (Some(i), Some(want)) = (idx, o[field].as_str()) else {
                    continue;
                };
                let Some(ours) = plain(info, &raw, i) else {
                    continue;
                };
                let is_int = ours.parse::<i64>().is_ok() || ours.parse::<u64>().is_ok();
                // An integer the oracle shows as a name (fds, pids, errnos) is not comparable.
                if is_int && want.parse::<i64>().is_err() && want.parse::<u64>().is_err() {
                    continue;
                }
                assert_eq!(ours, want, "{name}: evt.num {num} {} {field}", info.id);
                *checked.entry(info.name).or_default() += 1;
                total += 1;
                if ev.read_as.0 == raw.header.etype && i >= ev.read_as.1 as usize {
                    appended += 1;
                }
            }
        }
    }
    let mut by_type: Vec<_> = checked.into_iter().collect();
    by_type.sort();
    println!("{total} values checked ({appended} of appended parameters): {by_type:?}");
    assert!(total > 1000, "only {total} values compared");
    assert!(appended > 500, "only {appended} appended values compared");
    for t in [
        "read", "write", "close", "open", "access", "mmap", "ioctl", "fstat",
    ] {
        assert!(
            by_type.iter().any(|(n, _)| *n == t),
            "no {t} value compared"
        );
    }
}
