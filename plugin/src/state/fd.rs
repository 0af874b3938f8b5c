//! One file descriptor, as libsinsp's fd table keeps it.
//!
//! Socket data lives in [`SockInfo`], a byte image of libsinsp's `sinsp_sockinfo` union: the
//! ipv4 tuple, ipv6 tuple, ipv4/ipv6 server address and unix tuple all overlay the same bytes.
//! libsinsp switches an fd between these views (an ipv6 socket connected to an ipv4-mapped
//! address becomes an ipv4 socket) without clearing the others, and what is left over shows in
//! `fd.name` and `fd.l4proto`; keeping the same overlay reproduces that exactly.

use edera_scap::tables::ppm_o;

/// libscap's fd types (`scap_fd_type`), plus libsinsp's "not set yet"; `as u8` gives the
/// `scap_fd_type` value (as libsinsp's tables store it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FdType {
    /// `SCAP_FD_UNINITIALIZED` (-1): a fresh entry whose type was never set.
    #[default]
    Uninitialized = u8::MAX,
    Unknown = 0,
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
}

impl FdType {
    /// The type of a capture's fd-list entry.
    pub fn from_scap(t: edera_scap::file::FdType) -> FdType {
        use edera_scap::file::FdType as S;
        match t {
            S::Unknown => FdType::Unknown,
            S::File => FdType::File,
            S::Directory => FdType::Directory,
            S::Ipv4Sock => FdType::Ipv4Sock,
            S::Ipv6Sock => FdType::Ipv6Sock,
            S::Ipv4ServSock => FdType::Ipv4ServSock,
            S::Ipv6ServSock => FdType::Ipv6ServSock,
            S::Fifo => FdType::Fifo,
            S::UnixSock => FdType::UnixSock,
            S::Event => FdType::Event,
            S::Unsupported => FdType::Unsupported,
            S::Signalfd => FdType::Signalfd,
            S::Eventpoll => FdType::Eventpoll,
            S::Inotify => FdType::Inotify,
            S::Timerfd => FdType::Timerfd,
            S::Netlink => FdType::Netlink,
            S::FileV2 => FdType::FileV2,
            S::Bpf => FdType::Bpf,
            S::Userfaultfd => FdType::Userfaultfd,
            S::Iouring => FdType::Iouring,
            S::Memfd => FdType::Memfd,
            S::Pidfd => FdType::Pidfd,
        }
    }

    /// `fd.typechar`: one letter per type (`?` for an entry whose type was never set).
    pub fn typechar(self) -> u8 {
        match self {
            FdType::File | FdType::FileV2 => b'f',
            FdType::Ipv4Sock | FdType::Ipv4ServSock => b'4',
            FdType::Ipv6Sock | FdType::Ipv6ServSock => b'6',
            FdType::Directory => b'd',
            FdType::Fifo => b'p',
            FdType::UnixSock | FdType::Userfaultfd => b'u',
            FdType::Event => b'e',
            FdType::Unknown => b'o',
            FdType::Unsupported => b'X',
            FdType::Signalfd => b's',
            FdType::Eventpoll => b'l',
            FdType::Inotify => b'i',
            FdType::Timerfd => b't',
            FdType::Netlink => b'n',
            FdType::Bpf => b'b',
            FdType::Iouring => b'r',
            FdType::Memfd => b'm',
            FdType::Pidfd => b'P',
            FdType::Uninitialized => b'?',
        }
    }

    /// `fd.type`: the type's name (`<NA>` for unknown, unsupported and unset entries).
    pub fn name(self) -> &'static str {
        match self {
            FdType::File | FdType::FileV2 => "file",
            FdType::Directory => "directory",
            FdType::Ipv4Sock | FdType::Ipv4ServSock => "ipv4",
            FdType::Ipv6Sock | FdType::Ipv6ServSock => "ipv6",
            FdType::UnixSock => "unix",
            FdType::Fifo => "pipe",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::Iouring => "io_uring",
            FdType::Memfd => "memfd",
            FdType::Pidfd => "pidfd",
            FdType::Unknown | FdType::Unsupported | FdType::Uninitialized => "<NA>",
        }
    }
}

