//! Working and root directories: `chdir`, `fchdir`, `getcwd` (which resynchronizes the cwd),
//! `chroot`. The cwd is kept on the process's main thread with a trailing `/`.

use edera_scap::event::RawEvent;

use super::ZoneState;
use super::params::{PResult, retval, text};
use super::util::update_cwd;
use crate::path;

pub(super) fn chdir(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    if let Some(tid) = z.event.tid.filter(|_| retval(ev) >= 0) {
        let p = text(ev, 1)?.to_vec();
        update_cwd(&mut z.threads, tid, &p);
    }
    Ok(())
}

pub(super) fn fchdir(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let (Some(tid), Some(k)) = (z.event.tid, z.event.fd) else {
        return Ok(());
    };
    if retval(ev) < 0 {
        return Ok(());
    }
    let Some(name) = z
        .threads
        .fd_table(tid)
        .and_then(|t| t.get(k))
        .map(|f| f.name.clone())
    else {
        return Ok(());
    };
    update_cwd(&mut z.threads, tid, &name);
    Ok(())
}

pub(super) fn getcwd(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    chdir(z, ev)
}

/// The root becomes the path, resolved against the cwd when relative.
pub(super) fn chroot(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| retval(ev) == 0) else {
        return Ok(());
    };
    let p = text(ev, 1)?;
    let root = if p == b"<NA>" || p.is_empty() || p[0] == b'/' {
        p.to_vec()
    } else {
        path::join(z.cwd_of(tid), p)
    };
    if let Some(t) = z.threads.get_mut(tid) {
        t.root = root;
    }
    Ok(())
}
