//! The open fds of every process of the zone, from /proc/<pid>/fd and fdinfo, as fd-list
//! entries: regular files (path, open flags, device), directories, sockets (from
//! [`super::sockets`]), pipes, and the anonymous kinds (eventfd, signalfd, eventpoll, inotify,
//! timerfd, bpf, userfaultfd, io_uring, memfd, pidfd). Fds that vanish while being read are
//! skipped, as are sockets no /proc/net table lists (libscap does the same).

use super::sockets::{Sockets, sockets};
use crate::encode::flags::open_flags;
use crate::record::user_dev;
use edera_scap::file::{FdDetail, FdInfo, FdType};
use std::fs;
use std::os::unix::fs::MetadataExt;

/// Most fds read per process, and in all.
pub const MAX_FDS_PER_PROCESS: usize = 65_536;
pub const MAX_FDS: usize = 1 << 20;

/// A `stat` device number (glibc's `dev_t`) as libscap's fd tables carry it, the encoding the
/// events' `dev` parameters use too ([`user_dev`]).
fn fd_dev(dev: u64) -> u32 {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    user_dev(major as u32, minor as u32)
}

/// The type of an `anon_inode:` fd by its link text.
fn anon_type(kind: &str) -> FdType {
    match kind.trim_matches(|c| c == '[' || c == ']') {
        "eventfd" => FdType::Event,
        "signalfd" => FdType::Signalfd,
        "eventpoll" => FdType::Eventpoll,
        "inotify" => FdType::Inotify,
        "timerfd" => FdType::Timerfd,
        "userfaultfd" => FdType::Userfaultfd,
        "io_uring" => FdType::Iouring,
        "pidfd" => FdType::Pidfd,
        k if k.starts_with("bpf") => FdType::Bpf,
        _ => FdType::Unsupported,
    }
}

/// The open flags in /proc/<pid>/fdinfo/<fd> (octal), native.
fn fdinfo_flags(pid: u64, fd: i64) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0)
}

fn entry(fd: i64, ino: u64, fd_type: FdType, detail: FdDetail) -> FdInfo {
    FdInfo {
        fd,
        ino,
        fd_type,
        raw_type: fd_type as u8,
        detail,
    }
}

/// One fd of process `pid`, classified by its link.
fn fd_info(pid: u64, fd: i64, socks: &Sockets) -> Option<FdInfo> {
    let path = format!("/proc/{pid}/fd/{fd}");
    let link = fs::read_link(&path)
        .ok()?
        .into_os_string()
        .into_encoded_bytes();
    let meta = fs::metadata(&path).ok();
    let ino = meta.as_ref().map_or(0, |m| m.ino());
    let text = String::from_utf8_lossy(&link);
    if let Some(rest) = text.strip_prefix("socket:[") {
        let sock_ino: u64 = rest.trim_end_matches(']').parse().ok()?;
        let (t, d) = socks.get(&sock_ino)?.clone();
        return Some(entry(fd, sock_ino, t, d));
    }
    if text.starts_with("pipe:[") {
        return Some(entry(fd, ino, FdType::Fifo, FdDetail::Name(link)));
    }
    if let Some(kind) = text.strip_prefix("anon_inode:") {
        return Some(entry(fd, ino, anon_type(kind), FdDetail::Name(link)));
    }
    if text.starts_with("/memfd:") {
        return Some(entry(fd, ino, FdType::Memfd, FdDetail::Name(link)));
    }
    if !text.starts_with('/') {
        return Some(entry(fd, ino, FdType::Unsupported, FdDetail::Name(link)));
    }
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Some(entry(fd, ino, FdType::Directory, FdDetail::Name(link)));
    }
    let open_flags = open_flags(fdinfo_flags(pid, fd), false);
    let dev = meta.as_ref().map(|m| fd_dev(m.dev()));
    Some(entry(
        fd,
        ino,
        FdType::FileV2,
        FdDetail::File {
            open_flags,
            name: link,
            dev,
        },
    ))
}

/// The open fds of process `pid`, by fd number.
pub fn process_fds(pid: u64, socks: &Sockets) -> Vec<FdInfo> {
    let mut fds: Vec<i64> = fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    fds.sort_unstable();
    fds.truncate(MAX_FDS_PER_PROCESS);
    fds.into_iter()
        .filter_map(|fd| fd_info(pid, fd, socks))
        .collect()
}

/// The fds of every process in `pids` (thread-group leaders; threads share them), at most
/// [`MAX_FDS`] in all.
pub fn fds(pids: impl IntoIterator<Item = u64>) -> Vec<(u64, Vec<FdInfo>)> {
    let socks = sockets();
    let mut total = 0;
    let mut out = Vec::new();
    for pid in pids {
        if total >= MAX_FDS {
            break;
        }
        let mut list = process_fds(pid, &socks);
        list.truncate(MAX_FDS - total);
        total += list.len();
        out.push((pid, list));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn this_process_fds_are_classified() {
        let dir = std::env::temp_dir().join(format!("edera-fds-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = fs::File::create(dir.join("f.txt")).unwrap();
        let d = fs::File::open(&dir).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (a, _b) = UnixStream::pair().unwrap();
        use std::os::fd::AsRawFd;
        let me = std::process::id() as u64;
        let fds = process_fds(me, &sockets());
        let find = |fd: i32| {
            fds.iter()
                .find(|f| f.fd == i64::from(fd))
                .unwrap_or_else(|| panic!("fd {fd} in {fds:?}"))
        };
        let f = find(file.as_raw_fd());
        assert_eq!(f.fd_type, FdType::FileV2);
        assert!(f.name().unwrap().ends_with(b"/f.txt"));
        assert_eq!(find(d.as_raw_fd()).fd_type, FdType::Directory);
        assert!(
            matches!(find(listener.as_raw_fd()).detail, FdDetail::Ipv4Server { port: p, l4proto: 2, .. } if p == port)
        );
        assert!(
            matches!(find(client.as_raw_fd()).detail, FdDetail::Ipv4 { dport: p, .. } if p == port)
        );
        assert_eq!(find(a.as_raw_fd()).fd_type, FdType::UnixSock);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fd_devs_and_anon_types() {
        // glibc's makedev(8, 1) (sda1) and makedev(259, 65536) (a minor past 8 bits).
        assert_eq!(fd_dev(0x801), 0x801);
        assert_eq!(fd_dev(0x1001_0300), 0x1001_0300);
        assert_eq!(anon_type("[eventfd]"), FdType::Event);
        assert_eq!(anon_type("bpf-map"), FdType::Bpf);
        assert_eq!(anon_type("inotify"), FdType::Inotify);
    }
}
