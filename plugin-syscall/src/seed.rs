//! A zone's process snapshot written into libsinsp's `threads` table (the plugin tables API),
//! so that the zone's processes are known before their next clone or execve.
//!
//! Tables are writable only while parsing: the parse capability seeds a zone when it parses the
//! marker the source puts before the zone's first event after each snapshot
//! ([`crate::marker`]), so libsinsp parses the zone's events with its threads known. The
//! snapshot is what the `edera` plugin's input put in the zone's state (the agent's threadsnap,
//! or a capture's process table); ids are namespaced as the events' ([`crate::namespace`]).
//!
//! Written: every field of libsinsp's thread table (falcosecurity/libs
//! `sinsp_threadinfo::get_static_fields`) that is writable and that the snapshot has: ids,
//! `comm`, `exe`, `exe_path`, the `exe_*` flags and inode times, `args`, `env` and `cgroups`
//! (nested tables whose entries are writable), `uid`, `gid`, `loginuid`, `flags`, `fd_limit`,
//! `pidns_init_start_ts`, `root`, `tty`, and each fd's type, name, flags, device, inode and
//! number (socket addresses are in the name only). Not written: `cwd`, which libsinsp defines
//! read-only, and what it does not expose at all (capabilities, memory sizes, page faults,
//! clone and exec times).
//!
//! The workload fields read a thread's cgroups back from the same table ([`cgroups`]): libsinsp
//! keeps them for every thread, also those started after the snapshot.

use crate::namespace::namespaced;
use edera_falco_plugin::state::Thread;
use edera_falco_plugin::state::fd::FdInfo;
use falco_plugin::anyhow;
use falco_plugin::tables::import::{Bool, Entry, Field, Table, TableMetadata};
use falco_plugin::tables::{TableReader, TableWriter};
use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString};
use std::sync::Arc;

/// An entry of a thread's `file_descriptors` table.
pub type SinspFd = Entry<Arc<SinspFdMetadata>>;
/// A thread's `file_descriptors` table, by fd number.
pub type FdsTable = Table<i64, SinspFd>;

/// The fields of libsinsp's fd entries we write.
#[derive(TableMetadata)]
#[entry_type(SinspFd)]
pub struct SinspFdMetadata {
    #[name(c"type")]
    fd_type: Field<u8, SinspFd>,
    name: Field<CStr, SinspFd>,
    open_flags: Field<u32, SinspFd>,
    flags: Field<u32, SinspFd>,
    dev: Field<u32, SinspFd>,
    ino: Field<u64, SinspFd>,
    fd: Field<i64, SinspFd>,
    pid: Field<i64, SinspFd>,
}

/// An entry of a thread's `args` or `env` table (libsinsp's vector of strings).
pub type SinspString = Entry<Arc<SinspStringMetadata>>;
/// A thread's `args` or `env` table, by position.
pub type StringsTable = Table<u64, SinspString>;

/// The field of libsinsp's string-vector entries.
#[derive(TableMetadata)]
#[entry_type(SinspString)]
pub struct SinspStringMetadata {
    value: Field<CStr, SinspString>,
}

/// An entry of a thread's `cgroups` table (libsinsp's vector of pairs).
pub type SinspCgroup = Entry<Arc<SinspCgroupMetadata>>;
/// A thread's `cgroups` table, by position.
pub type CgroupsTable = Table<u64, SinspCgroup>;

/// The fields of libsinsp's cgroup entries: subsystem and path.
#[derive(TableMetadata)]
#[entry_type(SinspCgroup)]
pub struct SinspCgroupMetadata {
    first: Field<CStr, SinspCgroup>,
    second: Field<CStr, SinspCgroup>,
}

/// An entry of libsinsp's `threads` table.
pub type SinspThread = Entry<Arc<SinspThreadMetadata>>;
/// libsinsp's `threads` table, by tid.
pub type ThreadsTable = Table<i64, SinspThread>;

/// The fields of libsinsp's `threads` table we write (names and types as libsinsp defines them).
#[derive(TableMetadata)]
#[entry_type(SinspThread)]
pub struct SinspThreadMetadata {
    pid: Field<i64, SinspThread>,
    ptid: Field<i64, SinspThread>,
    sid: Field<i64, SinspThread>,
    pgid: Field<i64, SinspThread>,
    vtid: Field<i64, SinspThread>,
    vpid: Field<i64, SinspThread>,
    vpgid: Field<i64, SinspThread>,
    comm: Field<CStr, SinspThread>,
    exe: Field<CStr, SinspThread>,
    exe_path: Field<CStr, SinspThread>,
    exe_writable: Field<Bool, SinspThread>,
    exe_upper_layer: Field<Bool, SinspThread>,
    exe_lower_layer: Field<Bool, SinspThread>,
    exe_from_memfd: Field<Bool, SinspThread>,
    exe_ino: Field<u64, SinspThread>,
    exe_ino_ctime: Field<u64, SinspThread>,
    exe_ino_mtime: Field<u64, SinspThread>,
    args: Field<StringsTable, SinspThread>,
    env: Field<StringsTable, SinspThread>,
    cgroups: Field<CgroupsTable, SinspThread>,
    uid: Field<u32, SinspThread>,
    gid: Field<u32, SinspThread>,
    loginuid: Field<u32, SinspThread>,
    flags: Field<u32, SinspThread>,
    fd_limit: Field<i64, SinspThread>,
    pidns_init_start_ts: Field<u64, SinspThread>,
    root: Field<CStr, SinspThread>,
    tty: Field<u32, SinspThread>,
    file_descriptors: Field<FdsTable, SinspThread>,
}

