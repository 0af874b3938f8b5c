//! One thread entry, with every column libsinsp keeps per thread.
//!
//! Column names are the field catalog's (`tid`, `pid`, `comm`, `exepath`, `vmsize_kb`, ...).
//! Values follow libsinsp's conventions: `-1` for unknown ids, `u32::MAX` for unknown uid, gid
//! and loginuid, strings as raw bytes. Per-process data (cwd, env, the fd table) is meaningful on
//! the process's main thread: use the [`super::ZoneState`] accessors (`cwd_of`, `env_of`,
//! `fd_table_of`) to read it the way libsinsp does.

use edera_scap::tables::ppm_cl;

use super::fdtable::FdTable;

/// `PPM_CL_*` bits as the thread's `flags` holds them.
pub mod cl {
    use super::ppm_cl;
    pub const CLONE_FILES: u32 = ppm_cl::CLONE_FILES as u32;
    pub const CLONE_NEWPID: u32 = ppm_cl::CLONE_NEWPID as u32;
    pub const CLONE_PARENT: u32 = ppm_cl::CLONE_PARENT as u32;
    pub const CLONE_THREAD: u32 = ppm_cl::CLONE_THREAD as u32;
    pub const CLONE_INVERTED: u32 = ppm_cl::CLONE_INVERTED as u32;
    pub const NAME_CHANGED: u32 = ppm_cl::NAME_CHANGED as u32;
    pub const CLOSED: u32 = ppm_cl::CLOSED as u32;
    pub const ACTIVE: u32 = ppm_cl::ACTIVE as u32;
    pub const CLONE_NEWUSER: u32 = ppm_cl::CLONE_NEWUSER as u32;
    pub const PIPE_SRC: u32 = ppm_cl::PIPE_SRC as u32;
    pub const PIPE_DST: u32 = ppm_cl::PIPE_DST as u32;
    pub const CLONE_VFORK: u32 = ppm_cl::CLONE_VFORK as u32;
    pub const CHILD_IN_PIDNS: u32 = ppm_cl::CHILD_IN_PIDNS as u32;
    pub const IS_MAIN_THREAD: u32 = ppm_cl::IS_MAIN_THREAD as u32;
}

/// A reference to a thread entry that notices when the entry was replaced: the tid plus the
/// serial number the entry got when it was added (tids are reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThreadRef {
    pub tid: i64,
    pub serial: u64,
}

/// The passed-through enter event libsinsp keeps for the exit of the same syscall (only the
/// kinds it later reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredEnter {
    Open {
        name: Vec<u8>,
        flags: u32,
    },
    Creat {
        name: Vec<u8>,
    },
    Openat {
        dirfd: Option<i64>,
        name: Vec<u8>,
        flags: u32,
    },
    Connect {
        addr: Vec<u8>,
    },
    Execve {
        filename: Vec<u8>,
    },
    Execveat {
        dirfd: i64,
        pathname: Vec<u8>,
        flags: u32,
    },
}

impl StoredEnter {
    fn string_bytes(&self) -> usize {
        match self {
            StoredEnter::Open { name, .. }
            | StoredEnter::Creat { name }
            | StoredEnter::Openat { name, .. } => name.len(),
            StoredEnter::Connect { addr } => addr.len(),
            StoredEnter::Execve { filename } => filename.len(),
            StoredEnter::Execveat { pathname, .. } => pathname.len(),
        }
    }
}

/// One thread.
#[derive(Debug, Clone)]
pub struct Thread {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub sid: i64,
    pub vpgid: i64,
    pub pgid: i64,
    pub vtid: i64,
    pub vpid: i64,
    /// Command name (`proc.name`).
    pub comm: Vec<u8>,
    /// argv[0] (`proc.exe`).
    pub exe: Vec<u8>,
    /// Full executable path (`proc.exepath`).
    pub exepath: Vec<u8>,
    /// Working directory with a trailing `/`, as libsinsp stores it on the main thread.
    pub cwd: Vec<u8>,
    /// Root directory (chroot).
    pub root: Vec<u8>,
    /// Arguments after argv[0].
    pub args: Vec<Vec<u8>>,
    /// Environment entries (`NAME=value`), kept on the main thread.
    pub env: Vec<Vec<u8>>,
    /// Cgroups as (subsystem, path), subsystem names normalized as libsinsp does.
    pub cgroups: Vec<(Vec<u8>, Vec<u8>)>,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub fdlimit: i64,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
    pub cap_effective: u64,
    pub tty: u32,
    /// `PPM_CL_*` bits (see [`cl`]).
    pub flags: u32,
    pub exe_writable: bool,
    pub exe_upper_layer: bool,
    pub exe_lower_layer: bool,
    pub exe_from_memfd: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_ino_ctime_duration_clone_ts: u64,
    pub exe_ino_ctime_duration_pidns_start: u64,
    pub pidns_init_start_ts: u64,
    /// When the thread was created by a clone seen in the stream (0 if it came from a snapshot
    /// or was created on first sight).
    pub clone_ts: u64,
    /// Time of the last successful execve (0 if none seen; threads inherit their leader's).
    pub lastexec_ts: u64,
    /// The reaper the kernel reported on exit (`-1` unknown).
    pub reaper_tid: i64,
    /// This thread's own fd table. Threads created with `CLONE_FILES` use their main thread's
    /// table instead ([`super::ZoneState::fd_table_of`]).
    pub fds: FdTable,
    pub(crate) serial: u64,
    pub(crate) children: Vec<ThreadRef>,
    /// Children counted alive (libsinsp's `m_not_expired_children`), to prune stale references.
    pub(crate) live_children: usize,
    /// The thread group this thread joined (by pid), if any: invalid threads join none.
    pub(crate) group: Option<i64>,
    pub(crate) lastevent_fd: i64,
    pub(crate) last_enter_type: Option<u16>,
    /// The stored enter event and its event code.
    pub(crate) last_enter: Option<Box<(u16, StoredEnter)>>,
    pub(crate) accessed: bool,
    pub(crate) accounted: usize,
}

