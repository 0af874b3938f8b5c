//! Plain data: the state a capture file carries (section header, machine, interfaces, users,
//! groups, threads, fds), normalized over every on-disk version.
//!
//! The reader produces these; the agent's capture writer writes the same types. Fields that some
//! versions of a block do not carry are `Option`s (`None` = absent from the file); the doc comment
//! of each names the value libscap substitutes when it is absent.
//!
//! Strings are raw bytes (Linux paths and names need not be UTF-8). Single strings hold what a C
//! reader of the file sees, i.e. the bytes before the first NUL; the NUL-separated blobs
//! (arguments, environment, cgroups) are kept whole. [`lossy`] renders any of them for display.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Renders raw bytes as text, replacing invalid UTF-8.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Splits a NUL-separated blob (as stored for args, env and cgroups) into its entries, the way
/// libsinsp does: one trailing NUL is dropped, then what is left is split at every NUL; if
/// nothing is left there are no entries (so `b"\0"` has none, `b"a\0\0"` has `a` and ``).
pub fn split_nul(blob: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = blob.strip_suffix(&[0u8]).unwrap_or(blob);
    let empty = trimmed.is_empty();
    trimmed.split(|&b| b == 0).filter(move |_| !empty)
}

/// One pcapng-style option (code, value) of a section header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOption {
    /// Option code (1 = comment, 4 = user application in pcapng).
    pub code: u16,
    /// Option value, without padding.
    pub value: Vec<u8>,
}

/// The section header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// Format major version (libscap reads 1).
    pub major: u16,
    /// Format minor version (0, 1 or 2 in practice).
    pub minor: u16,
    /// Section length as written (usually -1: unknown).
    pub section_length: u64,
    /// Options after the fixed fields, parsed best-effort (libscap skips them unread). Options
    /// that are not well-formed end the list; they never make the file unreadable.
    pub options: Vec<BlockOption>,
}

impl SectionHeader {
    /// The first comment option (code 1), if any.
    pub fn comment(&self) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == 1)
            .map(|o| o.value.as_slice())
    }
}

/// The machine info block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineInfo {
    /// Number of processors.
    pub num_cpus: u32,
    /// Physical memory size in bytes.
    pub memory_size_bytes: u64,
    /// Highest pid number.
    pub max_pid: u64,
    /// Host name (up to 128 bytes on disk).
    pub hostname: Vec<u8>,
    /// Boot time, ns since the epoch (0 in old captures, where this was reserved).
    pub boot_ts_epoch: u64,
    /// Machine flags.
    pub flags: u64,
    /// Reserved word 3.
    pub reserved3: u64,
    /// Reserved word 4.
    pub reserved4: u64,
}

/// Addresses of one network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceAddr {
    /// An IPv4 address entry (bytes in network order, as on disk).
    V4 {
        /// Address.
        addr: Ipv4Addr,
        /// Netmask.
        netmask: Ipv4Addr,
        /// Broadcast address.
        bcast: Ipv4Addr,
    },
    /// An IPv6 address entry.
    V6 {
        /// Address.
        addr: Ipv6Addr,
        /// Netmask.
        netmask: Ipv6Addr,
        /// Broadcast address.
        bcast: Ipv6Addr,
    },
}

/// One entry of the interface list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Interface name, e.g. `lo`.
    pub name: Vec<u8>,
    /// Its address.
    pub addr: InterfaceAddr,
    /// Link speed; `None` for the old "no link speed" entry types (libscap: 0).
    pub linkspeed: Option<u64>,
}

/// One user of the user list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// User name.
    pub name: Vec<u8>,
    /// Home directory.
    pub homedir: Vec<u8>,
    /// Login shell.
    pub shell: Vec<u8>,
}

/// One group of the user list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: Vec<u8>,
}

