//! How fast the generated decoder reads real events: every event of every fixture capture in
//! ../shared/fixtures/scap is parsed (header, parameter offsets) and each of its parameters is
//! read as its table type. Reports time per event (criterion prints ns per iteration over the
//! whole set; the per-event figure is printed once before the run).
//!
//! `cargo bench -p edera-scap --bench decode`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use edera_scap::info::ParamType;

/// Every event of every fixture, as owned in-memory events.
fn load_events() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "decode bench: {} is absent; nothing to measure",
            dir.display()
        );
        return out;
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    paths.sort();
    for p in paths {
        let Ok(mut r) = CaptureReader::open(&p, GeneratedTable, Limits::default()) else {
            continue;
        };
        loop {
            match r.next_event() {
                Ok(Some(ev)) => out.push(ev.bytes().to_vec()),
                Ok(None) => break,
                Err(e) if e.is_recoverable() => continue,
                Err(_) => break,
            }
        }
    }
    out
}

/// Parses one event and reads every parameter as its declared type; returns a checksum.
fn decode(bytes: &[u8]) -> u64 {
    let Ok(ev) = RawEvent::parse(bytes) else {
        return 0;
    };
    let Some(info) = ev.info() else { return 0 };
    let mut sum = ev.header.ts ^ ev.header.tid;
    for (i, p) in info.params.iter().enumerate().take(ev.nparams()) {
        sum = sum.wrapping_add(match p.ptype.fixed_size() {
            Some(1) => ev.param_as::<u8>(i).map_or(0, u64::from),
            Some(2) => ev.param_as::<u16>(i).map_or(0, u64::from),
            Some(4) => ev.param_as::<u32>(i).map_or(0, u64::from),
            Some(8) => ev.param_as::<u64>(i).unwrap_or(0),
            _ if matches!(
                p.ptype,
                ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
            ) =>
            {
                ev.param_as::<edera_scap::event::CStrParam>(i)
                    .map_or(0, |s| s.0.len() as u64)
            }
            _ => ev.param(i).map_or(0, |b| b.len() as u64),
        });
    }
    sum
}

fn bench(c: &mut Criterion) {
    let events = load_events();
    if events.is_empty() {
        return;
    }
    let bytes: usize = events.iter().map(Vec::len).sum();
    eprintln!(
        "decode bench: {} events, {} bytes from the fixture captures",
        events.len(),
        bytes
    );
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("fixture_events_all_params", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|e| decode(black_box(e)))
                .fold(0u64, u64::wrapping_add)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
