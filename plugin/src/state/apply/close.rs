//! `close` and `close_range` exits.
//!
//! A successful `close` schedules the fd's removal for when the next event is applied, so the
//! `close` event's own fields still show the closed fd. `close_range` removes the range at once,
//! or marks it close-on-exec with `CLOSE_RANGE_CLOEXEC`.

use edera_scap::event::RawEvent;
use edera_scap::tables::ppm_o;

use super::ZoneState;
use super::params::{PResult, num, retval};

/// `PPM_CLOSE_RANGE_CLOEXEC`.
const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

pub(super) fn close(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    if retval(ev) < 0 {
        return Ok(());
    }
    let (Some(tid), Some(_)) = (z.event.tid, z.event.fd) else {
        return Ok(());
    };
    let fd = z.threads.get(tid).map_or(-1, |t| t.lastevent_fd);
    z.remove_fd_later(tid, fd);
    Ok(())
}

pub(super) fn close_range(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    if retval(ev) < 0 || z.threads.fd_table(tid).is_none() {
        return Ok(());
    }
    let first: u32 = num(ev, 1)?;
    let last: u32 = num(ev, 2)?;
    let flags: u32 = num(ev, 3)?;
    let in_range = |fd: i64| fd >= 0 && fd >= i64::from(first) && fd <= i64::from(last);
    if flags & CLOSE_RANGE_CLOEXEC != 0 {
        z.threads.with_fds(tid, |t| {
            t.for_each_mut(|fd, f| {
                if in_range(fd) {
                    f.open_flags |= ppm_o::CLOEXEC as u32;
                }
            })
        });
    } else {
        z.threads.retain_fds(tid, |fd, _| !in_range(fd));
    }
    Ok(())
}
