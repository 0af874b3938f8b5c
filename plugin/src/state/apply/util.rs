//! Column setters shared by the parsers and the snapshot load, with libsinsp's normalizations.

use crate::path;
use crate::state::table::ThreadTable;
use crate::state::thread::Thread;

/// Sets `exepath`, dropping a ` (deleted)` suffix (the kernel's mark for a removed file).
pub fn set_exepath(t: &mut Thread, p: &[u8]) {
    const SUFFIX: &[u8] = b" (deleted)";
    let p = match p.strip_suffix(SUFFIX) {
        Some(rest) if !rest.is_empty() => rest,
        _ => p,
    };
    t.exepath = p.to_vec();
}

/// Cgroups from `subsys=path` entries, subsystem names normalized as libsinsp does (a
/// `_cgroup` infix removed; `perf`, `mem`, `io` renamed `perf_event`, `memory`, `blkio`).
/// `None` (keep the old ones) when an entry has no `=`.
pub fn cgroups_of(entries: &[Vec<u8>]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let eq = e.iter().position(|&b| b == b'=')?;
        let mut subsys = e[..eq].to_vec();
        if let Some(i) = subsys.windows(7).position(|w| w == b"_cgroup") {
            subsys.drain(i..i + 7);
        }
        let subsys = match subsys.as_slice() {
            b"perf" => b"perf_event".to_vec(),
            b"mem" => b"memory".to_vec(),
            b"io" => b"blkio".to_vec(),
            _ => subsys,
        };
        out.push((subsys, e[eq + 1..].to_vec()));
    }
    Some(out)
}

/// libsinsp's `update_cwd`: the process's cwd becomes `cwd` joined to the calling thread's
/// own stored cwd (which only the main thread has), with a trailing `/`.
pub fn update_cwd(threads: &mut ThreadTable, tid: i64, cwd: &[u8]) {
    let Some(main) = threads.main_tid(tid) else {
        return;
    };
    let own = threads
        .get(tid)
        .map(|t| t.cwd.as_slice())
        .unwrap_or_default();
    let mut new = path::join(own, cwd);
    if new.last() != Some(&b'/') {
        new.push(b'/');
    }
    if let Some(m) = threads.get_mut(main) {
        m.cwd = new;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_names() {
        let e = vec![
            b"cpu_cgroup=/a".to_vec(),
            b"perf=/".to_vec(),
            b"io=/x=y".to_vec(),
        ];
        let c = cgroups_of(&e).unwrap();
        assert_eq!(c[0], (b"cpu".to_vec(), b"/a".to_vec()));
        assert_eq!(c[1].0, b"perf_event");
        assert_eq!(c[2], (b"blkio".to_vec(), b"/x=y".to_vec()));
        assert!(cgroups_of(&[b"bad".to_vec()]).is_none());
    }

    #[test]
    fn exepath_deleted() {
        let mut t = Thread::new(1);
        set_exepath(&mut t, b"/bin/x (deleted)");
        assert_eq!(t.exepath, b"/bin/x");
        set_exepath(&mut t, b" (deleted)");
        assert_eq!(t.exepath, b" (deleted)");
    }
}