/// Transport protocols (`scap_l4_proto`).
pub mod l4 {
    pub const UNKNOWN: u8 = 0;
    pub const NA: u8 = 1;
    pub const TCP: u8 = 2;
    pub const UDP: u8 = 3;
    pub const ICMP: u8 = 4;
    pub const RAW: u8 = 5;

    /// `fd.l4proto` text of a protocol.
    pub fn name(p: u8) -> &'static str {
        match p {
            TCP => "tcp",
            UDP => "udp",
            ICMP => "icmp",
            RAW => "raw",
            _ => "<NA>",
        }
    }
}

/// Flag bits of an fd entry (libsinsp's `sinsp_fdinfo::flags`).
pub mod fdflags {
    pub const FROM_PROC: u32 = 1 << 0;
    pub const ROLE_CLIENT: u32 = 1 << 2;
    pub const ROLE_SERVER: u32 = 1 << 3;
    pub const SOCKET_CONNECTED: u32 = 1 << 13;
    pub const IS_CLONED: u32 = 1 << 14;
    pub const CONNECTION_PENDING: u32 = 1 << 15;
    pub const CONNECTION_FAILED: u32 = 1 << 16;
    pub const OVERLAY_UPPER: u32 = 1 << 17;
    pub const OVERLAY_LOWER: u32 = 1 << 18;
}

/// `PPM_EPOLL_CLOEXEC` and `PPM_MFD_CLOEXEC` (both bit 0, which is also `PPM_O_RDONLY`).
const EPOLL_OR_MFD_CLOEXEC: u32 = 1;

/// Byte image of libsinsp's socket union (40 bytes, little endian). Offsets per view:
/// ipv4 tuple `sip 0, dip 4, sport 8, dport 10, l4proto 12`; ipv6 tuple `sip 0..16, dip 16..32,
/// sport 32, dport 34, l4proto 36`; ipv4 server `ip 0, port 4, l4proto 6`; ipv6 server
/// `ip 0..16, port 16, l4proto 18`; unix `source 0..8, dest 8..16`. Addresses are kept in
/// network order, ports and unix pointers as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockInfo(pub [u8; 40]);

impl Default for SockInfo {
    fn default() -> Self {
        SockInfo([0; 40])
    }
}

macro_rules! bytes_at {
    ($get:ident, $set:ident, $at:expr, $n:expr) => {
        pub fn $get(&self) -> [u8; $n] {
            let mut v = [0u8; $n];
            v.copy_from_slice(&self.0[$at..$at + $n]);
            v
        }
        pub fn $set(&mut self, v: [u8; $n]) {
            self.0[$at..$at + $n].copy_from_slice(&v);
        }
    };
}

macro_rules! u16_at {
    ($get:ident, $set:ident, $at:expr) => {
        pub fn $get(&self) -> u16 {
            u16::from_le_bytes([self.0[$at], self.0[$at + 1]])
        }
        pub fn $set(&mut self, v: u16) {
            self.0[$at..$at + 2].copy_from_slice(&v.to_le_bytes());
        }
    };
}

impl SockInfo {
    bytes_at!(v4_sip, set_v4_sip, 0, 4);
    bytes_at!(v4_dip, set_v4_dip, 4, 4);
    u16_at!(v4_sport, set_v4_sport, 8);
    u16_at!(v4_dport, set_v4_dport, 10);
    bytes_at!(v6_sip, set_v6_sip, 0, 16);
    bytes_at!(v6_dip, set_v6_dip, 16, 16);
    u16_at!(v6_sport, set_v6_sport, 32);
    u16_at!(v6_dport, set_v6_dport, 34);
    bytes_at!(v4srv_ip, set_v4srv_ip, 0, 4);
    u16_at!(v4srv_port, set_v4srv_port, 4);
    bytes_at!(v6srv_ip, set_v6srv_ip, 0, 16);
    u16_at!(v6srv_port, set_v6srv_port, 16);

