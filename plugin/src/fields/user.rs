//! `user.*`: the user of the event's thread, from the zone's user table (libsinsp's user
//! filter checks). Like libsinsp, uid 0 without a table entry is `root` with home `/root`, and
//! an unknown user reads `<NA>`.

use std::ffi::CString;

use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use super::value::{dec, text};
use crate::plugin::EderaPlugin;

/// `user.name`.
pub fn name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let (s, t) = (c.state()?, c.thread()?);
        match s.user(t.uid) {
            Some(u) => text(u.name.as_slice()),
            None if t.uid == 0 => text("root"),
            None => text("<NA>"),
        }
    })
}

/// `user.homedir`.
pub fn homedir(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let (s, t) = (c.state()?, c.thread()?);
        match s.user(t.uid) {
            Some(u) => text(u.homedir.as_slice()),
            None if t.uid == 0 => text("/root"),
            None => text("<NA>"),
        }
    })
}

/// `user.shell`.
pub fn shell(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let (s, t) = (c.state()?, c.thread()?);
        text(s.user(t.uid).map_or(&b"<NA>"[..], |u| u.shell.as_slice()))
    })
}

/// `user.loginuid`: signed decimal, `-1` when unset.
pub fn loginuid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let t = c.thread()?;
        dec(if t.loginuid < u32::MAX {
            i64::from(t.loginuid)
        } else {
            -1
        })
    })
}

/// `user.loginname`: the name of the login uid.
pub fn loginname(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let (s, t) = (c.state()?, c.thread()?);
        match s.user(t.loginuid) {
            Some(u) => text(u.name.as_slice()),
            None if t.loginuid == 0 => text("root"),
            None => text("<NA>"),
        }
    })
}
