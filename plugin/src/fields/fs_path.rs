//! `fs.path.*`: the paths path-based syscalls act on (libsinsp's fs.path filter checks).
//!
//! Per exit event type, a success test (a zero `res`, or for the open family an `fd` other than
//! -1) and the parameter holding each path ([`Spec`]). The raw fields give the parameter up to
//! its first NUL; the others normalise it and make it absolute against the directory libsinsp
//! picks for that syscall ([`base_dir`]).

use std::ffi::CString;

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;
use falco_plugin::anyhow;

use super::ctx::{Ctx, Req, with_event};
use super::fd::{event_fd_name, text};
use crate::path;
use crate::plugin::EderaPlugin;
use crate::state::apply::open::dirfd_base;

/// Where a path comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    /// The parameter of this name.
    Param(&'static str),
    /// `fd.name` of the event.
    FdName,
}

/// Which path a field asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Name,
    Source,
    Target,
}

/// The success test and path sources of one event type: (success by `fd` != -1, name,
/// source, target).
struct Spec {
    open_like: bool,
    name: Option<Src>,
    source: Option<Src>,
    target: Option<Src>,
}

fn spec(code: C) -> Option<Spec> {
    use Src::{FdName, Param as P};
    let one = |s| Spec {
        open_like: false,
        name: Some(s),
        source: None,
        target: None,
    };
    let two = |a, b| Spec {
        open_like: false,
        name: None,
        source: Some(a),
        target: Some(b),
    };
    Some(match code {
        C::SyscallMkdirV2X | C::SyscallMkdiratX | C::SyscallRmdirV2X | C::SyscallUnlinkV2X => {
            one(P("path"))
        }
        C::SyscallUnlinkatV2X | C::SyscallUmountV1X | C::SyscallUmount2X => one(P("name")),
        C::SyscallOpenX | C::SyscallOpenatV2X | C::SyscallOpenat2X => Spec {
            open_like: true,
            ..one(P("name"))
        },
        C::SyscallFchmodatX | C::SyscallChmodX => one(P("filename")),
        C::SyscallFchmodX | C::SyscallFchownX => one(FdName),
        C::SyscallChownX | C::SyscallLchownX => one(P("path")),
        C::SyscallFchownatX => one(P("pathname")),
        C::SyscallQuotactlX => one(P("special")),
        C::SyscallRenameX | C::SyscallRenameatX | C::SyscallRenameat2X => {
            two(P("oldpath"), P("newpath"))
        }
        C::SyscallLinkV2X | C::SyscallLinkatV2X => two(P("newpath"), P("oldpath")),
        C::SyscallSymlinkX | C::SyscallSymlinkatX => two(P("linkpath"), P("target")),
        C::SyscallMountX => two(P("dev"), P("dir")),
        _ => return None,
    })
}

/// The first parameter of `ev` named `name`.
fn param<'e>(ev: &RawEvent<'e>, name: &str) -> Option<&'e [u8]> {
    let info = ev.info()?;
    let i = info
        .params
        .iter()
        .take(ev.nparams())
        .position(|p| p.name == name)?;
    ev.param(i)
}

/// A signed integer parameter of 4 or 8 bytes.
fn signed(b: &[u8]) -> Option<i64> {
    match b.len() {
        4 => Some(i64::from(i32::from_le_bytes(b.try_into().ok()?))),
        8 => Some(i64::from_le_bytes(b.try_into().ok()?)),
        _ => None,
    }
}

/// The path `which` of the event, as passed (up to its first NUL), when the call succeeded.
fn raw_path(c: &Ctx<'_, '_>, which: Which) -> Option<(C, Vec<u8>)> {
    let code = C::from_u16(c.raw.header.etype)?;
    let sp = spec(code)?;
    let ok = if sp.open_like {
        signed(param(&c.raw, "fd")?)? != -1
    } else {
        signed(param(&c.raw, "res")?)? == 0
    };
    if !ok {
        return None;
    }
    let src = match which {
        Which::Name => sp.name,
        Which::Source => sp.source,
        Which::Target => sp.target,
    }?;
    let bytes = match src {
        Src::Param(n) => {
            let b = param(&c.raw, n)?;
            b[..b.iter().position(|&x| x == 0).unwrap_or(b.len())].to_vec()
        }
        Src::FdName => event_fd_name(c)?,
    };
    Some((code, bytes))
}