/// `bytes` up to the first NUL, as a C string.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Writes `t` (a thread of zone `zone`) into `table`: its entry updated when libsinsp has one,
/// else a new one.
fn write_thread(
    table: &ThreadsTable,
    reader: &impl TableReader,
    writer: &impl TableWriter,
    zone: u64,
    t: &Thread,
) -> anyhow::Result<()> {
    let tid = namespaced(t.tid, zone)?;
    let (entry, new) = match table.get_entry(reader, &tid) {
        Ok(entry) => (entry, false),
        Err(_) => (table.create_entry(writer)?, true),
    };
    entry.set_pid(writer, &namespaced(t.pid, zone)?)?;
    entry.set_ptid(writer, &namespaced(t.ptid, zone)?)?;
    entry.set_sid(writer, &namespaced(t.sid, zone)?)?;
    entry.set_pgid(writer, &namespaced(t.pgid, zone)?)?;
    entry.set_vtid(writer, &t.vtid)?;
    entry.set_vpid(writer, &t.vpid)?;
    entry.set_vpgid(writer, &t.vpgid)?;
    entry.set_comm(writer, &c_string(&t.comm))?;
    entry.set_exe(writer, &c_string(&t.exe))?;
    entry.set_exe_path(writer, &c_string(&t.exepath))?;
    entry.set_exe_writable(writer, &Bool::from(t.exe_writable))?;
    entry.set_exe_upper_layer(writer, &Bool::from(t.exe_upper_layer))?;
    entry.set_exe_lower_layer(writer, &Bool::from(t.exe_lower_layer))?;
    entry.set_exe_from_memfd(writer, &Bool::from(t.exe_from_memfd))?;
    entry.set_exe_ino(writer, &t.exe_ino)?;
    entry.set_exe_ino_ctime(writer, &t.exe_ino_ctime)?;
    entry.set_exe_ino_mtime(writer, &t.exe_ino_mtime)?;
    entry.set_uid(writer, &t.uid)?;
    entry.set_gid(writer, &t.gid)?;
    entry.set_loginuid(writer, &t.loginuid)?;
    entry.set_flags(writer, &t.flags)?;
    entry.set_fd_limit(writer, &t.fdlimit)?;
    entry.set_pidns_init_start_ts(writer, &t.pidns_init_start_ts)?;
    entry.set_root(writer, &c_string(&t.root))?;
    entry.set_tty(writer, &t.tty)?;
    // The nested tables are the inserted entry's.
    let entry = if new {
        table.insert(reader, writer, &tid, entry)?
    } else {
        entry
    };
    write_strings(&entry.get_args(reader)?, reader, writer, &t.args)?;
    write_strings(&entry.get_env(reader)?, reader, writer, &t.env)?;
    write_cgroups(&entry.get_cgroups(reader)?, reader, writer, &t.cgroups)?;
    let fds = entry.get_file_descriptors(reader)?;
    for (num, fd) in t.fds.iter() {
        write_fd(&fds, reader, writer, num, fd)?;
    }
    Ok(())
}

/// Replaces the entries of a thread's `args` or `env` table with `values`.
fn write_strings(
    table: &StringsTable,
    reader: &impl TableReader,
    writer: &impl TableWriter,
    values: &[Vec<u8>],
) -> anyhow::Result<()> {
    table.clear(writer)?;
    for (i, value) in (0u64..).zip(values) {
        // libsinsp's entry holds a value only once inserted: write it after.
        let entry = table.insert(reader, writer, &i, table.create_entry(writer)?)?;
        entry.set_value(writer, &c_string(value))?;
    }
    Ok(())
}

/// Replaces the entries of a thread's `cgroups` table with `cgroups` (subsystem, path).
fn write_cgroups(
    table: &CgroupsTable,
    reader: &impl TableReader,
    writer: &impl TableWriter,
    cgroups: &[(Vec<u8>, Vec<u8>)],
) -> anyhow::Result<()> {
    table.clear(writer)?;
    for (i, (subsystem, path)) in (0u64..).zip(cgroups) {
        let entry = table.insert(reader, writer, &i, table.create_entry(writer)?)?;
        entry.set_first(writer, &c_string(subsystem))?;
        entry.set_second(writer, &c_string(path))?;
    }
    Ok(())
}