    pub fn v4_l4proto(&self) -> u8 {
        self.0[12]
    }
    pub fn set_v4_l4proto(&mut self, p: u8) {
        self.0[12] = p;
    }
    pub fn v6_l4proto(&self) -> u8 {
        self.0[36]
    }
    pub fn set_v6_l4proto(&mut self, p: u8) {
        self.0[36] = p;
    }
    pub fn v4srv_l4proto(&self) -> u8 {
        self.0[6]
    }
    pub fn set_v4srv_l4proto(&mut self, p: u8) {
        self.0[6] = p;
    }
    pub fn v6srv_l4proto(&self) -> u8 {
        self.0[18]
    }
    pub fn set_v6srv_l4proto(&mut self, p: u8) {
        self.0[18] = p;
    }
    pub fn set_unix(&mut self, source: u64, dest: u64) {
        self.0[0..8].copy_from_slice(&source.to_le_bytes());
        self.0[8..16].copy_from_slice(&dest.to_le_bytes());
    }
    /// Clears the bytes of the ipv6 tuple view (all 40).
    pub fn clear_v6(&mut self) {
        self.0.fill(0);
    }
}

/// One fd entry. Columns named as the field catalog names them: `num`, `name`, `ino`, `dev`,
/// `mount_id`, `open_flags`, `typechar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// The descriptor number (`fd.num` of events that name this entry).
    pub num: i64,
    fd_type: FdType,
    /// `fd.typechar` of the type; kept in step with the type by [`FdInfo::set_type`].
    pub typechar: u8,
    /// Open flags (`PPM_O_*`), plus the type-specific close-on-exec bits.
    pub open_flags: u32,
    /// Socket data (see [`SockInfo`]).
    pub sock: SockInfo,
    /// `fd.name`: full path, socket tuple text, unix path, ...
    pub name: Vec<u8>,
    /// `fd.nameraw`: the path as the syscall passed it (files opened by events only).
    pub name_raw: Vec<u8>,
    /// [`fdflags`] bits: role, connection state, overlay layers, origin.
    pub flags: u32,
    /// Device number of files.
    pub dev: u32,
    /// Mount id of files (captures set it, events never do).
    pub mount_id: u32,
    /// Inode number.
    pub ino: u64,
    /// The pid a pidfd refers to.
    pub pid: i64,
    /// String bytes this entry was last counted with in the zone's budget.
    pub(crate) accounted: u32,
}

impl Default for FdInfo {
    fn default() -> Self {
        FdInfo {
            num: -1,
            fd_type: FdType::Uninitialized,
            typechar: FdType::Uninitialized.typechar(),
            open_flags: 0,
            sock: SockInfo::default(),
            name: Vec::new(),
            name_raw: Vec::new(),
            flags: 0,
            dev: 0,
            mount_id: 0,
            ino: 0,
            pid: 0,
            accounted: 0,
        }
    }
}

impl FdInfo {
    /// A fresh entry of type `t` (libsinsp's new `sinsp_fdinfo` with its type set).
    pub fn new(t: FdType) -> FdInfo {
        let mut f = FdInfo::default();
        f.set_type(t);
        f
    }

    /// The fd type.
    pub fn fd_type(&self) -> FdType {
        self.fd_type
    }

    /// Sets the type (and `typechar`).
    pub fn set_type(&mut self, t: FdType) {
        self.fd_type = t;
        self.typechar = t.typechar();
    }

