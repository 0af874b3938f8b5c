//! Interface list blocks (IL 0x205, IL_V2 0x219).
//!
//! Entries follow one another until fewer than 4 bytes (padding) are left. Each entry starts
//! `{type: u16, name_len: u16}`; the rest depends on the type:
//! - 1 IPv4: `addr, netmask, bcast: [u8; 4]`, `linkspeed: u64`, name (24 + name_len bytes);
//! - 2 IPv6: `addr, netmask, bcast: [u8; 16]`, `linkspeed: u64`, name (60 + name_len);
//! - 3 IPv4 without link speed (16 + name_len); 4 IPv6 without link speed (52 + name_len).
//!
//! In V2 every entry is preceded by a u32 length that does not count itself; a zero length means
//! "the type's own size". Names must be shorter than 1024 bytes. Any bad entry makes the whole
//! list invalid, as in libscap (which parses the block in two passes before using it).

use super::cursor::{Cursor, c_str};
use super::error::{ReadError, Result};
use super::limits::Limits;
use super::model::{InterfaceAddr, InterfaceInfo};

const MAX_NAME: u16 = 1024;

/// Size of an entry of `iftype` with a name of `name_len` bytes, if the type is known.
fn entry_size(iftype: u16, name_len: u16) -> Option<usize> {
    let fixed = match iftype {
        1 => 24,
        2 => 60,
        3 => 16,
        4 => 52,
        _ => return None,
    };
    Some(fixed + usize::from(name_len))
}

/// Parses an interface list body.
pub(crate) fn parse(
    body: &[u8],
    body_offset: u64,
    v2: bool,
    limits: &Limits,
) -> Result<Vec<InterfaceInfo>> {
    let mut c = Cursor::new(body, body_offset);
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        let declared = if v2 {
            Some(c.u32("interface entry length")?)
        } else {
            None
        };
        let entry_at = c.offset();
        let mut peek = c.clone();
        let iftype = peek.u16("interface type")?;
        let name_len = peek.u16("interface name length")?;
        let Some(size) = entry_size(iftype, name_len) else {
            return Err(ReadError::malformed(
                entry_at,
                "interface list",
                format!("unknown interface type {iftype} (expected 1 to 4)"),
            ));
        };
        if name_len >= MAX_NAME {
            return Err(ReadError::malformed(
                entry_at,
                "interface list",
                format!("interface name length {name_len}, must be below {MAX_NAME}"),
            ));
        }
        if u32::from(name_len) > limits.max_string_bytes {
            return Err(ReadError::limit(
                entry_at,
                "interface name length",
                name_len.into(),
                limits.max_string_bytes.into(),
            ));
        }
        let span = match declared {
            Some(0) | None => size,
            Some(n) => {
                let n = n as usize;
                if n < size {
                    return Err(ReadError::malformed(
                        entry_at,
                        "interface list",
                        format!("entry length {n} is shorter than the {size} bytes of its fields"),
                    ));
                }
                n
            }
        };
        let mut entry = c.sub(span, "interface list entry")?;
        out.push(parse_entry(&mut entry, iftype, name_len)?);
    }
    Ok(out)
}

fn parse_entry(c: &mut Cursor<'_>, iftype: u16, name_len: u16) -> Result<InterfaceInfo> {
    c.skip(4, "interface type and name length")?;
    let (addr, linkspeed) = match iftype {
        1 | 3 => {
            let addr = InterfaceAddr::V4 {
                addr: c.ipv4("interface address")?,
                netmask: c.ipv4("interface netmask")?,
                bcast: c.ipv4("interface broadcast")?,
            };
            let speed = if iftype == 1 {
                Some(c.u64("interface link speed")?)
            } else {
                None
            };
            (addr, speed)
        }
        _ => {
            let addr = InterfaceAddr::V6 {
                addr: c.ipv6("interface address")?,
                netmask: c.ipv6("interface netmask")?,
                bcast: c.ipv6("interface broadcast")?,
            };
            let speed = if iftype == 2 {
                Some(c.u64("interface link speed")?)
            } else {
                None
            };
            (addr, speed)
        }
    };
    let name = c_str(c.bytes(usize::from(name_len), "interface name")?);
    Ok(InterfaceInfo {
        name,
        addr,
        linkspeed,
    })
}
