//! The named functions of the conversion table (`from = "callback"`).
//!
//! `container_json` builds the JSON parameter of `PPME_CONTAINER_JSON_E` from an old
//! `PPME_CONTAINER_E` (id, type, name, image), as libscap's converter does:
//! `{"id":"<id>","type":<type>,"name":"<name>","image":"<image>"}` plus a terminating NUL. The
//! strings are taken as stored minus their last byte (the terminator), without escaping; the
//! type is the u32 in parameter 1, printed in decimal. libscap gives up (and the table's
//! fallback applies) when a string parameter is empty or the type parameter is longer than 4
//! bytes. A type parameter shorter than 4 bytes leaves part of libscap's value uninitialised;
//! here the missing bytes read as zero.

use super::frame::Frame;
use super::rule::Callback;

/// Computes `callback` from the event `old` into `out` (cleared first). `false` when the value
/// cannot be computed (the caller pushes the fallback).
pub(crate) fn run(callback: Callback, old: &Frame<'_>, out: &mut Vec<u8>) -> bool {
    out.clear();
    match callback {
        Callback::ContainerJson => container_json(old, out).is_some(),
    }
}

/// A string parameter without its last byte; `None` when absent or empty.
fn string<'a>(old: &Frame<'a>, i: u32) -> Option<&'a [u8]> {
    let p = old.param(i)?;
    p.get(..p.len().checked_sub(1)?)
}

fn container_json(old: &Frame<'_>, out: &mut Vec<u8>) -> Option<()> {
    let id = string(old, 0)?;
    let ty = old.param(1)?;
    if ty.len() > 4 {
        return None;
    }
    let mut word = [0u8; 4];
    word[..ty.len()].copy_from_slice(ty);
    let name = string(old, 2)?;
    let image = string(old, 3)?;
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(id);
    out.extend_from_slice(b"\",\"type\":");
    out.extend_from_slice(u32::from_le_bytes(word).to_string().as_bytes());
    out.extend_from_slice(b",\"name\":\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\",\"image\":\"");
    out.extend_from_slice(image);
    out.extend_from_slice(b"\"}\0");
    Some(())
}
