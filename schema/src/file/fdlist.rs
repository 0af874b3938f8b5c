//! Fd list blocks (FDL 0x203, FDL_V2 0x218): the open fds of one thread.
//!
//! Body: `tid: u64`, then entries until fewer than 4 bytes are left. Entry: `fd: i64, ino: u64,
//! type: u8` (libscap's `scap_fd_type` code), then by type:
//! - 3 IPv4 socket: `sip, dip: [u8; 4], sport, dport: u16, l4proto: u8`;
//! - 4 IPv6 socket: `sip, dip: [u8; 16], sport, dport: u16, l4proto: u8`;
//! - 5 IPv4 server: `ip: [u8; 4], port: u16, l4proto: u8`; 6 IPv6 server: `ip: [u8; 16], ...`;
//! - 8 unix socket: `source, destination: u64`, name;
//! - 16 file (v2): `open_flags: u32`, name, and `dev: u32` if the entry has room for it;
//! - 1, 2, 7, 9–15, 17–21 (file, directory, fifo, event, unsupported, signalfd, eventpoll,
//!   inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd): name only;
//! - 0 unknown: nothing; any other code: nothing (libscap records it as type 10 "unsupported"
//!   named `unknown-type:[N]`; in a V1 list the entry's own payload then cannot be skipped).
//!
//! Names are a u16 length and bytes, shorter than 1024. V2 entries start with a u32 length that
//! counts the whole entry, itself included; bytes after the known fields are skipped.

use super::cursor::{Cursor, c_str};
use super::entry::entry;
use super::error::Result;
use super::limits::Limits;
use super::model::{FdDetail, FdInfo, FdType};

const MAX_NAME: u16 = 1023;

/// Parses the thread id at the start of an fd list body.
pub(crate) fn tid(c: &mut Cursor<'_>) -> Result<u64> {
    c.u64("fd list thread id")
}

fn name(c: &mut Cursor<'_>, limits: &Limits) -> Result<Vec<u8>> {
    Ok(c_str(c.string16(
        "fd name",
        MAX_NAME,
        limits.max_string_bytes,
    )?))
}

/// Parses the next entry of an fd list body (after the thread id).
pub(crate) fn next_entry(c: &mut Cursor<'_>, v2: bool, limits: &Limits) -> Result<FdInfo> {
    entry(c, v2, "fd list entry", |c, bounded| {
        let fd = c.i64("fd number")?;
        let ino = c.u64("fd inode")?;
        let raw_type = c.u8("fd type")?;
        let Some(fd_type) = FdType::from_code(raw_type) else {
            return Ok(FdInfo {
                fd,
                ino,
                fd_type: FdType::Unsupported,
                raw_type,
                detail: FdDetail::Name(format!("unknown-type:[{raw_type}]").into_bytes()),
            });
        };
        let detail = match fd_type {
            FdType::Unknown => FdDetail::None,
            FdType::Ipv4Sock => FdDetail::Ipv4 {
                sip: c.ipv4("fd source address")?,
                dip: c.ipv4("fd destination address")?,
                sport: c.u16("fd source port")?,
                dport: c.u16("fd destination port")?,
                l4proto: c.u8("fd l4 protocol")?,
            },
            FdType::Ipv6Sock => FdDetail::Ipv6 {
                sip: c.ipv6("fd source address")?,
                dip: c.ipv6("fd destination address")?,
                sport: c.u16("fd source port")?,
                dport: c.u16("fd destination port")?,
                l4proto: c.u8("fd l4 protocol")?,
            },
            FdType::Ipv4ServSock => FdDetail::Ipv4Server {
                ip: c.ipv4("fd server address")?,
                port: c.u16("fd server port")?,
                l4proto: c.u8("fd l4 protocol")?,
            },
            FdType::Ipv6ServSock => FdDetail::Ipv6Server {
                ip: c.ipv6("fd server address")?,
                port: c.u16("fd server port")?,
                l4proto: c.u8("fd l4 protocol")?,
            },
            FdType::UnixSock => FdDetail::Unix {
                source: c.u64("unix socket source")?,
                destination: c.u64("unix socket destination")?,
                name: name(c, limits)?,
            },
            FdType::FileV2 => {
                let open_flags = c.u32("fd open flags")?;
                let name = name(c, limits)?;
                let dev = if bounded && c.remaining() >= 4 {
                    Some(c.u32("fd dev")?)
                } else {
                    None
                };
                FdDetail::File {
                    open_flags,
                    name,
                    dev,
                }
            }
            FdType::File
            | FdType::Directory
            | FdType::Fifo
            | FdType::Event
            | FdType::Unsupported
            | FdType::Signalfd
            | FdType::Eventpoll
            | FdType::Inotify
            | FdType::Timerfd
            | FdType::Netlink
            | FdType::Bpf
            | FdType::Userfaultfd
            | FdType::Iouring
            | FdType::Memfd
            | FdType::Pidfd => FdDetail::Name(name(c, limits)?),
        };
        Ok(FdInfo {
            fd,
            ino,
            fd_type,
            raw_type,
            detail,
        })
    })
}
