//! Enter events the converter still passes on (`open`, `creat`, `openat`, `openat2`, `connect`,
//! `execve`, `execveat`): libsinsp keeps the last one per thread and reads it when the matching
//! exit lacks a parameter or, for `connect`, to check the exit's address. The stored copy is
//! dropped after any exit event of the thread.

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use super::params::{PResult, empty, num, opt, raw, text};
use crate::state::thread::StoredEnter;

/// Longest stored string: longer paths do not exist in a kernel.
const MAX_STORED: usize = 4096;

fn bounded(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(MAX_STORED)].to_vec()
}

/// libsinsp's `store_event` for the passed-on enter events.
pub(super) fn store(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let needs_first = !matches!(code, C::SyscallExecveatE | C::SocketConnectE);
    if needs_first && empty(ev, 0) {
        return Ok(());
    }
    let stored = match code {
        C::SyscallOpenE => StoredEnter::Open {
            name: bounded(text(ev, 0)?),
            flags: num(ev, 1)?,
        },
        C::SyscallCreatE => StoredEnter::Creat {
            name: bounded(text(ev, 0)?),
        },
        C::SyscallOpenatV2E | C::SyscallOpenat2E => StoredEnter::Openat {
            dirfd: opt(ev, 0)?,
            name: bounded(text(ev, 1)?),
            flags: num(ev, 2)?,
        },
        C::SocketConnectE => StoredEnter::Connect {
            addr: bounded(raw(ev, 1)),
        },
        C::SyscallExecveV19E => StoredEnter::Execve {
            filename: bounded(text(ev, 0)?),
        },
        C::SyscallExecveatE => StoredEnter::Execveat {
            dirfd: num(ev, 0)?,
            pathname: bounded(text(ev, 1)?),
            flags: num(ev, 2)?,
        },
        _ => return Ok(()),
    };
    if let Some(t) = z.threads.get_mut(tid) {
        t.last_enter = Some(Box::new((code as u16, stored)));
    }
    Ok(())
}

/// The stored enter event matching the current exit event `exit` of `tid` (libsinsp's
/// `retrieve_enter_event`): only when the exit directly follows its own enter.
pub(super) fn retrieve(z: &ZoneState, tid: i64, exit: C) -> Option<&StoredEnter> {
    if !z.event.enter_valid {
        return None;
    }
    let (code, e) = z.threads.get(tid)?.last_enter.as_deref()?;
    let matches = u32::from(*code) + 1 == exit as u32
        || (exit == C::SyscallExecveV19X && *code == C::SyscallExecveatE as u16);
    matches.then_some(e)
}
