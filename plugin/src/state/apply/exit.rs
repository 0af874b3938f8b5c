//! `procexit`: the thread is marked dead now (so `proc.nthreads` of this very event already
//! excludes it) and removed when the next event is applied, when its children are handed to
//! the reaper the kernel reported (or one libsinsp's rules pick).

use edera_scap::event::RawEvent;

use super::ZoneState;
use super::params::{PResult, opt};

pub(super) fn procexit(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    z.threads.mark_dead(tid);
    z.remove_thread_later(ev.header.tid as i64);
    let has_children = z.threads.get(tid).is_some_and(|t| !t.children.is_empty());
    if !has_children {
        return Ok(());
    }
    let reaper = if ev.nparams() > 4 {
        opt::<i64>(ev, 4)?
    } else {
        Some(-1)
    };
    if let (Some(r), Some(t)) = (reaper, z.threads.get_mut(tid)) {
        t.reaper_tid = r;
    }
    Ok(())
}
