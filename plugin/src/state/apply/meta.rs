//! Events that only refresh columns or tables: `switch` (page faults, memory of the process),
//! `brk`/`mmap`/`mmap2`/`munmap` (memory of the thread), and the user and group records.
//! `procinfo` (cpu times) changes no state libsinsp keeps; container events are ignored, as
//! libsinsp leaves them to the container plugin.

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use super::params::{PResult, empty, num, text};
use crate::state::users::Names;

pub(super) fn context_switch(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    if empty(ev, 5) {
        return Ok(());
    }
    let (maj, min): (u64, u64) = (num(ev, 1)?, num(ev, 2)?);
    let (size, rss, swap): (u32, u32, u32) = (num(ev, 3)?, num(ev, 4)?, num(ev, 5)?);
    if let Some(t) = z.threads.get_mut(tid) {
        (t.pfmajor, t.pfminor) = (maj, min);
    }
    if let Some(m) = z.threads.main_tid(tid).and_then(|m| z.threads.get_mut(m)) {
        (m.vmsize_kb, m.vmrss_kb, m.vmswap_kb) = (size, rss, swap);
    }
    Ok(())
}

pub(super) fn vm_update(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let size = if empty(ev, 1) {
        None
    } else {
        Some(num::<u32>(ev, 1)?)
    };
    let rss_swap = if empty(ev, 3) {
        None
    } else {
        Some((num::<u32>(ev, 2)?, num::<u32>(ev, 3)?))
    };
    if let Some(t) = z.threads.get_mut(tid) {
        if let Some(s) = size {
            t.vmsize_kb = s;
        }
        if let Some((r, w)) = rss_swap {
            (t.vmrss_kb, t.vmswap_kb) = (r, w);
        }
    }
    Ok(())
}

pub(super) fn user_event(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let uid: u32 = num(ev, 0)?;
    let container = text(ev, 5)?;
    if code == C::UserAddedE {
        let gid: u32 = num(ev, 1)?;
        let n = Names {
            name: Some(text(ev, 2)?),
            home: Some(text(ev, 3)?),
            shell: Some(text(ev, 4)?),
        };
        z.users.add(container, uid, gid, n);
    } else {
        z.users.remove(container, uid);
    }
    Ok(())
}

pub(super) fn group_event(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let gid: u32 = num(ev, 0)?;
    let name = text(ev, 1)?;
    let container = text(ev, 2)?;
    if code == C::GroupAddedE {
        z.groups.add(container, gid, Some(name));
    } else {
        z.groups.remove(container, gid);
    }
    Ok(())
}
