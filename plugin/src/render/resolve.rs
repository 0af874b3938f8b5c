//! The parameter types whose rendering consults the state: fds, fd lists and paths.

use std::io::Write;

use edera_scap::event::RawEvent;
use edera_scap::info::{EventInfo, ParamExtra, ParamType};

use super::buffer::BufFmt;
use super::errno::errno_name;
use super::lookup::Lookup;
use super::param::INVALID;
use super::sink::{Sink, c_str};
use crate::path::write_joined;

/// `PPM_AT_FDCWD`.
pub const AT_FDCWD: i64 = -100;

/// libsinsp's initial parameter storage; an fd list text is cut to one byte less.
const FDLIST_CAP: usize = 1023;

/// `PT_FD`: the number; with a known thread, `<{typechar}{proto}>{name}` for an fd of its
/// table, `AT_FDCWD` for -100, and the errno name for other negative values.
pub fn write_fd(mut sink: Sink<'_>, fd: i64, lookup: &dyn Lookup, fmt: BufFmt) {
    let _ = write!(sink.out(), "{fd}");
    if !lookup.has_thread() {
        return;
    }
    sink.resolved(|out| {
        if fd >= 0 {
            if let Some(f) = lookup.fd(fd) {
                out.push(b'<');
                // libsinsp prints the type characters with `%s`: a simple format (or a NUL
                // type character) ends them before the protocol character.
                if fmt.0 & BufFmt::SIMPLE.0 == 0 && f.typechar != 0 {
                    out.push(f.typechar);
                    if let Some(p) = f.proto.filter(|&p| p != 0) {
                        out.push(p);
                    }
                }
                out.push(b'>');
                out.extend_from_slice(c_str(f.name));
            }
        } else if fd == AT_FDCWD {
            out.extend_from_slice(b"AT_FDCWD");
        } else if let Some(name) = errno_name(fd) {
            out.extend_from_slice(name.as_bytes());
        }
    });
}

/// `PT_FDLIST`: `u16 count`, then per fd `i64 fd, i16 flags`; text `{fd}:{typechar}{flags:x}`
/// per entry, space separated, `?` for fds not in the table. The fd is printed unsigned and the
/// flags as a sign-extended 32-bit hex number, as libsinsp's `printf` does. Entries the data
/// does not hold are not shown (libsinsp would read past the parameter); the text is cut at
/// 1023 bytes. Without a thread libsinsp leaves its storage untouched (showing an earlier
/// parameter's text); this shows nothing then.
pub fn write_fdlist(out: &mut Vec<u8>, data: &[u8], lookup: &dyn Lookup) {
    if !lookup.has_thread() || data.len() < 2 {
        return;
    }
    let start = out.len();
    let n = usize::from(u16::from_le_bytes([data[0], data[1]]));
    for (j, entry) in data[2..].chunks_exact(10).take(n).enumerate() {
        let fd = i64::from_le_bytes(entry[..8].try_into().unwrap_or([0; 8]));
        let flags = i16::from_le_bytes([entry[8], entry[9]]);
        let tch = lookup.fd(fd).map_or(b'?', |f| f.typechar);
        if j > 0 {
            out.push(b' ');
        }
        let _ = write!(out, "{}:", fd as u64);
        if tch != 0 {
            out.push(tch);
        }
        let _ = write!(out, "{:x}", i32::from(flags) as u32);
        if out.len() - start >= FDLIST_CAP {
            break;
        }
    }
    out.truncate(start + (out.len() - start).min(FDLIST_CAP));
}

/// The directory a relative path of parameter `idx` is resolved against (libsinsp
/// `get_base_dir`): the cwd, or for a `PT_FSRELPATH` with a dirfd other than `AT_FDCWD`, that
/// directory fd's name with a trailing `/` (empty when the fd is unknown: a capture cannot ask
/// `/proc`, and neither can the plugin). `None` when the dirfd parameter is unusable (libsinsp
/// throws).
fn base_dir<'l>(
    ev: &RawEvent<'_>,
    info: &EventInfo,
    idx: usize,
    lookup: &'l dyn Lookup,
) -> Option<(&'l [u8], bool)> {
    let cwd = (lookup.cwd().unwrap_or(b"./"), false);
    let p = &info.params[idx];
    if p.ptype != ParamType::Fsrelpath {
        return Some(cwd);
    }
    let ParamExtra::DirFd(d) = p.extra else {
        return Some(cwd);
    };
    let d = usize::from(d);
    if d >= info.params.len() || info.params[d].ptype != ParamType::Fd {
        return Some(cwd);
    }
    let dirfd = ev.param_as::<i64>(d)?;
    if dirfd == AT_FDCWD {
        return Some(cwd);
    }
    match lookup.fd(dirfd) {
        Some(f) if !f.name.is_empty() => Some((f.name, f.name.last() != Some(&b'/'))),
        _ => Some((b"", false)),
    }
}

/// `PT_FSPATH`/`PT_FSRELPATH` (the value already validated as a C string, without its NUL):
/// the path; with a known thread, a relative path is also shown joined to its directory.
/// An unusable dirfd parameter makes the whole parameter [`INVALID`] (libsinsp throws).
pub fn write_path(
    mut sink: Sink<'_>,
    path: &[u8],
    ev: &RawEvent<'_>,
    info: &EventInfo,
    idx: usize,
    lookup: &dyn Lookup,
) {
    sink.out().extend_from_slice(path);
    if !lookup.has_thread() || path == b"<NA>" {
        return;
    }
    // libsinsp looks the directory up first, so a bad dirfd fails even an absolute path.
    let Some((dir, add_slash)) = base_dir(ev, info, idx, lookup) else {
        return sink.only(INVALID);
    };
    if path.is_empty() || path[0] == b'/' {
        return;
    }
    sink.resolved(|out| write_joined(out, dir, add_slash, path));
}
