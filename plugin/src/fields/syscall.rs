//! `syscall.type`: the system call an event stands for.

use std::ffi::CString;

use edera_scap::tables::ec;
use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use crate::plugin::EderaPlugin;
use crate::render;

/// `syscall.type`: the event's name for syscall-category events; for generic syscall events the
/// ppm_sc name of the `ID` parameter, falling back to the native number in captures (as libsinsp
/// does in capture mode). No value for scheduler, signal, procinfo and other non-syscall events.
pub fn type_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let info = c.raw.info()?;
        if info.category & ec::SYSCALL == 0 {
            return None;
        }
        CString::new(render::event_type_name(&c.raw, true)).ok()
    })
}
