//! `group.*`: the group of the event's thread (libsinsp's group filter checks). gid 0 without
//! a table entry is `root`; an unknown group reads `<NA>`.

use std::ffi::CString;

use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use super::value::text;
use crate::plugin::EderaPlugin;

/// `group.name`.
pub fn name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let (s, t) = (c.state()?, c.thread()?);
        match s.group(t.gid) {
            Some(g) => text(g.name.as_slice()),
            None if t.gid == 0 => text("root"),
            None => text("<NA>"),
        }
    })
}
