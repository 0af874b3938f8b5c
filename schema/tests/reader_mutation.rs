//! Deterministic mutation of real captures (a bounded, fuzz-like property test): truncate
//! fixtures at many offsets and flip bytes at many positions; the reader must never panic, must
//! end every run (with an error or at the end), and its peak memory must follow the input size.

mod reader_support;

use std::io::Read;

use edera_scap::file::Limits;
use reader_support::{alloc, drain, fixtures_dir};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

const FILES: &[&str] = &["cat_write", "curl_google_comments", "sample", "empty"];

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check(label: &str, bytes: &[u8], plain_len: usize) {
    let (outcome, peak) = alloc::peak_during(|| drain(bytes, Limits::default()));
    let bound = 2 * plain_len + (2 << 20);
    assert!(
        peak <= bound,
        "{label}: peak {peak} > {bound} ({:?})",
        outcome.fatal
    );
}

#[test]
fn truncated_and_flipped_fixtures_never_panic() {
    let Some(dir) = fixtures_dir() else { return };
    let mut rng = Lcg(0x5eed);
    let mut runs = 0;
    for name in FILES {
        let raw = std::fs::read(dir.join(format!("{name}.scap"))).unwrap();
        let mut plain = Vec::new();
        if raw.starts_with(&[0x1f, 0x8b]) {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut plain)
                .unwrap();
        } else {
            plain = raw.clone();
        }
        let n = plain.len();

        // Truncations: every offset in the first 300 bytes (header and state framing), then
        // 120 spread over the file, and the compressed file cut at 30 places.
        let cuts = (0..300).chain((0..120).map(|i| 300 + i * (n - 300) / 120));
        for cut in cuts {
            check(&format!("{name} cut at {cut}"), &plain[..cut.min(n)], n);
            runs += 1;
        }
        if raw.starts_with(&[0x1f, 0x8b]) {
            for i in 0..30 {
                let cut = 10 + i * (raw.len() - 10) / 30;
                check(&format!("{name} (gzip) cut at {cut}"), &raw[..cut], n);
                runs += 1;
            }
        }

        // Byte flips: 250 single flips at random places, 100 in the first 2 KiB (the SHB and the
        // state block headers), and 50 runs that overwrite a 4-byte word with an extreme value.
        let mut buf = plain.clone();
        for i in 0..350 {
            let at = if i < 250 {
                rng.below(n)
            } else {
                rng.below(2048.min(n))
            };
            let old = buf[at];
            buf[at] ^= 1 << rng.below(8) | rng.below(256) as u8;
            check(&format!("{name} flip at {at}"), &buf, n);
            buf[at] = old;
            runs += 1;
        }
        for _ in 0..50 {
            let at = rng.below(n - 4);
            let word = [0u32, 0xffff_ffff, 0x7fff_ffff, 0x0001_0000, 12][rng.below(5)];
            let old: [u8; 4] = buf[at..at + 4].try_into().unwrap();
            buf[at..at + 4].copy_from_slice(&word.to_le_bytes());
            check(&format!("{name} word {word:#x} at {at}"), &buf, n);
            buf[at..at + 4].copy_from_slice(&old);
            runs += 1;
        }
    }
    println!("{runs} mutated captures read without a panic");
}
