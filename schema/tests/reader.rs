//! The capture reader against the real fixture captures in ../shared/fixtures/scap, checked
//! against facts established independently: the block counts of SOURCES.md, a raw block walk,
//! hand-decoded bytes, and the Falco 0.45 oracle (`oracle-falco/*.jsonl.gz`).

mod reader_support;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::net::Ipv4Addr;
use std::path::Path;

use edera_scap::file::{
    CaptureReader, CaptureState, Event, FdDetail, FdType, InterfaceAddr, Limits, ThreadInfo, lossy,
    split_nul,
};
use reader_support::{fixtures_dir, shape};

/// Per fixture: SHB minor version, process-list block type, event blocks (SOURCES.md), users,
/// groups, interfaces.
const FIXTURES: &[(&str, u16, u32, u64, usize, usize, usize)] = &[
    ("cat_write", 0, 0x212, 345, 32, 61, 5),
    ("connect_localhost", 0, 0x213, 374, 41, 71, 7),
    ("curl_google", 0, 0x211, 1536, 31, 55, 5),
    ("curl_google_comments", 0, 0x211, 1536, 31, 55, 5),
    ("empty", 2, 0x215, 143, 45, 77, 11),
    ("empty_2016", 0, 0x212, 83, 31, 61, 7),
    ("open-multiple-files", 0, 0x212, 1272, 40, 70, 8),
    ("ping_sendto", 2, 0x215, 1526, 42, 72, 10),
    ("privileged", 2, 0x215, 2059, 45, 77, 11),
    ("run_as_user_0_container", 2, 0x215, 4143, 45, 77, 11),
    ("run_as_user_65534_container", 2, 0x215, 241, 45, 77, 11),
    ("sample", 2, 0x215, 572, 34, 61, 6),
    ("single_ipv6_conn", 2, 0x215, 1728, 42, 72, 13),
    ("syscall", 1, 0x214, 368, 41, 71, 7),
    ("test_ipv6_client", 0, 0x211, 326, 31, 55, 5),
    ("write_tmp_test", 2, 0x215, 229, 45, 77, 11),
];

fn decompressed(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// An independent, minimal walk over the block framing: block type -> count.
fn raw_block_counts(bytes: &[u8]) -> HashMap<u32, u64> {
    let mut counts = HashMap::new();
    let mut off = 0usize;
    while off + 8 <= bytes.len() {
        let ty = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
        assert!(len >= 12, "raw walk: bad length at {off}");
        *counts.entry(ty).or_insert(0) += 1;
        off += len;
    }
    assert_eq!(off, bytes.len());
    counts
}

struct Read_ {
    state: CaptureState,
    events: Vec<Event>,
    minor: u16,
}

fn read_all(path: &Path) -> Read_ {
    let mut r = CaptureReader::open(path, shape, Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let state = r
        .read_state()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut events = Vec::new();
    while let Some(ev) = r
        .next_event()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        events.push(ev.to_owned_event());
    }
    assert_eq!(r.stats().unknown_blocks, 0);
    assert_eq!(r.stats().unknown_type_events, 0);
    Read_ {
        state,
        events,
        minor: r.section().minor,
    }
}

fn oracle_lines(dir: &Path, name: &str) -> Vec<serde_json::Value> {
    let f = std::fs::File::open(dir.join(format!("oracle-falco/{name}.jsonl.gz"))).unwrap();
    BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().unwrap())
}

/// Which optional fields each process-list version carries, seen through `ThreadInfo`.
fn check_pl_version(name: &str, pl_type: u32, t: &ThreadInfo) {
    let v = pl_type - 0x210 + 4; // 0x211 = V5 ... 0x215 = V9
    assert_eq!(t.vmsize_kb.is_some(), v >= 2, "{name}");
    assert_eq!(t.env.is_some(), v >= 3, "{name}");
    assert_eq!(t.vtid.is_some() && t.cgroups.is_some(), v >= 4, "{name}");
    assert_eq!(t.root.is_some(), v >= 5, "{name}");
    assert_eq!(t.sid.is_some(), v >= 6, "{name}");
    assert_eq!(t.exepath.is_some(), v >= 7, "{name}");
    assert_eq!(t.vpgid.is_some(), v >= 8, "{name}");
    if v < 9 {
        assert!(t.loginuid.is_none() && t.pgid.is_none(), "{name}");
    }
}