    /// `fd.type`.
    pub fn type_name(&self) -> &'static str {
        self.fd_type.name()
    }

    pub fn is_unix_socket(&self) -> bool {
        self.fd_type == FdType::UnixSock
    }
    /// An ipv4 socket whose protocol is udp (libsinsp asks only the ipv4 view).
    pub fn is_udp_socket(&self) -> bool {
        self.fd_type == FdType::Ipv4Sock && self.sock.v4_l4proto() == l4::UDP
    }
    /// An ipv4 socket whose protocol is tcp (libsinsp asks only the ipv4 view).
    pub fn is_tcp_socket(&self) -> bool {
        self.fd_type == FdType::Ipv4Sock && self.sock.v4_l4proto() == l4::TCP
    }
    pub fn is_file(&self) -> bool {
        matches!(self.fd_type, FdType::File | FdType::FileV2)
    }
    pub fn is_directory(&self) -> bool {
        self.fd_type == FdType::Directory
    }
    pub fn is_pidfd(&self) -> bool {
        self.fd_type == FdType::Pidfd
    }
    pub fn is_role_server(&self) -> bool {
        self.flags & fdflags::ROLE_SERVER != 0
    }
    pub fn is_role_client(&self) -> bool {
        self.flags & fdflags::ROLE_CLIENT != 0
    }
    pub fn is_role_none(&self) -> bool {
        self.flags & (fdflags::ROLE_CLIENT | fdflags::ROLE_SERVER) == 0
    }
    pub fn set_role_server(&mut self) {
        self.flags |= fdflags::ROLE_SERVER;
    }
    pub fn set_role_client(&mut self) {
        self.flags |= fdflags::ROLE_CLIENT;
    }
    pub fn is_socket_connected(&self) -> bool {
        self.flags & fdflags::SOCKET_CONNECTED != 0
    }
    pub fn set_socket_connected(&mut self) {
        self.flags &= !(fdflags::CONNECTION_PENDING | fdflags::CONNECTION_FAILED);
        self.flags |= fdflags::SOCKET_CONNECTED;
    }
    pub fn is_upper_layer(&self) -> bool {
        self.flags & fdflags::OVERLAY_UPPER != 0
    }
    pub fn is_lower_layer(&self) -> bool {
        self.flags & fdflags::OVERLAY_LOWER != 0
    }

    /// Whether execve closes this fd: `O_CLOEXEC`, or bit 0 for epoll and memfd entries.
    pub fn is_close_on_exec(&self) -> bool {
        self.open_flags & ppm_o::CLOEXEC as u32 != 0
            || (matches!(self.fd_type, FdType::Eventpoll | FdType::Memfd)
                && self.open_flags & EPOLL_OR_MFD_CLOEXEC != 0)
    }

    /// Clears every close-on-exec bit, as libsinsp does when duplicating an fd. Bit 0 doubles as
    /// `O_RDONLY`, which this clears too (libsinsp does the same).
    pub fn clear_close_on_exec(&mut self) {
        self.open_flags &= !(ppm_o::CLOEXEC as u32 | EPOLL_OR_MFD_CLOEXEC);
    }

    /// The transport protocol libsinsp reports for this fd (`fd.l4proto`): connected sockets
    /// without a role report "not applicable".
    pub fn l4proto(&self) -> u8 {
        match self.fd_type {
            FdType::Ipv4Sock => self.tuple_proto(self.sock.v4_l4proto()),
            FdType::Ipv6Sock => self.tuple_proto(self.sock.v6_l4proto()),
            FdType::Ipv4ServSock => self.sock.v4srv_l4proto(),
            FdType::Ipv6ServSock => self.sock.v6srv_l4proto(),
            _ => l4::NA,
        }
    }

    fn tuple_proto(&self, p: u8) -> u8 {
        if p == l4::RAW {
            l4::RAW
        } else if self.is_role_none() {
            l4::NA
        } else {
            p
        }
    }

    /// Bytes of strings this entry holds, for the zone's budget.
    pub(crate) fn string_bytes(&self) -> usize {
        self.name.len() + self.name_raw.len()
    }
}

