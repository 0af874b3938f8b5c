//! Writes libscap capture files (format 1.2) in the layouts [`super::CaptureReader`] and
//! libscap read: section header, machine info, interface list (IL_V2), process list (PL_V9,
//! one length-prefixed entry per thread), user list (UL_V2), then events (EV_V2, or
//! EV_V2_LARGE past 64 KiB). Every block body is padded to a multiple of 4. Strings longer
//! than the format allows are cut.

use super::block;
use super::model::{
    FdDetail, FdInfo, GroupInfo, InterfaceAddr, InterfaceInfo, MachineInfo, ThreadInfo, UserInfo,
};
use std::io::{self, Write};

/// Longest string (comm, exe, paths) and blob (args, env, cgroups) of a process entry.
const MAX_PATH: usize = 1024;
const MAX_BLOB: usize = 4096;
/// Longest user or group string (libscap keeps 256 bytes with the NUL).
const MAX_CRED: usize = 255;
/// Longest interface name (libscap refuses names of 1024 bytes or more).
const MAX_IFNAME: usize = 1023;
/// Largest event a non-LARGE block may hold after its header.
const SMALL_BLOCK_BODY: usize = 65_536;

/// A capture file being written.
pub struct CaptureWriter<W: Write> {
    out: W,
    /// Bytes written so far.
    pub written: u64,
}

fn put_str(b: &mut Vec<u8>, s: &[u8], max: usize) {
    let s = &s[..s.len().min(max)];
    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
    b.extend_from_slice(s);
}

impl<W: Write> CaptureWriter<W> {
    /// Start a capture: writes the section header (1.2).
    pub fn new(out: W) -> io::Result<Self> {
        let mut w = CaptureWriter { out, written: 0 };
        w.section()?;
        Ok(w)
    }

    /// Start a new section (a section header, format 1.2): state blocks after it describe the
    /// state from then on (a stream's fresh snapshot).
    pub fn section(&mut self) -> io::Result<()> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        self.block(block::SHB, &body)
    }

    fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&total.to_le_bytes())?;
        self.written += u64::from(total);
        Ok(())
    }

    /// The machine info block.
    pub fn machine(&mut self, m: &MachineInfo) -> io::Result<()> {
        let mut b = Vec::with_capacity(180);
        b.extend_from_slice(&m.num_cpus.to_le_bytes());
        b.extend_from_slice(&m.memory_size_bytes.to_le_bytes());
        b.extend_from_slice(&m.max_pid.to_le_bytes());
        let mut host = [0u8; 128];
        let n = m.hostname.len().min(127);
        host[..n].copy_from_slice(&m.hostname[..n]);
        b.extend_from_slice(&host);
        b.extend_from_slice(&m.boot_ts_epoch.to_le_bytes());
        b.extend_from_slice(&[0u8; 24]); // flags, reserved3, reserved4
        self.block(block::MI, &b)
    }

    /// The interface list (IL_V2), as libscap's writer lays it out: each entry preceded by its
    /// length, the types with a link speed (1 ipv4, 2 ipv6; `None` written as 0), the name
    /// without its NUL.
    pub fn interfaces(&mut self, list: &[InterfaceInfo]) -> io::Result<()> {
        let mut b = Vec::with_capacity(64 * list.len());
        for i in list {
            let name = &i.name[..i.name.len().min(MAX_IFNAME)];
            let mut e = Vec::with_capacity(60 + name.len());
            let (iftype, addresses) = match &i.addr {
                InterfaceAddr::V4 {
                    addr,
                    netmask,
                    bcast,
                } => (
                    1u16,
                    [addr.octets(), netmask.octets(), bcast.octets()].concat(),
                ),
                InterfaceAddr::V6 {
                    addr,
                    netmask,
                    bcast,
                } => (
                    2u16,
                    [addr.octets(), netmask.octets(), bcast.octets()].concat(),
                ),
            };
            e.extend_from_slice(&iftype.to_le_bytes());
            e.extend_from_slice(&(name.len() as u16).to_le_bytes());
            e.extend_from_slice(&addresses);
            e.extend_from_slice(&i.linkspeed.unwrap_or(0).to_le_bytes());
            e.extend_from_slice(name);
            b.extend_from_slice(&(e.len() as u32).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block(block::IL_V2, &b)
    }

    /// The process list: one PL_V9 entry per thread.
    pub fn process_list(&mut self, threads: &[ThreadInfo]) -> io::Result<()> {
        let mut b = Vec::new();
        for t in threads {
            let e = proc_entry(t);
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block(block::PL_V9, &b)
    }

    /// The fd list of thread `tid` (FDL_V2: each entry starts with its own length).
    pub fn fd_list(&mut self, tid: u64, fds: &[FdInfo]) -> io::Result<()> {
        let mut b = Vec::with_capacity(16 + 48 * fds.len());
        b.extend_from_slice(&tid.to_le_bytes());
        for f in fds {
            let e = fd_entry(f);
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
        }
        self.block(block::FDL_V2, &b)
    }

    /// The user list: users, then groups (UL_V2).
    pub fn users(&mut self, users: &[UserInfo], groups: &[GroupInfo]) -> io::Result<()> {
        let mut b = Vec::new();
        let mut entry = |e: Vec<u8>| {
            b.extend_from_slice(&((e.len() + 4) as u32).to_le_bytes());
            b.extend_from_slice(&e);
        };
        for u in users {
            let mut e = vec![0u8];
            e.extend_from_slice(&u.uid.to_le_bytes());
            e.extend_from_slice(&u.gid.to_le_bytes());
            put_str(&mut e, &u.name, MAX_CRED);
            put_str(&mut e, &u.homedir, MAX_CRED);
            put_str(&mut e, &u.shell, MAX_CRED);
            entry(e);
        }
        for g in groups {
            let mut e = vec![1u8];
            e.extend_from_slice(&g.gid.to_le_bytes());
            put_str(&mut e, &g.name, MAX_CRED);
            entry(e);
        }
        self.block(block::UL_V2, &b)
    }

    /// One event (current layout, its `len` field equal to its size) captured on `cpu`.
    pub fn event(&mut self, cpu: u16, event: &[u8]) -> io::Result<()> {
        let mut b = Vec::with_capacity(2 + event.len());
        b.extend_from_slice(&cpu.to_le_bytes());
        b.extend_from_slice(event);
        let kind = if b.len() > SMALL_BLOCK_BODY {
            block::EV_V2_LARGE
        } else {
            block::EV_V2
        };
        self.block(kind, &b)
    }

    /// Push what was written so far to the output (a stream's reader sees it).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flush and return the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The fields of one FDL_V2 entry (without its length).
fn fd_entry(f: &FdInfo) -> Vec<u8> {
    let mut e = Vec::with_capacity(64);
    e.extend_from_slice(&f.fd.to_le_bytes());
    e.extend_from_slice(&f.ino.to_le_bytes());
    e.push(f.raw_type);
    match &f.detail {
        FdDetail::None => {}
        FdDetail::Name(n) => put_str(&mut e, n, MAX_PATH),
        FdDetail::File {
            open_flags,
            name,
            dev,
        } => {
            e.extend_from_slice(&open_flags.to_le_bytes());
            put_str(&mut e, name, MAX_PATH);
            e.extend_from_slice(&dev.unwrap_or(0).to_le_bytes());
        }
        FdDetail::Ipv4 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            e.extend_from_slice(&sip.octets());
            e.extend_from_slice(&dip.octets());
            e.extend_from_slice(&sport.to_le_bytes());
            e.extend_from_slice(&dport.to_le_bytes());
            e.push(*l4proto);
        }
        FdDetail::Ipv6 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            e.extend_from_slice(&sip.octets());
            e.extend_from_slice(&dip.octets());
            e.extend_from_slice(&sport.to_le_bytes());
            e.extend_from_slice(&dport.to_le_bytes());
            e.push(*l4proto);
        }
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            e.extend_from_slice(&ip.octets());
            e.extend_from_slice(&port.to_le_bytes());
            e.push(*l4proto);
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            e.extend_from_slice(&ip.octets());
            e.extend_from_slice(&port.to_le_bytes());
            e.push(*l4proto);
        }
        FdDetail::Unix {
            source,
            destination,
            name,
        } => {
            e.extend_from_slice(&source.to_le_bytes());
            e.extend_from_slice(&destination.to_le_bytes());
            put_str(&mut e, name, MAX_PATH);
        }
    }
    e
}

