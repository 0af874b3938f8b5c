//! Arbitrary bytes as a `.scap` file through the capture reader and the event converter of
//! edera-scap. An odd first byte makes the rest a gzip stream (wrapped here in stored deflate
//! blocks: no compressor per input), so the decompressing path is explored with the same
//! inputs; an even one passes the rest as is.
//! Recoverable errors (a damaged event) are skipped as the plugin skips them; a fatal one ends
//! the file. Invariant: no panic, allocations within libFuzzer's `-malloc_limit_mb`.

#![no_main]

use edera_scap::convert::{Converter, Outcome};
use edera_scap::file::{CaptureReader, GeneratedTable, Item, Limits};
use flate2::Crc;
use libfuzzer_sys::fuzz_target;

/// `data` as a gzip member of stored (uncompressed) deflate blocks (RFC 1951 3.2.4, RFC 1952).
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let len = chunk.len() as u16;
        out.push(u8::from(chunks.peek().is_none()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 1 {
        gzip_stored(rest)
    } else {
        rest.to_vec()
    };
    let Ok(mut reader) = CaptureReader::new(&file[..], GeneratedTable, Limits::default()) else {
        return;
    };
    let mut converter = Converter::default();
    loop {
        match reader.next_item() {
            Ok(Some(Item::Event(ev))) => {
                if let Outcome::Pass(bytes) | Outcome::Converted(bytes) =
                    converter.convert(ev.bytes())
                {
                    assert!(bytes.len() >= edera_scap::event::HEADER_LEN);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if e.is_recoverable() => {}
            Err(_) => break,
        }
    }
});