/// One process-list entry (a thread), with every field any process-list version carries.
///
/// Which version carries what (PL_V1 = 0x202 … PL_V9 = 0x215):
/// - all: tid, pid, ptid, comm, exe, args, cwd, fdlimit, flags, uid, gid;
/// - V2+: vmsize_kb, vmrss_kb, vmswap_kb, pfmajor, pfminor;  V3+: env;
/// - V4+: vtid, vpid, cgroups;  V5+: root;  V6+: sid;  V7+: exepath;  V8+: vpgid;
/// - V9 only, each present only if the entry's own length has room for it, in this order:
///   pidns_init_start_ts, tty (both absent in files of libs before 0.10, detected by the
///   entry having at most 29 bytes left), loginuid, exe_writable, cap_inheritable,
///   cap_permitted, cap_effective, exe_upper_layer, exe_ino, exe_ino_ctime, exe_ino_mtime,
///   exe_from_memfd, exe_lower_layer, pgid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadInfo {
    /// Thread id.
    pub tid: u64,
    /// Process (thread group) id.
    pub pid: u64,
    /// Parent thread id.
    pub ptid: u64,
    /// Session id (V6+; libscap: -1).
    pub sid: Option<u64>,
    /// Process group as seen from the thread's pid namespace (V8+; libscap: -1).
    pub vpgid: Option<u64>,
    /// Process group as seen from the host (V9 with room; libscap: -1).
    pub pgid: Option<u64>,
    /// Command name.
    pub comm: Vec<u8>,
    /// argv\[0\].
    pub exe: Vec<u8>,
    /// Full executable path (V7+; libscap: empty).
    pub exepath: Option<Vec<u8>>,
    /// Arguments after argv\[0\], NUL-separated and NUL-terminated (libscap adds the final NUL
    /// when the file lacks it). See [`split_nul`].
    pub args: Vec<u8>,
    /// Environment, NUL-separated and NUL-terminated like `args` (V3+; libscap: empty).
    pub env: Option<Vec<u8>>,
    /// Current working directory.
    pub cwd: Vec<u8>,
    /// Open-files limit.
    pub fdlimit: i64,
    /// Process flags (PPM_CL_*).
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Virtual memory size in KiB (V2+; libscap: 0).
    pub vmsize_kb: Option<u32>,
    /// Resident memory in KiB (V2+; libscap: 0).
    pub vmrss_kb: Option<u32>,
    /// Swapped memory in KiB (V2+; libscap: 0).
    pub vmswap_kb: Option<u32>,
    /// Major page faults (V2+; libscap: 0).
    pub pfmajor: Option<u64>,
    /// Minor page faults (V2+; libscap: 0).
    pub pfminor: Option<u64>,
    /// Thread id in its pid namespace (V4+; libscap: -1).
    pub vtid: Option<i64>,
    /// Process id in its pid namespace (V4+; libscap: -1).
    pub vpid: Option<i64>,
    /// Cgroups as `subsystem=path` entries, NUL-separated, exactly as on disk (V4+; libscap:
    /// none).
    pub cgroups: Option<Vec<u8>>,
    /// Root directory (V5+; libscap: empty).
    pub root: Option<Vec<u8>>,
    /// Start time of the pid namespace's init task (V9 with room; libscap: 0).
    pub pidns_init_start_ts: Option<u64>,
    /// Controlling terminal number (V9 with room; libscap: 0).
    pub tty: Option<u32>,
    /// Login uid (V9 with room; libscap: u32::MAX).
    pub loginuid: Option<u32>,
    /// Executable writable by its user (V9 with room; libscap: false).
    pub exe_writable: Option<bool>,
    /// Inheritable capabilities (V9 with room; libscap: 0).
    pub cap_inheritable: Option<u64>,
    /// Permitted capabilities (V9 with room; libscap: 0).
    pub cap_permitted: Option<u64>,
    /// Effective capabilities (V9 with room; libscap: 0).
    pub cap_effective: Option<u64>,
    /// Executable in an overlayfs upper layer (V9 with room; libscap: false).
    pub exe_upper_layer: Option<bool>,
    /// Executable inode number (V9 with room; libscap: 0).
    pub exe_ino: Option<u64>,
    /// Executable inode ctime (V9 with room; libscap: 0).
    pub exe_ino_ctime: Option<u64>,
    /// Executable inode mtime (V9 with room; libscap: 0).
    pub exe_ino_mtime: Option<u64>,
    /// Executable from a memfd (V9 with room; libscap: false).
    pub exe_from_memfd: Option<bool>,
    /// Executable in an overlayfs lower layer (V9 with room; libscap: false).
    pub exe_lower_layer: Option<bool>,
}