/// The fields of one PL_V9 entry (without its length).
fn proc_entry(t: &ThreadInfo) -> Vec<u8> {
    let mut e = Vec::with_capacity(256);
    let u64s =
        |e: &mut Vec<u8>, v: &[u64]| v.iter().for_each(|x| e.extend_from_slice(&x.to_le_bytes()));
    u64s(
        &mut e,
        &[
            t.tid,
            t.pid,
            t.ptid,
            t.sid.unwrap_or(0),
            t.vpgid.unwrap_or(0),
        ],
    );
    put_str(&mut e, &t.comm, MAX_PATH);
    put_str(&mut e, &t.exe, MAX_PATH);
    put_str(&mut e, t.exepath.as_deref().unwrap_or_default(), MAX_PATH);
    put_str(&mut e, &t.args, MAX_BLOB);
    put_str(&mut e, &t.cwd, MAX_PATH);
    e.extend_from_slice(&t.fdlimit.to_le_bytes());
    for v in [
        t.flags,
        t.uid,
        t.gid,
        t.vmsize_kb.unwrap_or(0),
        t.vmrss_kb.unwrap_or(0),
        t.vmswap_kb.unwrap_or(0),
    ] {
        e.extend_from_slice(&v.to_le_bytes());
    }
    u64s(&mut e, &[t.pfmajor.unwrap_or(0), t.pfminor.unwrap_or(0)]);
    put_str(&mut e, t.env.as_deref().unwrap_or_default(), MAX_BLOB);
    e.extend_from_slice(&t.vtid.unwrap_or(-1).to_le_bytes());
    e.extend_from_slice(&t.vpid.unwrap_or(-1).to_le_bytes());
    put_str(&mut e, t.cgroups.as_deref().unwrap_or_default(), MAX_BLOB);
    put_str(&mut e, t.root.as_deref().unwrap_or(b"/"), MAX_PATH);
    u64s(&mut e, &[t.pidns_init_start_ts.unwrap_or(0)]);
    e.extend_from_slice(&t.tty.unwrap_or(0).to_le_bytes());
    e.extend_from_slice(&t.loginuid.unwrap_or(u32::MAX).to_le_bytes());
    e.push(u8::from(t.exe_writable.unwrap_or(false)));
    u64s(
        &mut e,
        &[
            t.cap_inheritable.unwrap_or(0),
            t.cap_permitted.unwrap_or(0),
            t.cap_effective.unwrap_or(0),
        ],
    );
    e.push(u8::from(t.exe_upper_layer.unwrap_or(false)));
    u64s(
        &mut e,
        &[
            t.exe_ino.unwrap_or(0),
            t.exe_ino_ctime.unwrap_or(0),
            t.exe_ino_mtime.unwrap_or(0),
        ],
    );
    e.push(u8::from(t.exe_from_memfd.unwrap_or(false)));
    e.push(u8::from(t.exe_lower_layer.unwrap_or(false)));
    e.extend_from_slice(&t.pgid.unwrap_or(0).to_le_bytes());
    e
}
