//! `evt.is_open_*` (what an open call asked for or did) and `evt.abspath` (the absolute path
//! of a dirfd-relative path parameter).

use std::ffi::{CStr, CString};

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_o, ppm_s};
use falco_plugin::anyhow;

use super::super::ctx::{Req, with_event};
use super::super::value::text;
use crate::path;
use crate::plugin::EderaPlugin;
use crate::render;
use crate::state::ZoneState;

/// libsinsp's `PPM_AT_FDCWD`.
const AT_FDCWD: i64 = -100;

/// Which `evt.is_open_*` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenTest {
    Read,
    Write,
    Exec,
    Create,
}

/// A u32 parameter, 0 when absent or empty (libsinsp reads empty parameters as 0 here).
fn u32_param(ev: &RawEvent<'_>, i: usize) -> u32 {
    ev.param_as::<u32>(i).unwrap_or(0)
}

/// Whether an execute bit is set in a mode.
fn has_exec_bit(mode: u32) -> bool {
    u64::from(mode) & (ppm_s::IXUSR | ppm_s::IXGRP | ppm_s::IXOTH) != 0
}

/// The value of `evt.is_open_*` (`test`) for `ev`.
pub fn open_test(ev: &RawEvent<'_>, test: OpenTest) -> bool {
    let code = C::from_u16(ev.header.etype);
    let new_layout = matches!(code, Some(C::SyscallOpenatV2X | C::SyscallOpenat2X));
    let open_like = new_layout || matches!(code, Some(C::SyscallOpenX | C::SyscallOpenByHandleAtX));
    if !open_like {
        return test == OpenTest::Exec
            && code == Some(C::SyscallCreatX)
            && has_exec_bit(u32_param(ev, 2));
    }
    let (flags_at, mode_at) = if new_layout { (3, 4) } else { (2, 3) };
    let flags = u64::from(u32_param(ev, flags_at));
    match test {
        OpenTest::Read => flags & ppm_o::RDONLY != 0,
        OpenTest::Write => flags & ppm_o::WRONLY != 0,
        OpenTest::Create => {
            flags & ppm_o::F_CREATED != 0
                || (flags & ppm_o::TMPFILE != 0 && render::return_value(ev).is_some_and(|r| r >= 0))
        }
        OpenTest::Exec => {
            flags & (ppm_o::TMPFILE | ppm_o::CREAT) != 0
                && code != Some(C::SyscallOpenByHandleAtX)
                && has_exec_bit(u32_param(ev, mode_at))
        }
    }
}

fn is_open(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    test: OpenTest,
) -> anyhow::Result<Option<bool>> {
    with_event(p, req, |c| Some(open_test(&c.raw, test)))
}

/// `evt.is_open_read`: `O_RDONLY` (or `O_RDWR`) in the flags of an open call.
pub fn is_open_read(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    is_open(p, &req, OpenTest::Read)
}

/// `evt.is_open_write`: `O_WRONLY` (or `O_RDWR`) in the flags of an open call.
pub fn is_open_write(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    is_open(p, &req, OpenTest::Write)
}

/// `evt.is_open_exec`.
pub fn is_open_exec(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    is_open(p, &req, OpenTest::Exec)
}

/// `evt.is_open_create`.
pub fn is_open_create(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    is_open(p, &req, OpenTest::Create)
}

/// The first parameter named `name` present in the event.
fn named<'e>(ev: &RawEvent<'e>, name: &str) -> Option<&'e [u8]> {
    let i = ev
        .info()?
        .params
        .iter()
        .take(ev.nparams())
        .position(|p| p.name == name)?;
    ev.param(i)
}

/// The (dirfd, path) parameter names of the event's path; `second` picks the new path of
/// rename and link calls.
fn abspath_params(code: C, second: bool) -> Option<(&'static str, &'static str)> {
    Some(match code {
        C::SyscallRenameatX | C::SyscallRenameat2X if second => ("newdirfd", "newpath"),
        C::SyscallRenameatX | C::SyscallRenameat2X => ("olddirfd", "oldpath"),
        C::SyscallLinkatV2X if second => ("newdir", "newpath"),
        C::SyscallLinkatV2X => ("olddir", "oldpath"),
        C::SyscallSymlinkatX => ("linkdirfd", "linkpath"),
        C::SyscallOpenatV2X | C::SyscallOpenat2X | C::SyscallUnlinkatV2X => ("dirfd", "name"),
        C::SyscallMkdiratX => ("dirfd", "path"),
        C::SyscallFchmodatX => ("dirfd", "filename"),
        C::SyscallFchownatX => ("dirfd", "pathname"),
        _ => return None,
    })
}

/// `evt.abspath` of `ev`, the last event applied to `s` (`second`: the new path of rename
/// and link calls). Unlike path resolution elsewhere, a directory fd's name always gets a `/`
/// appended (libsinsp tests the character past the end of the name), and an unknown dirfd
/// gives `<UNKNOWN>/`. No value without the event's thread.
pub fn abspath_in(s: &ZoneState, ev: &RawEvent<'_>, second: bool) -> Option<Vec<u8>> {
    let tid = s.event_tid()?;
    s.event_thread()?;
    let code = C::from_u16(ev.header.etype)?;
    if code == C::SyscallOpenByHandleAtX {
        // The path is only there when the open succeeded (fd > 0, the value read as an int).
        let fd = render::return_value(ev)? as i32;
        return (fd > 0).then(|| path::join(b"", ev.param(3).unwrap_or_default()));
    }
    let (dirfd_name, path_name) = abspath_params(code, second)?;
    let dirfd = named(ev, dirfd_name)?;
    let p = named(ev, path_name)?;
    if dirfd.is_empty() || p.is_empty() {
        return None;
    }
    let dirfd = i64::from_le_bytes(dirfd.try_into().ok()?);
    let dir = if p.first() == Some(&b'/') {
        b".".to_vec()
    } else if dirfd == AT_FDCWD {
        s.cwd_of(tid).to_vec()
    } else {
        match s.threads.get_fd(tid, dirfd) {
            Some(f) => [f.name.as_slice(), b"/"].concat(),
            None => b"<UNKNOWN>/".to_vec(),
        }
    };
    Some(path::join(&dir, p))
}

/// `evt.abspath`, `evt.abspath[src]`, `evt.abspath[dst]`; no value for another key.
pub fn abspath(
    p: &mut EderaPlugin,
    req: Req,
    key: Option<&CStr>,
) -> anyhow::Result<Option<CString>> {
    let second = match key.map(CStr::to_bytes) {
        None | Some(b"src") => false,
        Some(b"dst") => true,
        Some(_) => return Ok(None),
    };
    with_event(p, &req, |c| text(abspath_in(c.state()?, &c.raw, second)?))
}