impl Thread {
    /// A blank entry for `tid`, with libsinsp's initial values.
    pub fn new(tid: i64) -> Thread {
        Thread {
            tid,
            pid: -1,
            ptid: -1,
            sid: -1,
            vpgid: -1,
            pgid: -1,
            vtid: -1,
            vpid: -1,
            comm: Vec::new(),
            exe: Vec::new(),
            exepath: Vec::new(),
            cwd: Vec::new(),
            root: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            cgroups: Vec::new(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            fdlimit: -1,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            cap_permitted: 0,
            cap_inheritable: 0,
            cap_effective: 0,
            tty: 0,
            flags: cl::NAME_CHANGED,
            exe_writable: false,
            exe_upper_layer: false,
            exe_lower_layer: false,
            exe_from_memfd: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_ino_ctime_duration_clone_ts: 0,
            exe_ino_ctime_duration_pidns_start: 0,
            pidns_init_start_ts: 0,
            clone_ts: 0,
            lastexec_ts: 0,
            reaper_tid: -1,
            fds: FdTable::default(),
            serial: 0,
            children: Vec::new(),
            live_children: 0,
            group: None,
            lastevent_fd: 0,
            last_enter_type: None,
            last_enter: None,
            accessed: false,
            accounted: 0,
        }
    }

    /// The entry libsinsp creates for a thread it first sees in an event and cannot look up
    /// (captures carry no /proc): comm and exe `<NA>`, pid and ptid `-1`, unknown user.
    pub fn unknown(tid: i64) -> Thread {
        let mut t = Thread::new(tid);
        t.comm = b"<NA>".to_vec();
        t.exe = b"<NA>".to_vec();
        t
    }

    /// A reference to this entry.
    pub fn as_ref(&self) -> ThreadRef {
        ThreadRef {
            tid: self.tid,
            serial: self.serial,
        }
    }

    /// A process's main thread (`tid == pid`, or flagged as such).
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid || self.flags & cl::IS_MAIN_THREAD != 0
    }

    /// An entry without usable ids (created on first sight, or damaged).
    pub fn is_invalid(&self) -> bool {
        self.tid < 0 || self.pid < 0 || self.ptid < 0
    }

    /// The thread exited (its entry stays while other threads of the process need it).
    pub fn is_dead(&self) -> bool {
        self.flags & cl::CLOSED != 0
    }

    /// The thread lives in a pid namespace other than the host's.
    pub fn is_in_pid_namespace(&self) -> bool {
        self.flags & cl::CHILD_IN_PIDNS != 0 || (self.tid != self.vtid && self.vtid >= 0)
    }

    /// `proc.cmdline`: `comm` then each argument, space-separated.
    pub fn cmdline(&self) -> Vec<u8> {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(b' ');
            s.extend_from_slice(a);
        }
        s
    }

    /// `proc.args`: the arguments, space-separated.
    pub fn args_joined(&self) -> Vec<u8> {
        self.args.join(&b' ')
    }

    /// The cgroup path of `subsys`, if the thread has one.
    pub fn cgroup(&self, subsys: &[u8]) -> Option<&[u8]> {
        self.cgroups
            .iter()
            .find(|(s, _)| s == subsys)
            .map(|(_, p)| p.as_slice())
    }

    /// Bytes of strings this entry holds (not counting its fd table).
    pub(crate) fn string_bytes(&self) -> usize {
        let v = |x: &Vec<Vec<u8>>| x.iter().map(|s| s.len() + 1).sum::<usize>();
        self.comm.len()
            + self.exe.len()
            + self.exepath.len()
            + self.cwd.len()
            + self.root.len()
            + v(&self.args)
            + v(&self.env)
            + self
                .cgroups
                .iter()
                .map(|(a, b)| a.len() + b.len() + 2)
                .sum::<usize>()
            + self.last_enter.as_ref().map_or(0, |e| e.1.string_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_thread_defaults() {
        let t = Thread::unknown(42);
        assert_eq!(
            (t.pid, t.ptid, t.uid, t.loginuid),
            (-1, -1, u32::MAX, u32::MAX)
        );
        assert!(t.is_invalid() && !t.is_main_thread());
        assert_eq!(t.cmdline(), b"<NA>");
    }

    #[test]
    fn cmdline() {
        let mut t = Thread::new(1);
        t.comm = b"cat".to_vec();
        t.args = vec![b"/dev/null".to_vec(), b"".to_vec()];
        assert_eq!(t.cmdline(), b"cat /dev/null ");
        assert_eq!(t.args_joined(), b"/dev/null ");
    }
}