/// The name libsinsp gives a connected ip socket from its stored tuple (`sockinfo_to_str`): as
/// [`crate::net::fd_name_of_tuple`] writes a tuple parameter, but read through the fd's
/// [`SockInfo`] views, so an ipv6 socket with a mapped pair takes its ports from the ipv4 view.
pub fn sockinfo_name(s: &SockInfo, t: FdType) -> Vec<u8> {
    use crate::net::{is_ipv4_mapped, write_endpoint4, write_endpoint6, write_ipv4, write_ipv6};
    let mut out = Vec::with_capacity(64);
    match t {
        FdType::Ipv4Sock => match s.v4_l4proto() {
            l4::TCP | l4::UDP => {
                write_endpoint4(&mut out, s.v4_sip(), s.v4_sport());
                out.extend_from_slice(b"->");
                write_endpoint4(&mut out, s.v4_dip(), s.v4_dport());
            }
            l4::ICMP | l4::RAW => {
                write_ipv4(&mut out, s.v4_sip());
                out.extend_from_slice(b"->");
                write_ipv4(&mut out, s.v4_dip());
            }
            _ => out.extend_from_slice(b"<unknown>"),
        },
        FdType::Ipv6Sock => {
            let (sip, dip) = (s.v6_sip(), s.v6_dip());
            let mapped = is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip);
            let tail = |ip: [u8; 16]| [ip[12], ip[13], ip[14], ip[15]];
            match s.v6_l4proto() {
                // libsinsp reads the ports of a mapped pair through the ipv4 view.
                l4::TCP | l4::UDP if mapped => {
                    write_endpoint4(&mut out, tail(sip), s.v4_sport());
                    out.extend_from_slice(b"->");
                    write_endpoint4(&mut out, tail(dip), s.v4_dport());
                }
                l4::TCP | l4::UDP => {
                    write_endpoint6(&mut out, &sip, s.v6_sport());
                    out.extend_from_slice(b"->");
                    write_endpoint6(&mut out, &dip, s.v6_dport());
                }
                l4::ICMP if mapped => {
                    write_ipv4(&mut out, tail(sip));
                    out.extend_from_slice(b"->");
                    write_ipv4(&mut out, tail(dip));
                }
                l4::ICMP => {
                    write_ipv6(&mut out, &sip);
                    out.extend_from_slice(b"->");
                    write_ipv6(&mut out, &dip);
                }
                _ => out.extend_from_slice(b"<unknown>"),
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_views_overlay() {
        let mut s = SockInfo::default();
        s.set_v6_sip([0xaa; 16]);
        assert_eq!(s.v4_sip(), [0xaa; 4]);
        assert_eq!(s.v4_sport(), 0xaaaa);
        assert_eq!(s.v4_l4proto(), 0xaa, "ipv4 proto aliases ipv6 sip byte 12");
        s.set_unix(1, 2);
        assert_eq!(
            (s.v4_sip(), s.v4_sport()),
            ([1, 0, 0, 0], 2),
            "unix ids alias the ipv4 tuple"
        );
    }

    #[test]
    fn types_and_roles() {
        let mut f = FdInfo::new(FdType::Ipv4Sock);
        assert_eq!((f.typechar, f.type_name()), (b'4', "ipv4"));
        f.sock.set_v4_l4proto(l4::TCP);
        assert_eq!(f.l4proto(), l4::NA, "no role yet");
        f.set_role_client();
        assert_eq!(f.l4proto(), l4::TCP);
        assert!(f.is_tcp_socket());
        let mut m = FdInfo::new(FdType::Memfd);
        m.open_flags = 1;
        assert!(m.is_close_on_exec());
        m.clear_close_on_exec();
        assert!(!m.is_close_on_exec());
        assert_eq!(
            FdInfo::default().typechar,
            b'?',
            "a fresh entry has no type"
        );
    }
}