#[test]
fn every_fixture_reads_completely_and_matches_the_oracle() {
    let Some(dir) = fixtures_dir() else { return };
    let type_codes: HashMap<&str, u16> = [("procinfo", 234), ("switch", 152), ("scapevent", 196)]
        .into_iter()
        .collect();
    for &(name, minor, pl_type, event_blocks, users, groups, ifs) in FIXTURES {
        let path = dir.join(format!("{name}.scap"));
        let got = read_all(&path);
        let raw = raw_block_counts(&decompressed(&path));
        let ev_raw: u64 = [0x204, 0x216]
            .iter()
            .map(|t| raw.get(t).copied().unwrap_or(0))
            .sum();

        assert_eq!(got.minor, minor, "{name}: SHB version");
        assert_eq!(
            got.events.len() as u64,
            event_blocks,
            "{name}: events (SOURCES.md)"
        );
        assert_eq!(ev_raw, event_blocks, "{name}: raw event blocks");
        assert_eq!(raw.get(&pl_type), Some(&1), "{name}: process list type");
        // libscap writes one fd-list block per thread, so the raw count of fd-list blocks is an
        // independent count of the process list's entries.
        let fdl_blocks = raw.get(&0x203).or(raw.get(&0x218)).copied().unwrap_or(0);
        assert_eq!(
            got.state.threads.len() as u64,
            fdl_blocks,
            "{name}: threads"
        );
        assert_eq!(got.state.users.len(), users, "{name}: users");
        assert_eq!(got.state.groups.len(), groups, "{name}: groups");
        assert_eq!(got.state.interfaces.len(), ifs, "{name}: interfaces");
        for t in &got.state.threads {
            check_pl_version(name, pl_type, t);
        }

        // Every event Falco 0.45 shows is in the stream, with its timestamp, thread and cpu.
        let ours: HashSet<(u64, i64, u64)> = got
            .events
            .iter()
            .map(|e| {
                (
                    le64(&e.bytes[0..8]),
                    le64(&e.bytes[8..16]) as i64,
                    e.cpu.into(),
                )
            })
            .collect();
        let oracle = oracle_lines(&dir, name);
        assert!(!oracle.is_empty(), "{name}");
        for o in &oracle {
            let key = (
                o["evt.rawtime"].as_u64().unwrap(),
                o["thread.tid"].as_i64().unwrap(),
                o["evt.cpu"].as_u64().unwrap(),
            );
            assert!(
                ours.contains(&key),
                "{name}: oracle event {key:?} ({}) missing",
                o["evt.type"]
            );
        }

        // The oracle's first event is at position evt.num (nothing is dropped before it).
        let first = &oracle[0];
        let num = first["evt.num"].as_u64().unwrap() as usize;
        let ev = &got.events[num - 1];
        assert_eq!(
            le64(&ev.bytes[0..8]),
            first["evt.rawtime"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            le64(&ev.bytes[8..16]) as i64,
            first["thread.tid"].as_i64().unwrap(),
            "{name}"
        );
        let ty = u16::from_le_bytes([ev.bytes[20], ev.bytes[21]]);
        assert_eq!(
            Some(&ty),
            type_codes.get(first["evt.type"].as_str().unwrap()),
            "{name}"
        );

        // The process table agrees with what Falco shows for procinfo events (whose threads the
        // capture has not changed yet): name, exe, and the command line built from the args.
        let threads: HashMap<u64, &ThreadInfo> =
            got.state.threads.iter().map(|t| (t.tid, t)).collect();
        let mut checked = 0;
        for o in oracle.iter().filter(|o| o["evt.type"] == "procinfo") {
            let Some(t) = threads.get(&(o["thread.tid"].as_i64().unwrap() as u64)) else {
                continue;
            };
            assert_eq!(o["proc.name"].as_str().unwrap(), lossy(&t.comm), "{name}");
            assert_eq!(o["proc.exe"].as_str().unwrap(), lossy(&t.exe), "{name}");
            let mut cmdline = lossy(&t.comm).into_owned();
            for a in split_nul(&t.args) {
                cmdline.push(' ');
                cmdline.push_str(&lossy(a));
            }
            assert_eq!(o["proc.cmdline"].as_str().unwrap(), cmdline, "{name}");
            checked += 1;
        }
        assert!(
            checked > 0 || name == "sample",
            "{name}: no procinfo event checked"
        );
    }
}

#[test]
fn first_old_event_is_converted_exactly() {
    let Some(dir) = fixtures_dir() else { return };
    // Block at byte 83548 of the decompressed cat_write.scap, decoded by hand from a hexdump:
    // EV block, cpu 0, old header {ts, tid 1, len 42, type 234 procinfo}, lens 8 8, data 19 192.
    let got = read_all(&dir.join("cat_write.scap"));
    let ev = &got.events[0];
    assert_eq!(ev.block_offset, 83548);
    assert_eq!(ev.block_type, 0x204);
    assert_eq!(ev.cpu, 0);
    let mut want = Vec::new();
    want.extend_from_slice(&1_470_327_475_999_999_999u64.to_le_bytes());
    want.extend_from_slice(&1u64.to_le_bytes());
    want.extend_from_slice(&46u32.to_le_bytes());
    want.extend_from_slice(&234u16.to_le_bytes());
    want.extend_from_slice(&2u32.to_le_bytes());
    want.extend_from_slice(&[8, 0, 8, 0]);
    want.extend_from_slice(&19u64.to_le_bytes()); // oracle: "cpu_usr=19 cpu_sys=192"
    want.extend_from_slice(&192u64.to_le_bytes());
    assert_eq!(ev.bytes, want);
}

#[test]
fn comments_capture_has_the_same_events_as_the_plain_one() {
    let Some(dir) = fixtures_dir() else { return };
    let plain = read_all(&dir.join("curl_google.scap"));
    let comments = read_all(&dir.join("curl_google_comments.scap"));
    assert_eq!(plain.events.len(), comments.events.len());
    for (a, b) in plain.events.iter().zip(&comments.events) {
        assert_eq!((a.cpu, a.flags, &a.bytes), (b.cpu, b.flags, &b.bytes));
    }
    assert_eq!(plain.state, comments.state);

    let r = CaptureReader::open(
        dir.join("curl_google_comments.scap"),
        shape,
        Limits::default(),
    )
    .unwrap();
    let sh = r.section();
    assert_eq!((sh.major, sh.minor), (1, 0));
    assert_eq!(sh.comment(), Some(&b"File-level comment"[..]));
    assert!(
        sh.options
            .iter()
            .any(|o| o.code == 4 && o.value.starts_with(b"Editcap (Wireshark)"))
    );
    let r = CaptureReader::open(dir.join("curl_google.scap"), shape, Limits::default()).unwrap();
    assert!(r.section().options.is_empty());
}

#[test]
fn state_facts() {
    let Some(dir) = fixtures_dir() else { return };
    // curl_google: machine block and first interface, checked by hand in a hexdump.
    let got = read_all(&dir.join("curl_google.scap"));
    let m = got.state.machine.as_ref().unwrap();
    assert_eq!(
        (m.num_cpus, m.memory_size_bytes, &m.hostname[..]),
        (1, 0x3deb_d000, &b"ip-10-0-0-79"[..])
    );
    let lo = &got.state.interfaces[0];
    assert_eq!(lo.name, b"lo");
    assert_eq!(lo.linkspeed, Some(0));
    assert_eq!(
        lo.addr,
        InterfaceAddr::V4 {
            addr: Ipv4Addr::LOCALHOST,
            netmask: Ipv4Addr::new(255, 0, 0, 0),
            bcast: Ipv4Addr::LOCALHOST,
        }
    );

    // run_as_user_0_container: users (SOURCES.md) and fds that Falco names in events on them.
    let got = read_all(&dir.join("run_as_user_0_container.scap"));
    let user = |n: &[u8]| got.state.users.iter().find(|u| u.name == n).map(|u| u.uid);
    assert_eq!(
        (user(b"root"), user(b"www-data"), user(b"mstemm")),
        (Some(0), Some(33), Some(501))
    );
    let fd = |pid: u64, n: i64| {
        got.state.fds[&pid]
            .iter()
            .find(|f| f.fd == n)
            .unwrap()
            .clone()
    };
    // oracle: fd.name "10.0.2.2:49289->10.0.2.15:22", fd.type ipv4 (sshd's accepted socket)
    let ssh = fd(13612, 3);
    assert_eq!(ssh.fd_type, FdType::Ipv4Sock);
    assert_eq!(
        ssh.detail,
        FdDetail::Ipv4 {
            sip: Ipv4Addr::new(10, 0, 2, 15),
            dip: Ipv4Addr::new(10, 0, 2, 2),
            sport: 22,
            dport: 49289,
            l4proto: 2,
        }
    );
    // oracle: fd.name "/dev/ptmx", fd.type file
    let ptmx = fd(13612, 10);
    assert_eq!(ptmx.fd_type, FdType::FileV2);
    assert_eq!(ptmx.name(), Some(&b"/dev/ptmx"[..]));
    // oracle: fd.name "/dev/tty"
    assert_eq!(fd(13794, 5).name(), Some(&b"/dev/tty"[..]));
    let init = got.state.threads.iter().find(|t| t.tid == 1).unwrap();
    assert_eq!(init.exepath.as_deref(), Some(&b"/lib/systemd/systemd"[..]));
    assert_eq!(init.loginuid, Some(u32::MAX));
}

#[test]
fn streaming_items_agree_with_read_state() {
    let Some(dir) = fixtures_dir() else { return };
    let path = dir.join("sample.scap");
    let collected = read_all(&path);
    let mut r = CaptureReader::open(&path, shape, Limits::default()).unwrap();
    let (mut threads, mut fds, mut events, mut sections) = (0, 0, 0, 0);
    while let Some(item) = r.next_item().unwrap() {
        use edera_scap::file::Item;
        match item {
            Item::Section(_) => sections += 1,
            Item::Thread(_) => threads += 1,
            Item::Fd { .. } => fds += 1,
            Item::Event(e) => {
                assert_eq!(e.bytes(), &collected.events[events].bytes[..]);
                assert_eq!(e.params().count() as u32, e.nparams());
                events += 1;
            }
            _ => {}
        }
    }
    assert!(!r.is_compressed());
    assert_eq!(sections, 1);
    assert_eq!(threads, collected.state.threads.len());
    assert_eq!(
        fds,
        collected.state.fds.values().map(Vec::len).sum::<usize>()
    );
    assert_eq!(events, 572);
    assert!(r.buffer_capacity() <= 2 * 65536 + 200_000);
}

#[test]
fn the_generated_event_table_gives_the_same_events() {
    let Some(dir) = fixtures_dir() else { return };
    // The schema's generated table, as the plugin will pass it.
    let generated = |t: u16| {
        edera_scap::info::event_info(t).map(|e| edera_scap::file::EventShape {
            nparams: e.params.len() as u32,
            large_payload: e.large_payload(),
        })
    };
    for t in 0..u16::MAX {
        assert_eq!(generated(t).is_some(), shape(t).is_some(), "type {t}");
        if let (Some(g), Some(h)) = (generated(t), shape(t)) {
            assert_eq!(g.large_payload, h.large_payload, "type {t}");
        }
    }
    for &(name, ..) in FIXTURES {
        let path = dir.join(format!("{name}.scap"));
        let hand = read_all(&path);
        let mut r = CaptureReader::open(&path, generated, Limits::default()).unwrap();
        r.read_state().unwrap();
        let mut n = 0;
        while let Some(ev) = r.next_event().unwrap() {
            assert_eq!(ev.bytes(), &hand.events[n].bytes[..], "{name} event {n}");
            n += 1;
        }
        assert_eq!(n, hand.events.len(), "{name}");
    }
}
