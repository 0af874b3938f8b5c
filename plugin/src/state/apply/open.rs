//! `open`, `creat`, `openat`, `openat2`, `open_by_handle_at` exits: a file or directory fd
//! named by its full path (libsinsp's `parse_open_openat_creat_exit`).
//!
//! The path is joined to the process cwd (`open`, `creat`), to the directory fd or cwd
//! (`openat*`: [`dirfd_base`]), or taken as is (`open_by_handle_at`, whose path the driver
//! resolves). A passed-on enter event, when it directly precedes, supplies the path and flags
//! (keeping the flags only the exit reports: created, overlay layer).

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_fd, ppm_o};

use super::ZoneState;
use super::enter::retrieve;
use super::params::{PResult, empty, num, opt, retval, text};
use crate::path;
use crate::state::fd::{FdInfo, FdType, fdflags};
use crate::state::thread::StoredEnter;

/// `AT_FDCWD` as the driver encodes it.
pub const AT_FDCWD: i64 = -100;

/// Flags the exit probe adds above the open flags (created, overlay layers).
const EXIT_ONLY_FLAGS: u32 = !(ppm_o::F_CREATED as u32 - 1);

pub(super) fn open_exit(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let enter = match code {
        C::SyscallOpenByHandleAtX => None,
        _ => retrieve(z, tid, code).cloned(),
    };
    let fd = retval(ev);
    let (mut dev, mut ino) = (0u32, 0u64);
    let (name, flags, dir): (Vec<u8>, u32, Vec<u8>) = match code {
        C::SyscallOpenX => {
            let mut name = text(ev, 1)?.to_vec();
            let mut flags: u32 = num(ev, 2)?;
            if !empty(ev, 4) {
                dev = num(ev, 4)?;
                ino = opt(ev, 5)?.unwrap_or(0);
            }
            if let Some(StoredEnter::Open { name: n, flags: f }) = enter
                && n != b"<NA>"
            {
                name = n;
                flags = f | (flags & EXIT_ONLY_FLAGS);
            }
            (name, flags, z.cwd_of(tid).to_vec())
        }
        C::SyscallCreatX => {
            let mut name = text(ev, 1)?.to_vec();
            let mut flags = 0u32;
            if !empty(ev, 3) {
                dev = num(ev, 3)?;
                if !empty(ev, 4) {
                    ino = num(ev, 4)?;
                    if let Some(cf) = opt::<u16>(ev, 5)? {
                        if u64::from(cf) & ppm_fd::UPPER_LAYER_CREAT != 0 {
                            flags |= ppm_fd::UPPER_LAYER as u32;
                        } else if u64::from(cf) & ppm_fd::LOWER_LAYER_CREAT != 0 {
                            flags |= ppm_fd::LOWER_LAYER as u32;
                        }
                    }
                }
            }
            if let Some(StoredEnter::Creat { name: n }) = enter
                && n != b"<NA>"
            {
                name = n;
            }
            (name, flags, z.cwd_of(tid).to_vec())
        }
        C::SyscallOpenatV2X | C::SyscallOpenat2X => {
            let mut name = if empty(ev, 2) {
                b"<NA>".to_vec()
            } else {
                text(ev, 2)?.to_vec()
            };
            let mut flags: u32 = opt(ev, 3)?.unwrap_or(0);
            let (di, ii) = if code == C::SyscallOpenatV2X {
                (5, 6)
            } else {
                (6, 7)
            };
            if !empty(ev, ii) {
                dev = num(ev, di)?;
                ino = num(ev, ii)?;
            }
            let mut dirfd: Option<i64> = opt(ev, 1)?;
            if let Some(StoredEnter::Openat {
                dirfd: d,
                name: n,
                flags: f,
            }) = enter
                && n != b"<NA>"
            {
                name = n;
                flags = f | (flags & EXIT_ONLY_FLAGS);
                dirfd = d;
            }
            let dir = dirfd
                .map(|d| dirfd_base(z, Some(tid), &name, d))
                .unwrap_or_default();
            (name, flags, dir)
        }
        _ => {
            let flags: u32 = num(ev, 2)?;
            let name = text(ev, 3)?.to_vec();
            if ev.nparams() > 4 {
                dev = num(ev, 4)?;
                if ev.nparams() > 5 {
                    ino = num(ev, 5)?;
                }
            }
            (name, flags, Vec::new())
        }
    };
    let full = path::join(&dir, &name);
    if fd < 0 {
        return Ok(());
    }
    let dir_flag = flags & ppm_o::DIRECTORY as u32 != 0;
    let mut f = FdInfo::new(if dir_flag {
        FdType::Directory
    } else {
        FdType::FileV2
    });
    f.open_flags = flags;
    f.dev = dev;
    f.ino = ino;
    f.name_raw = name;
    f.name = full;
    if flags & ppm_fd::UPPER_LAYER as u32 != 0 {
        f.flags |= fdflags::OVERLAY_UPPER;
    }
    if flags & ppm_fd::LOWER_LAYER as u32 != 0 {
        f.flags |= fdflags::OVERLAY_LOWER;
    }
    z.attach_new_fd(tid, fd, f);
    Ok(())
}

/// The directory a path relative to `dirfd` is resolved against (libsinsp's `parse_dirfd`):
/// `.` for absolute paths, the cwd for `AT_FDCWD`, the directory fd's name with a trailing `/`,
/// or `<UNKNOWN>` when the thread or the fd is unknown.
pub fn dirfd_base(z: &ZoneState, tid: Option<i64>, name: &[u8], dirfd: i64) -> Vec<u8> {
    if name.first() == Some(&b'/') {
        return b".".to_vec();
    }
    let Some(tid) = tid.filter(|t| z.threads.get(*t).is_some()) else {
        return b"<UNKNOWN>".to_vec();
    };
    if dirfd == AT_FDCWD {
        return z.cwd_of(tid).to_vec();
    }
    let Some(f) = z.threads.get_fd(tid, dirfd) else {
        return b"<UNKNOWN>".to_vec();
    };
    let mut d = f.name.clone();
    if !d.is_empty() && d.last() != Some(&b'/') {
        d.push(b'/');
    }
    d
}