/// File descriptor types, with libscap's numeric codes (`scap_fd_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum FdType {
    Unknown = 0,
    File = 1,
    Directory = 2,
    Ipv4Sock = 3,
    Ipv6Sock = 4,
    Ipv4ServSock = 5,
    Ipv6ServSock = 6,
    Fifo = 7,
    UnixSock = 8,
    Event = 9,
    Unsupported = 10,
    Signalfd = 11,
    Eventpoll = 12,
    Inotify = 13,
    Timerfd = 14,
    Netlink = 15,
    FileV2 = 16,
    Bpf = 17,
    Userfaultfd = 18,
    Iouring = 19,
    Memfd = 20,
    Pidfd = 21,
}

impl FdType {
    /// The type with this code, if libscap defines it.
    pub fn from_code(code: u8) -> Option<FdType> {
        use FdType::*;
        const ALL: [FdType; 22] = [
            Unknown,
            File,
            Directory,
            Ipv4Sock,
            Ipv6Sock,
            Ipv4ServSock,
            Ipv6ServSock,
            Fifo,
            UnixSock,
            Event,
            Unsupported,
            Signalfd,
            Eventpoll,
            Inotify,
            Timerfd,
            Netlink,
            FileV2,
            Bpf,
            Userfaultfd,
            Iouring,
            Memfd,
            Pidfd,
        ];
        ALL.get(usize::from(code)).copied()
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Type-specific data of one fd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdDetail {
    /// No payload ([`FdType::Unknown`]).
    None,
    /// A name only: files (old format), directories, fifos, and the anonymous kinds (event,
    /// signalfd, eventpoll, inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd,
    /// unsupported). Also for an unknown type code, where libscap records type
    /// [`FdType::Unsupported`] and the name `unknown-type:[N]`.
    Name(Vec<u8>),
    /// A regular file in the newer format ([`FdType::FileV2`]).
    File {
        /// Open flags (PPM_O_*).
        open_flags: u32,
        /// Path.
        name: Vec<u8>,
        /// Device number, when the fd-list entry has room for it (libscap: 0).
        dev: Option<u32>,
    },
    /// A connected IPv4 socket (addresses in network byte order as on disk, ports host order).
    Ipv4 {
        /// Source address.
        sip: Ipv4Addr,
        /// Destination address.
        dip: Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Transport protocol (`scap_l4_proto`: 0 unknown, 1 n/a, 2 tcp, 3 udp, 4 icmp, 5 raw).
        l4proto: u8,
    },
    /// A connected IPv6 socket.
    Ipv6 {
        /// Source address.
        sip: Ipv6Addr,
        /// Destination address.
        dip: Ipv6Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Transport protocol.
        l4proto: u8,
    },
    /// A listening IPv4 socket.
    Ipv4Server {
        /// Local address.
        ip: Ipv4Addr,
        /// Local port.
        port: u16,
        /// Transport protocol.
        l4proto: u8,
    },
    /// A listening IPv6 socket.
    Ipv6Server {
        /// Local address.
        ip: Ipv6Addr,
        /// Local port.
        port: u16,
        /// Transport protocol.
        l4proto: u8,
    },
    /// A unix socket.
    Unix {
        /// Kernel address of this end.
        source: u64,
        /// Kernel address of the peer.
        destination: u64,
        /// Path (may be empty).
        name: Vec<u8>,
    },
}

/// One fd-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// Descriptor number.
    pub fd: i64,
    /// Inode number.
    pub ino: u64,
    /// Type as libscap records it ([`FdType::Unsupported`] for unknown codes).
    pub fd_type: FdType,
    /// The type code exactly as it was in the file.
    pub raw_type: u8,
    /// Type-specific data.
    pub detail: FdDetail,
}

impl FdInfo {
    /// The fd's name or path, for the types that have one.
    pub fn name(&self) -> Option<&[u8]> {
        match &self.detail {
            FdDetail::Name(n) | FdDetail::File { name: n, .. } | FdDetail::Unix { name: n, .. } => {
                Some(n)
            }
            _ => None,
        }
    }
}
