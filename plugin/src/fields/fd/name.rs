//! `fd.name` and the fields derived from it, including libsinsp's fallback for events whose fd
//! is not in the table (`extract_fdname_from_event`): the path or address from the event's own
//! parameters.

use edera_scap::tables::EventCode as C;

use super::View;
use crate::fields::ctx::Ctx;
use crate::path;
use crate::render;
use crate::state::apply::open::dirfd_base;

/// `fd.name` of the event: the entry's name, else the name from the event's parameters.
pub(super) fn full_name(c: &Ctx<'_, '_>, v: &View<'_>) -> Option<Vec<u8>> {
    match v.fd {
        Some(f) => Some(f.name.clone()),
        None => from_event(c, v, false),
    }
}

/// `fd.directory`: the directory part of a file's name, a directory's whole name.
pub(super) fn directory(c: &Ctx<'_, '_>, v: &View<'_>) -> Option<Vec<u8>> {
    let name = match v.fd {
        None => from_event(c, v, false)?,
        Some(f) if f.is_file() => f.name.clone(),
        Some(f) if f.is_directory() => return Some(f.name.clone()),
        Some(_) => return None,
    };
    Some(dir_part(name))
}

/// Up to the last `/` (kept whole when it ends with `/`); `/` when the only `/` is the first
/// character or there is none.
fn dir_part(mut name: Vec<u8>) -> Vec<u8> {
    match name.iter().rposition(|&b| b == b'/') {
        Some(pos) if pos != 0 => {
            if pos + 1 < name.len() {
                name.truncate(pos);
            }
            name
        }
        _ => b"/".to_vec(),
    }
}

/// `fd.filename`: after the last `/` (the whole name when it ends with `/`), `/` without one.
pub(super) fn file_part(name: &[u8]) -> Vec<u8> {
    match name.iter().rposition(|&b| b == b'/') {
        Some(pos) if pos + 1 < name.len() => name[pos + 1..].to_vec(),
        Some(_) => name.to_vec(),
        None => b"/".to_vec(),
    }
}

/// Repeated `/` collapsed to one.
pub(super) fn collapse_slashes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if !(b == b'/' && out.last() == Some(&b'/')) {
            out.push(b);
        }
    }
    out
}

/// The fd name an event's parameters give when its fd is not in the table: no value for enter
/// events, the rendered path or address for open/creat/accept/connect, the (joined) path of
/// openat/openat2 (`raw`: as passed), the path of open_by_handle_at, an empty name otherwise.
pub(super) fn from_event(c: &Ctx<'_, '_>, v: &View<'_>, raw: bool) -> Option<Vec<u8>> {
    let etype = c.raw.header.etype;
    if etype.is_multiple_of(2) {
        return None;
    }
    let Some(code) = C::from_u16(etype) else {
        return Some(Vec::new());
    };
    match code {
        C::SyscallOpenX
        | C::SocketAcceptV5X
        | C::SocketAccept4V6X
        | C::SyscallCreatX
        | C::SocketConnectX => {
            let mut out = Vec::new();
            render::write_arg(
                &mut out,
                &c.raw,
                1,
                &c.lookup(),
                &render::Options::default(),
            );
            Some(out)
        }
        C::SyscallOpenatV2X | C::SyscallOpenat2X => {
            let name = c.raw.param(2).filter(|b| !b.is_empty())?;
            let name = render_cstr(name);
            if raw {
                return Some(name.to_vec());
            }
            let dirfd = c.raw.param_as::<i64>(1)?;
            let tid = v.s.event().tid;
            let dir = dirfd_base(v.s, tid, name, dirfd);
            Some(path::join(&dir, name))
        }
        C::SyscallOpenByHandleAtX => Some(render_cstr(c.raw.param(3).unwrap_or(&[])).to_vec()),
        _ => Some(Vec::new()),
    }
}

fn render_cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// libsinsp's guess of the fd type from the event type, for fds not in the table.
pub(super) fn typechar_of_event(etype: u16) -> u8 {
    // The exit event of the pair (exit codes are odd).
    let Some(code) = C::from_u16(etype | 1) else {
        return b'o';
    };
    match code {
        C::SyscallOpenatV2X | C::SyscallOpenat2X | C::SyscallCreatX => b'f',
        C::SocketSocketX | C::SocketAcceptV5X | C::SocketAccept4V6X => b'4',
        C::SyscallPipeX | C::SyscallPipe2X => b'p',
        C::SyscallEventfdX | C::SyscallEventfd2X => b'e',
        C::SyscallSignalfdX | C::SyscallSignalfd4X => b's',
        C::SyscallTimerfdCreateX => b't',
        C::SyscallInotifyInitX | C::SyscallInotifyInit1X => b'i',
        _ => b'o',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        assert_eq!(dir_part(b"/etc/passwd".to_vec()), b"/etc");
        assert_eq!(dir_part(b"/etc/".to_vec()), b"/etc/");
        assert_eq!(dir_part(b"/passwd".to_vec()), b"/");
        assert_eq!(dir_part(b"".to_vec()), b"/");
        assert_eq!(file_part(b"/etc/passwd"), b"passwd");
        assert_eq!(file_part(b"/etc/"), b"/etc/");
        assert_eq!(file_part(b"x"), b"/");
        assert_eq!(collapse_slashes(b"//a///b/"), b"/a/b/");
    }
}