/// Writes fd `num` into a thread's `fds` table, replacing what libsinsp had.
fn write_fd(
    fds: &FdsTable,
    reader: &impl TableReader,
    writer: &impl TableWriter,
    num: i64,
    fd: &FdInfo,
) -> anyhow::Result<()> {
    let entry = fds.create_entry(writer)?;
    entry.set_fd_type(writer, &(fd.fd_type() as u8))?;
    entry.set_name(writer, &c_string(&fd.name))?;
    entry.set_open_flags(writer, &fd.open_flags)?;
    entry.set_flags(writer, &fd.flags)?;
    entry.set_dev(writer, &fd.dev)?;
    entry.set_ino(writer, &fd.ino)?;
    entry.set_fd(writer, &num)?;
    entry.set_pid(writer, &fd.pid)?;
    fds.insert(reader, writer, &num, entry)?;
    Ok(())
}

/// The first `found(path)` over the cgroup paths libsinsp has for thread `tid`, read in place
/// (nothing copied); `None` for a thread it does not know.
pub fn find_in_cgroups<T>(
    table: &ThreadsTable,
    reader: &impl TableReader,
    tid: i64,
    mut found: impl FnMut(&[u8]) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    let Ok(thread) = table.get_entry(reader, &tid) else {
        return Ok(None);
    };
    let cgroups = thread.get_cgroups(reader)?;
    for i in 0..cgroups.get_size(reader)? as u64 {
        let entry = cgroups.get_entry(reader, &i)?;
        if let Some(t) = found(entry.get_second(reader)?.to_bytes()) {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// `threads` with every thread after its parent when the parent is among them. libsinsp ties a
/// thread to its parent when it is inserted, and makes one whose parent it does not have yet an
/// orphan (`ptid` 0: falcosecurity/libs `sinsp_thread_manager::create_thread_dependencies`,
/// which its threads table's `add_entry` calls).
fn parents_first<'t>(threads: impl Iterator<Item = &'t Thread>) -> Vec<&'t Thread> {
    let threads: Vec<&Thread> = threads.collect();
    let tids: HashSet<i64> = threads.iter().map(|t| t.tid).collect();
    let mut children: HashMap<i64, Vec<&Thread>> = HashMap::new();
    let mut order = Vec::with_capacity(threads.len());
    for t in threads {
        if t.ptid != t.tid && tids.contains(&t.ptid) {
            children.entry(t.ptid).or_default().push(t);
        } else {
            order.push(t);
        }
    }
    let mut next = 0;
    while let Some(parent) = order.get(next) {
        if let Some(c) = children.remove(&parent.tid) {
            order.extend(c);
        }
        next += 1;
    }
    // Threads in a loop of parents (a zone's lie) descend from no root: last.
    order.extend(children.into_values().flatten());
    order
}

/// Writes the `threads` of zone `zone` into `table`, parents first; returns how many could not
/// be written (an id too large, or the table refusing).
pub fn seed<'t>(
    table: &ThreadsTable,
    reader: &impl TableReader,
    writer: &impl TableWriter,
    zone: u32,
    threads: impl Iterator<Item = &'t Thread>,
) -> u64 {
    let mut failed = 0;
    for t in parents_first(threads) {
        if let Err(e) = write_thread(table, reader, writer, u64::from(zone), t) {
            log::debug!("zone {zone}: thread {} not seeded: {e}", t.tid);
            failed += 1;
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(tid: i64, ptid: i64) -> Thread {
        let mut t = Thread::new(tid);
        t.ptid = ptid;
        t
    }

    fn tids(threads: &[Thread]) -> Vec<i64> {
        parents_first(threads.iter())
            .iter()
            .map(|t| t.tid)
            .collect()
    }

    #[test]
    fn parents_come_before_their_children() {
        // 4 <- 3 <- 2 <- 1, given children first; 5's parent is not in the snapshot.
        let threads = [
            thread(1, 2),
            thread(2, 3),
            thread(5, 9),
            thread(3, 4),
            thread(4, 0),
        ];
        let order = tids(&threads);
        let at = |tid| order.iter().position(|&t| t == tid).unwrap();
        assert_eq!(order.len(), threads.len());
        assert!(at(4) < at(3) && at(3) < at(2) && at(2) < at(1));
    }

    #[test]
    fn a_loop_of_parents_is_written_last_and_whole() {
        let threads = [thread(1, 2), thread(2, 1), thread(3, 3), thread(4, 3)];
        let order = tids(&threads);
        assert_eq!(&order[..2], &[3, 4]);
        let mut rest = order[2..].to_vec();
        rest.sort();
        assert_eq!(rest, [1, 2]);
    }
}