/// The directory a relative path of this event is resolved against; `None` when the path is
/// replaced instead (openat: the opened fd's name).
fn base_dir(c: &Ctx<'_, '_>, code: C, which: Which, path: &[u8]) -> Option<Vec<u8>> {
    let s = c.state()?;
    let tid = s.event_tid()?;
    let dirfd_param = |i: usize| {
        let dirfd = c.raw.param_as::<i64>(i)?;
        Some(dirfd_base(s, s.event().tid, path, dirfd))
    };
    Some(match code {
        C::SyscallNewfstatatX
        | C::SyscallFchownatX
        | C::SyscallFchmodatX
        | C::SyscallMkdiratX
        | C::SyscallUnlinkatV2X
        | C::SyscallMknodatX => attached_dir(c),
        C::SyscallSymlinkatX if which == Which::Source => attached_dir(c),
        C::SyscallSymlinkatX => b"<UNKNOWN>".to_vec(),
        C::SyscallRenameat2X => match which {
            Which::Target => dirfd_param(3)?,
            Which::Source => dirfd_param(1)?,
            Which::Name => b"<UNKNOWN>".to_vec(),
        },
        _ => s.cwd_of(tid).to_vec(),
    })
}

/// The event's (parser-attached) fd as a base directory: its name with a trailing `/`, or
/// `<UNKNOWN>` when it is missing or not a directory.
fn attached_dir(c: &Ctx<'_, '_>) -> Vec<u8> {
    match attached_fd_name(c, true) {
        Some(mut n) => {
            if !n.is_empty() && n.last() != Some(&b'/') {
                n.push(b'/');
            }
            n
        }
        None => b"<UNKNOWN>".to_vec(),
    }
}

/// The name of the fd the parser attached to the event (`dir`: only if it is a directory).
fn attached_fd_name(c: &Ctx<'_, '_>, dir: bool) -> Option<Vec<u8>> {
    let s = c.state()?;
    let e = s.event();
    let f = s.threads.fd_table(e.tid?)?.get(e.fd?)?;
    (!dir || f.is_directory()).then(|| f.name.clone())
}

/// The absolute, normalised path `which`.
fn resolved(c: &Ctx<'_, '_>, which: Which) -> Option<Vec<u8>> {
    let (code, p) = raw_path(c, which)?;
    c.thread()?;
    if p.first() == Some(&b'/') {
        return Some(path::join(b"", &p));
    }
    if matches!(code, C::SyscallOpenatV2X | C::SyscallOpenat2X) {
        let name = attached_fd_name(c, false).unwrap_or_else(|| b"<UNKNOWN>".to_vec());
        return Some(path::join(b"", &name));
    }
    Some(path::join(&base_dir(c, code, which, &p)?, &p))
}

fn field(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    which: Which,
    raw: bool,
) -> anyhow::Result<Option<CString>> {
    with_event(p, req, |c| {
        let v = if raw {
            raw_path(c, which)?.1
        } else {
            resolved(c, which)?
        };
        text(v)
    })
}

/// `fs.path.name`.
pub fn name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Name, false)
}

/// `fs.path.nameraw`.
pub fn nameraw(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Name, true)
}

/// `fs.path.source`.
pub fn source(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Source, false)
}

/// `fs.path.sourceraw`.
pub fn sourceraw(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Source, true)
}

/// `fs.path.target`.
pub fn target(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Target, false)
}

/// `fs.path.targetraw`.
pub fn targetraw(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    field(p, &req, Which::Target, true)
}
