//! Session and process-group leaders: `proc.sname`, `proc.sid.exe*`, `proc.vpgid.*`,
//! `proc.pgid.*` (libsinsp's `get_oldest_matching_ancestor`). An empty string when the id is
//! -1 or no leader is found.

use std::ffi::CString;

use falco_plugin::anyhow;

use super::super::ctx::Req;
use super::super::value::text;
use super::with_proc;
use crate::plugin::EderaPlugin;
use crate::state::Thread;

/// Which id a leader shares, and whether it is a virtual (namespace-local) id.
#[derive(Clone, Copy)]
enum Kind {
    Session,
    VirtualGroup,
    Group,
}

fn leader_column(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    kind: Kind,
    col: impl Fn(&Thread) -> &[u8],
) -> anyhow::Result<Option<CString>> {
    with_proc(p, req, |_, s, t| {
        let (id, virt): (fn(&Thread) -> i64, bool) = match kind {
            Kind::Session => (|t| t.sid, true),
            Kind::VirtualGroup => (|t| t.vpgid, true),
            Kind::Group => (|t| t.pgid, false),
        };
        let leader = s.threads.oldest_matching_ancestor(t.tid, id, virt);
        text(leader.map_or(&[][..], col))
    })
}

/// `proc.sname`.
pub fn sname(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Session, |l| &l.comm)
}

/// `proc.sid.exe`.
pub fn sid_exe(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Session, |l| &l.exe)
}

/// `proc.sid.exepath`.
pub fn sid_exepath(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Session, |l| &l.exepath)
}

/// `proc.vpgid.name`.
pub fn vpgid_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::VirtualGroup, |l| &l.comm)
}

/// `proc.vpgid.exe`.
pub fn vpgid_exe(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::VirtualGroup, |l| &l.exe)
}

/// `proc.vpgid.exepath`.
pub fn vpgid_exepath(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::VirtualGroup, |l| &l.exepath)
}

/// `proc.pgid.name`.
pub fn pgid_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Group, |l| &l.comm)
}

/// `proc.pgid.exe`.
pub fn pgid_exe(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Group, |l| &l.exe)
}

/// `proc.pgid.exepath`.
pub fn pgid_exepath(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    leader_column(p, &req, Kind::Group, |l| &l.exepath)
}
