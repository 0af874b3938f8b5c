//! Hostile input through the built `.so`, driven as Falco drives it.
//!
//! 1. Every file of the checked-in corpus (`tests/corpus/scap`, described in its README) is
//!    replayed: a file whose header or state blocks are damaged is refused at `open` with an
//!    error that names the byte offset; a file with damaged events replays its good events, and
//!    every damaged one shows up in the plugin's `malformed` metric. Nothing panics or aborts (the test process would die).
//! 2. Byte-flipped and truncated copies of real fixtures go through `next_batch`, `parse_event`
//!    and an extraction of **every** declared field on every event: garbage that the reader
//!    still accepts reaches the state engine and the field code, which must answer or decline,
//!    never crash.
//!
//! Memory bounds of the reader on this corpus are asserted where allocations can be counted
//! (`schema/tests/reader_corpus.rs`); the `.so` allocates through the same code.

use edera_falco_cli::{bench_capture, bench_plugin, bench_sysdig};
use edera_falco_harness::artifact;
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::handle::load_plugin;
use edera_falco_harness::library::plugin_library;
use edera_scap::file::block::{BlockKind, FRAMING_LEN};
use std::path::{Path, PathBuf};

/// Byte ranges of the event blocks' bodies in a (decompressed) capture.
fn event_bodies(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let (Some(t), Some(l)) = (bytes.get(at..at + 4), bytes.get(at + 4..at + 8)) {
        let block_type = u32::from_le_bytes(t.try_into().unwrap());
        let len = u32::from_le_bytes(l.try_into().unwrap()) as usize;
        if len < FRAMING_LEN as usize || at + len > bytes.len() {
            break;
        }
        if matches!(BlockKind::of(block_type), BlockKind::Event(_)) {
            out.push(at + 8..at + len - 4);
        }
        at += len;
    }
    out
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/scap")
}

/// The README's expectation for a file: `Some((events, malformed))` for files that read to
/// the end, `None` for files refused.
fn expectations() -> Vec<(String, Option<(u64, u64)>)> {
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).expect("corpus README");
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells
                .get(1)?
                .strip_prefix('`')?
                .strip_suffix('`')?
                .to_owned();
            let outcome = cells.get(3)?;
            if let Some(rest) = outcome.strip_prefix("Reads ") {
                let n: Vec<u64> = rest
                    .split('/')
                    .filter_map(|x| x.trim().split(['.', ' ']).next()?.parse().ok())
                    .collect();
                Some((name, Some((n[0], n[1]))))
            } else {
                Some((name, None))
            }
        })
        .collect()
}

#[test]
fn corpus_is_refused_or_counted() {
    let expected = expectations();
    assert!(
        expected.len() >= 30,
        "README lists {} files",
        expected.len()
    );
    for (name, outcome) in expected {
        let path = corpus_dir().join(&name);
        let mut h = load_plugin(&replay_config(&path, "")).expect("init");
        let opened = h.open();
        match (outcome, opened) {
            (None, Err(e)) => {
                assert!(
                    e.contains("at byte") || e.contains("I/O"),
                    "{name}: refusal does not say where: {e}"
                );
                eprintln!("{name}: refused: {e}");
            }
            (None, Ok(())) => {
                // Damage past the state blocks (a cut gzip stream): the replay ends early.
                let events = h.read_to_eof(1_000_000).expect("replay ends");
                eprintln!("{name}: replay stopped after {} events", events.len());
            }
            (Some((events, malformed)), Ok(())) => {
                let got = h.read_to_eof(1_000_000).expect("replay ends").len() as u64;
                let metrics = h.metrics().expect("metrics");
                // Every damaged event is counted; good ones are delivered unless the converter
                // drops them as libscap does (old enter events) or refuses them (counted too).
                let counted = metrics["edera.malformed"];
                assert!(
                    counted >= malformed,
                    "{name}: malformed metric {counted} < {malformed} ({metrics:?})"
                );
                assert!(
                    got + counted <= events + malformed,
                    "{name}: more events than the file has ({metrics:?})"
                );
                eprintln!("{name}: {got} events delivered, {counted} counted as malformed");
            }
            (Some(_), Err(e)) => panic!("{name}: refused, but it should replay: {e}"),
        }
    }
}

