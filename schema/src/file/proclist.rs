//! Process list blocks, PL_V1 (0x202) to PL_V9 (0x215), one entry per thread, entries following
//! one another until fewer than 4 bytes are left.
//!
//! Entry layout, in order (fields marked with a version appear from that version on):
//! `tid, pid, ptid: u64`, `sid: u64` (V6), `vpgid: u64` (V8), `comm` (string), `exe`,
//! `exepath` (V7), `args` (blob), `cwd`, `fdlimit: i64`, `flags, uid, gid: u32`,
//! then from V2 `vmsize_kb, vmrss_kb, vmswap_kb: u32`, `pfmajor, pfminor: u64`,
//! `env` (blob, V3), `vtid, vpid: i64` and `cgroups` (blob, V4), `root` (string, V5).
//! Strings and blobs have a u16 length and no NUL; strings may be at most 1024 bytes, blobs 4096.
//!
//! V9 entries start with their u32 length (counting itself); after the fields above come the
//! optional ones, each read only if the entry still has room for it: `pidns_init_start_ts: u64`
//! and `tty: u32` (libs 0.10.0 inserted these two *before* the older optional fields, so libscap
//! skips both when at most 29 bytes — the size of the older ones — are left), `loginuid: u32`,
//! `exe_writable: u8`, `cap_inheritable, cap_permitted, cap_effective: u64`,
//! `exe_upper_layer: u8`, `exe_ino, exe_ino_ctime, exe_ino_mtime: u64`, `exe_from_memfd: u8`,
//! `exe_lower_layer: u8`, `pgid: i64`. Bytes after the last known field are skipped.

use super::cursor::{Cursor, c_str};
use super::entry::entry;
use super::error::{ReadError, Result};
use super::limits::Limits;
use super::model::{ThreadInfo, split_nul};

const MAX_PATH: u16 = 1024;
const MAX_BLOB: u16 = 4096;
/// Bytes of the optional fields that predate libs 0.10.0.
const PRE_0_10_OPTIONAL: usize = 29;

/// Parses the next entry of a process list body of `version` (1..=9).
pub(crate) fn next_entry(c: &mut Cursor<'_>, version: u8, limits: &Limits) -> Result<ThreadInfo> {
    entry(c, version >= 9, "process list entry", |c, bounded| {
        let mut t = fixed_fields(c, version, limits)?;
        if bounded {
            optional_fields(c, &mut t)?;
        }
        Ok(t)
    })
}

fn string(c: &mut Cursor<'_>, what: &'static str, limits: &Limits) -> Result<Vec<u8>> {
    Ok(c_str(c.string16(
        what,
        MAX_PATH,
        limits.max_string_bytes,
    )?))
}

/// A NUL-separated blob. With `terminate`, a NUL is appended when the last byte is not one, as
/// libscap does for args and env.
fn blob(
    c: &mut Cursor<'_>,
    what: &'static str,
    terminate: bool,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let at = c.offset();
    let raw = c.string16(what, MAX_BLOB, limits.max_string_bytes)?;
    let entries = split_nul(raw).count() as u64;
    if entries > u64::from(limits.max_list_entries) {
        return Err(ReadError::limit(
            at,
            what,
            entries,
            limits.max_list_entries.into(),
        ));
    }
    let mut v = raw.to_vec();
    if terminate && v.last().is_some_and(|&b| b != 0) {
        v.push(0);
    }
    Ok(v)
}

fn fixed_fields(c: &mut Cursor<'_>, v: u8, limits: &Limits) -> Result<ThreadInfo> {
    let mut t = ThreadInfo {
        tid: c.u64("tid")?,
        pid: c.u64("pid")?,
        ptid: c.u64("ptid")?,
        ..ThreadInfo::default()
    };
    if v >= 6 {
        t.sid = Some(c.u64("sid")?);
    }
    if v >= 8 {
        t.vpgid = Some(c.u64("vpgid")?);
    }
    t.comm = string(c, "comm", limits)?;
    t.exe = string(c, "exe", limits)?;
    if v >= 7 {
        t.exepath = Some(string(c, "exepath", limits)?);
    }
    t.args = blob(c, "args", true, limits)?;
    t.cwd = string(c, "cwd", limits)?;
    t.fdlimit = c.i64("fdlimit")?;
    t.flags = c.u32("flags")?;
    t.uid = c.u32("uid")?;
    t.gid = c.u32("gid")?;
    if v >= 2 {
        t.vmsize_kb = Some(c.u32("vmsize_kb")?);
        t.vmrss_kb = Some(c.u32("vmrss_kb")?);
        t.vmswap_kb = Some(c.u32("vmswap_kb")?);
        t.pfmajor = Some(c.u64("pfmajor")?);
        t.pfminor = Some(c.u64("pfminor")?);
    }
    if v >= 3 {
        t.env = Some(blob(c, "env", true, limits)?);
    }
    if v >= 4 {
        t.vtid = Some(c.i64("vtid")?);
        t.vpid = Some(c.i64("vpid")?);
        t.cgroups = Some(blob(c, "cgroups", false, limits)?);
    }
    if v >= 5 {
        t.root = Some(string(c, "root", limits)?);
    }
    Ok(t)
}

fn opt_u64(c: &mut Cursor<'_>, what: &'static str) -> Result<Option<u64>> {
    if c.remaining() >= 8 {
        c.u64(what).map(Some)
    } else {
        Ok(None)
    }
}

fn opt_u32(c: &mut Cursor<'_>, what: &'static str) -> Result<Option<u32>> {
    if c.remaining() >= 4 {
        c.u32(what).map(Some)
    } else {
        Ok(None)
    }
}

fn opt_bool(c: &mut Cursor<'_>, what: &'static str) -> Result<Option<bool>> {
    if c.remaining() >= 1 {
        c.u8(what).map(|b| Some(b != 0))
    } else {
        Ok(None)
    }
}

fn optional_fields(c: &mut Cursor<'_>, t: &mut ThreadInfo) -> Result<()> {
    if c.remaining() > PRE_0_10_OPTIONAL {
        t.pidns_init_start_ts = opt_u64(c, "pidns_init_start_ts")?;
        t.tty = opt_u32(c, "tty")?;
    }
    t.loginuid = opt_u32(c, "loginuid")?;
    t.exe_writable = opt_bool(c, "exe_writable")?;
    t.cap_inheritable = opt_u64(c, "cap_inheritable")?;
    t.cap_permitted = opt_u64(c, "cap_permitted")?;
    t.cap_effective = opt_u64(c, "cap_effective")?;
    t.exe_upper_layer = opt_bool(c, "exe_upper_layer")?;
    t.exe_ino = opt_u64(c, "exe_ino")?;
    t.exe_ino_ctime = opt_u64(c, "exe_ino_ctime")?;
    t.exe_ino_mtime = opt_u64(c, "exe_ino_mtime")?;
    t.exe_from_memfd = opt_bool(c, "exe_from_memfd")?;
    t.exe_lower_layer = opt_bool(c, "exe_lower_layer")?;
    t.pgid = opt_u64(c, "pgid")?;
    Ok(())
}