/// Deterministic xorshift positions and values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn damaged_fixtures_through_every_field() {
    let names = ["cat_write", "connect_localhost", "sample"];
    let Some(first) = fixture(&format!("{}.scap", names[0])) else {
        eprintln!("skipping: ../shared/fixtures/scap is absent");
        return;
    };
    let library = plugin_library();
    let fields: Vec<String> = library
        .fields()
        .expect("field list")
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let dir = std::env::temp_dir().join(format!("edera-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut runs, mut events) = (0u64, 0u64);
    for name in names {
        let path = if name == names[0] {
            first.clone()
        } else {
            fixture(&format!("{name}.scap")).unwrap()
        };
        let clean = bench_capture::read_capture_bytes(&path).expect("fixture reads");
        for variant in 0..12 {
            let mut bytes = clean.clone();
            if variant % 4 == 3 {
                let cut = (rng.next() as usize) % bytes.len();
                bytes.truncate(cut);
            } else {
                // Flip bytes inside event blocks (headers, lengths, parameters), so that the
                // damage reaches the converter, the state engine and the fields.
                let bodies = event_bodies(&bytes);
                assert!(!bodies.is_empty(), "{name}: no event blocks found");
                for _ in 0..(1 + variant * 8) {
                    let body = &bodies[(rng.next() as usize) % bodies.len()];
                    let at = body.start + (rng.next() as usize) % body.len().max(1);
                    bytes[at] ^= (rng.next() as u8) | 1;
                }
            }
            let file = dir.join(format!("{name}-{variant}.scap"));
            std::fs::write(&file, &bytes).unwrap();
            let mut sink = std::io::sink();
            // (`run` fails only when the capture is refused at open.)
            match bench_plugin::run(
                library,
                &replay_config(&file, ""),
                &fields,
                None,
                false,
                &mut sink,
            ) {
                Ok(run) => events += run.events,
                Err(e) => eprintln!("{name} variant {variant}: refused: {e}"),
            }
            runs += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{runs} damaged captures, {events} events, {} fields extracted on each",
        fields.len()
    );
    assert!(
        events > 1000,
        "the damaged captures still carry events: {events}"
    );
}

/// Peak memory of a whole process replaying each corpus file through the `.so`: the
/// `edera-falco replay` command in a child process, its peak RSS read from `wait4`.
#[test]
fn corpus_replay_memory_is_bounded() {
    // The worst file (gzip_bomb_threads: 16 MiB of zeros read as empty process-list entries)
    // stops at the default cap of 65,536 threads per zone, about 58 MiB here; without the cap
    // the reader took 262,144 entries and 150 MiB.
    const BOUND_KIB: i64 = 96 * 1024;
    let library = plugin_library(); // builds the .so beside the command
    let cli = artifact::build("edera-falco-cli", "edera-falco").expect("edera-falco builds");
    let mut worst = (String::new(), 0i64);
    for entry in std::fs::read_dir(corpus_dir()).unwrap().flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("scap") {
            continue;
        }
        // Reaped by the wait4 of `wait_with_rusage` below, which clippy cannot see.
        #[allow(clippy::zombie_processes)]
        let child = std::process::Command::new(&cli)
            .arg("--plugin")
            .arg(&library.path)
            .args(["replay", "-p", "*%evt.num %evt.type %evt.args"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("edera-falco runs");
        let (status, usage) = bench_sysdig::wait_with_rusage(&child).expect("wait4");
        // Exit 0 (replayed) or 1 (refused with a message); a signal (abort, segfault) is a failure.
        assert!(
            libc_exited(status),
            "{}: did not exit normally (wait status {status:#x})",
            path.display()
        );
        if usage.ru_maxrss > worst.1 {
            worst = (path.display().to_string(), usage.ru_maxrss);
        }
    }
    eprintln!("largest peak RSS: {} KiB ({})", worst.1, worst.0);
    assert!(worst.1 < BOUND_KIB, "{} peaked at {} KiB", worst.0, worst.1);
}

/// `WIFEXITED`: the child ended by `exit`, not by a signal.
fn libc_exited(status: i32) -> bool {
    status & 0x7f == 0
}
