//! A kernel record as libscap events of the current table version: the exit event of the
//! syscall's entry in the native table, parameters filled from [`crate::coverage`] (process
//! events from [`crate::procinfo`]), preceded by the enter event for the few syscalls whose
//! enter event libscap still emits; a generic event (`PPME_GENERIC_X`: ppm_sc code and native
//! number) for uncovered syscalls; `PPME_PROCEXIT_1_E` for a thread's exit.

pub mod event;
pub mod flags;
pub mod net;
pub mod sockopt;

use crate::compat::Compat;
use crate::coverage::plan::kind;
use crate::coverage::{self, ArgPlan, Fill, ParamSource, Syscall};
use crate::procinfo;
use crate::record::{RF_CREATED, Record};
use edera_scap::event::{EventHeader, HEADER_LEN};
use edera_scap::info::{EventInfo, ParamExtra, ParamInfo, ParamType, SyscallEntry, event_info};
use edera_scap::tables::{EventCode, syscalls};
use event::Event;
use param_source::MmsgPart;

/// `-EINPROGRESS`: a non-blocking connect under way has a tuple.
const EINPROGRESS: i64 = -115;

/// Encodes records into events, reusing its buffers; in compat mode writes what libscap of
/// 2022 reads and counts what it leaves out.
#[derive(Default)]
pub struct Encoder {
    ev: Event,
    out: Vec<u8>,
    compat: Option<&'static Compat>,
    /// The syscall whose exit event is being emitted.
    syscall: Option<&'static SyscallEntry>,
    /// Events left out by compat mode (libscap of 2022 would not read them).
    pub left_out: u64,
}

impl Encoder {
    /// An encoder of current-layout events.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// An encoder of events libscap of 2022 (Debian's sysdig 0.29.3) reads.
    pub fn compat() -> Encoder {
        Encoder {
            compat: Some(Compat::get()),
            ..Encoder::default()
        }
    }

    /// Encode `r` with timestamp `ts` (ns since the epoch), handing each event to `emit`.
    pub fn encode(&mut self, r: &Record<'_>, ts: u64, mut emit: impl FnMut(&[u8])) {
        let tid = u64::from(r.tid);
        if r.is_procexit() {
            procexit(&mut self.ev, r);
            return self.emit(ts, tid, &mut emit);
        }
        let Some(sc) = coverage::syscall(r.nr) else {
            return;
        };
        let sc = exec_as_execve(sc, r);
        let entry = sc.entry;
        if let Some(sources) = sc.enter.as_ref().filter(|_| self.compat.is_none())
            && let Some(info) = event_info(entry.enter)
        {
            fill(&mut self.ev, entry.enter, info, sources, r, &sc.plan);
            self.emit(ts, tid, &mut emit);
        }
        exit_event(&mut self.ev, sc, r);
        self.syscall = Some(entry);
        self.emit(ts, tid, &mut emit);
        self.syscall = None;
    }

    fn emit(&mut self, ts: u64, tid: u64, emit: &mut impl FnMut(&[u8])) {
        self.out.clear();
        match self.compat {
            None => self.ev.write(ts, tid, &mut self.out),
            Some(c) => {
                let enter = self.syscall.map(|e| e.enter);
                let generic = self.syscall.map(|e| (e.ppm_sc, e.nr as u16));
                if c.write(enter, &self.ev, ts, tid, generic, &mut self.out) == 0 {
                    self.left_out += 1;
                    return;
                }
            }
        }
        // The buffer may hold an enter event and its exit event.
        let mut rest = &self.out[..];
        while let Ok(header) = EventHeader::parse(rest) {
            let len = header.len as usize;
            let (ev, tail) = rest.split_at(len.clamp(HEADER_LEN, rest.len()));
            emit(ev);
            rest = tail;
        }
    }
}

/// A successful exec runs a new program whichever call made it: the modern probe sends a
/// successful execveat as an execve exit (on x86_64, from its `sched_process_exec` handler), and
/// so does the agent; a failed execveat keeps its own event.
fn exec_as_execve(sc: &'static Syscall, r: &Record<'_>) -> &'static Syscall {
    let execve = || {
        let nr = syscalls::native_by_name("execve")?.nr;
        coverage::syscall(nr)
    };
    match sc.exit {
        Fill::Process(procinfo::Process::Exec) if r.ret == 0 => execve().unwrap_or(sc),
        _ => sc,
    }
}

/// The exit event of syscall `sc` for `r`.
fn exit_event(ev: &mut Event, sc: &Syscall, r: &Record<'_>) {
    let entry = sc.entry;
    match (&sc.exit, event_info(entry.exit)) {
        (Fill::Process(process), Some(info)) => {
            ev.start(entry.exit);
            for p in info.params {
                match p.name {
                    "res" => ev.push_int(p.ptype, r.ret as u64),
                    name => match procinfo::param(name, *process, r) {
                        Some(v) => ev.push(&v),
                        None => value(ev, p, None, r, &sc.plan),
                    },
                }
            }
        }
        (Fill::Sources(sources), Some(info)) => fill(ev, entry.exit, info, sources, r, &sc.plan),
        _ => {
            ev.start(EventCode::GenericX as u16);
            ev.push(&entry.ppm_sc.to_le_bytes());
            ev.push(&(r.nr as u16).to_le_bytes());
        }
    }
}

/// Event `code` (layout `info`) with its parameters from `sources` (in layout order).
fn fill(
    ev: &mut Event,
    code: u16,
    info: &EventInfo,
    sources: &[Option<ParamSource>],
    r: &Record<'_>,
    plan: &ArgPlan,
) {
    ev.start(code);
    for (p, src) in info
        .params
        .iter()
        .zip(sources.iter().copied().chain(std::iter::repeat(None)))
    {
        value(ev, p, src, r, plan);
    }
}

/// The little-endian integer of `size` bytes at `off` of a copied struct (0 when it was not
/// copied that far).
fn field(blob: &[u8], off: u8, size: u8) -> u64 {
    let (off, size) = (usize::from(off), usize::from(size).min(8));
    let mut v = [0u8; 8];
    if let Some(b) = blob.get(off..off + size) {
        v[..size].copy_from_slice(b);
    }
    u64::from_le_bytes(v)
}

/// The `width` bits of `word` from bit `shift` up (the plan keeps them within 64 bits).
fn bits(word: u64, shift: u8, width: u8) -> u64 {
    let v = word.checked_shr(u32::from(shift)).unwrap_or(0);
    match 1u64.checked_shl(u32::from(width)) {
        Some(top) => v & (top - 1),
        None => v,
    }
}

/// A PT_FDLIST from the `struct pollfd`s copied (`int fd; short events; short revents`): the
/// count, then each fd (64 bits) with its returned events as PPM flags (16 bits).
fn fdlist(pollfds: &[u8], count: u64, events: &coverage::FlagMap) -> Vec<u8> {
    let entries: Vec<&[u8]> = pollfds.chunks_exact(8).take(count as usize).collect();
    let mut out = Vec::with_capacity(2 + 10 * entries.len());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        let fd = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        let revents = u64::from(u16::from_le_bytes([e[6], e[7]]));
        out.extend_from_slice(&i64::from(fd).to_le_bytes());
        out.extend_from_slice(&(events.convert(revents) as u16).to_le_bytes());
    }
    out
}

/// A PT_DYN value of parameter `p`: the index byte `k`, then `src` encoded as entry `k` of
/// the parameter's dynamic table (empty when the table has no such entry).
fn dyn_value(
    ev: &mut Event,
    p: &ParamInfo,
    k: u8,
    src: &ParamSource,
    r: &Record<'_>,
    plan: &ArgPlan,
) {
    let entry = match p.extra {
        ParamExtra::Dyn(entries) => entries.get(usize::from(k)),
        _ => None,
    };
    let Some(entry) = entry else {
        return ev.push(&[]);
    };
    let inner = ParamInfo {
        name: p.name,
        name_id: p.name_id,
        ptype: entry.ptype,
        fmt: entry.fmt,
        extra: ParamExtra::None,
    };
    value(ev, &inner, Some(*src), r, plan);
    ev.prefix_last(k);
}

/// `PPME_PROCEXIT_1_E`: the exit status and what it says (wait(2) encoding).
fn procexit(ev: &mut Event, r: &Record<'_>) {
    let code = r.ret;
    ev.start(EventCode::ProcexitV1E as u16);
    ev.push_int(ParamType::Errno, code as u64);
    ev.push_int(ParamType::Errno, ((code >> 8) & 0xff) as u64);
    let sig = code & 0x7f;
    let signaled = sig != 0 && sig != 0x7f;
    ev.push_int(ParamType::Sigtype, if signaled { sig as u64 } else { 0 });
    ev.push_int(ParamType::Uint8, u64::from(signaled && code & 0x80 != 0));
    ev.push_int(ParamType::Pid, 0);
}

/// Push the value of parameter `p` from `src`; `plan` says which blob slot holds an argument's
/// memory (copied as `kind`, for an argument copied two ways).
fn value(ev: &mut Event, p: &ParamInfo, src: Option<ParamSource>, r: &Record<'_>, plan: &ArgPlan) {
    let blob = |i: u8| r.blob(usize::from(plan.slot[usize::from(i)]));
    let blob_as = |i: u8, kind: u8| r.blob(usize::from(plan.slot_of(i, kind)));
    let arg = |i: u8| r.args[usize::from(i)];
    let int = |ev: &mut Event, v: u64| ev.push_int(p.ptype, v);
    match src {
        Some(ParamSource::Ret) => int(ev, r.ret as u64),
        Some(ParamSource::RetLen) => int(ev, r.ret.max(0) as u64),
        // C `int` arguments (fds, pids) arrive in 64-bit registers without sign extension.
        Some(ParamSource::Arg(i))
            if matches!(p.ptype, ParamType::Fd | ParamType::Pid | ParamType::Int32) =>
        {
            int(ev, arg(i) as i32 as i64 as u64)
        }
        Some(ParamSource::Arg(i)) => int(ev, arg(i)),
        Some(ParamSource::Flags(table, i)) => int(ev, table.convert(arg(i))),
        Some(ParamSource::Const(n)) => int(ev, n),
        Some(ParamSource::Bits {
            arg: i,
            shift,
            width,
        }) => int(ev, bits(arg(i), shift, width)),
        Some(ParamSource::FlagsBits {
            table,
            arg: i,
            shift,
            width,
        }) => int(ev, table.convert(bits(arg(i), shift, width))),
        Some(ParamSource::OpenFlags(i)) => int(
            ev,
            u64::from(flags::open_flags(arg(i), r.flags & RF_CREATED != 0)),
        ),
        Some(ParamSource::CloexecFlags(i)) => int(ev, u64::from(flags::cloexec_flags(arg(i)))),
        // A string that could not be read (a NULL pointer: mount's type for a bind mount) is
        // empty, as the modern probe leaves it.
        Some(ParamSource::Str(i)) if blob_as(i, kind::STRING).is_empty() => ev.push(&[]),
        Some(ParamSource::Str(i)) => {
            let b = blob_as(i, kind::STRING);
            ev.push_with_nul(b.strip_suffix(&[0]).unwrap_or(b));
        }
        Some(ParamSource::BufArgLen(i, _)) => ev.push(blob_as(i, kind::BUFFER_LEN_ARG)),
        Some(
            ParamSource::BufRetLen(i)
            | ParamSource::Iovec { arg: i, .. }
            | ParamSource::MsgIovec { arg: i, .. },
        ) => ev.push(blob(i)),
        Some(ParamSource::IovLen) => int(ev, r.iov_len),
        Some(ParamSource::QueueLen) => int(ev, u64::from(r.queue_len)),
        Some(ParamSource::QueueMax) => int(ev, u64::from(r.queue_max)),
        Some(ParamSource::QueuePct) => int(ev, u64::from(r.queue_pct())),
        Some(ParamSource::Sockopt {
            val,
            level,
            name,
            len,
            len_at,
        }) => {
            let len = if len_at {
                field(blob_as(len, kind::FIXED), 0, 4)
            } else {
                arg(len)
            };
            let copied = if len_at {
                kind::FIXED
            } else {
                kind::BUFFER_LEN_ARG
            };
            let val = blob_as(val, copied);
            ev.push(&sockopt::sockopt_val(arg(level), arg(name), val, len))
        }
        // Otherwise the else source, or empty, as the modern probe leaves it (no bytes, or 0).
        Some(ParamSource::When {
            cond,
            values,
            holds,
            then,
            otherwise,
        }) => {
            let word = match cond.field {
                None => arg(cond.arg),
                Some((off, size)) => field(blob_as(cond.arg, kind::FIXED), off, size),
            };
            let tested = bits(word, cond.shift, cond.width);
            match (values.contains(&tested) == holds, otherwise) {
                (true, _) => value(ev, p, Some(*then), r, plan),
                (false, Some(e)) => value(ev, p, Some(*e), r, plan),
                (false, None) if p.ptype.fixed_size().is_none() => ev.push(&[]),
                (false, None) => int(ev, 0),
            }
        }
        Some(ParamSource::IfOk(then)) if r.ret >= 0 => value(ev, p, Some(*then), r, plan),
        Some(ParamSource::IfOk(_)) if p.ptype.fixed_size().is_none() => ev.push(&[]),
        Some(ParamSource::IfOk(_)) => int(ev, 0),
        Some(ParamSource::Dyn { index, then }) => dyn_value(ev, p, index, then, r, plan),
        Some(ParamSource::Mmsg { arg: i, what }) => match what {
            MmsgPart::Data => ev.push(blob(i)),
            // The first message's control messages (in the last slot, as msg_control's).
            MmsgPart::Control if r.ret <= 0 => ev.push(&[]),
            MmsgPart::Control => ev.push(r.blob(crate::record::NBLOBS - 1)),
            MmsgPart::Res if r.ret <= 0 => int(ev, r.ret as u64),
            MmsgPart::Len if r.ret <= 0 => int(ev, 0),
            MmsgPart::Res | MmsgPart::Len => int(ev, u64::from(r.msg_len)),
        },
        Some(ParamSource::Sockaddr(i, _)) => {
            ev.push(&net::sockaddr(blob_as(i, kind::BUFFER_LEN_ARG)))
        }
        Some(ParamSource::FdOfPair(i, k)) => {
            let b = blob(i);
            let at = 4 * usize::from(k);
            let fd = b
                .get(at..at + 4)
                .map_or(-1, |v| i32::from_ne_bytes(v.try_into().expect("4 bytes")));
            int(ev, fd as i64 as u64);
        }
        Some(ParamSource::TupleOut(user)) => match r.sock {
            Some(s) if r.ret >= 0 || r.ret == EINPROGRESS => ev.push(&net::tuple(
                &s,
                true,
                user.map(|i| blob_as(i, kind::BUFFER_LEN_ARG)),
            )),
            _ => ev.push(&[]),
        },
        Some(ParamSource::TupleIn) => match r.sock {
            Some(s) if r.ret >= 0 => ev.push(&net::tuple(&s, false, None)),
            _ => ev.push(&[]),
        },
        Some(ParamSource::SockSk) => int(ev, r.sock.map_or(0, |s| s.sk)),
        Some(ParamSource::SockPeer) => int(ev, r.sock.map_or(0, |s| s.peer)),
        Some(ParamSource::Dev) => int(ev, u64::from(r.user_dev())),
        Some(ParamSource::Ino) => int(ev, r.ino),
        Some(ParamSource::VmSize) => int(ev, u64::from(r.vm_size_kb)),
        Some(ParamSource::VmRss) => int(ev, u64::from(r.vm_rss_kb)),
        Some(ParamSource::VmSwap) => int(ev, u64::from(r.vm_swap_kb)),
        Some(ParamSource::CapInheritable) => int(ev, r.proc.map_or(0, |p| p.cap_inheritable)),
        Some(ParamSource::CapPermitted) => int(ev, r.proc.map_or(0, |p| p.cap_permitted)),
        Some(ParamSource::CapEffective) => int(ev, r.proc.map_or(0, |p| p.cap_effective)),
        Some(ParamSource::MsgControl(_)) => ev.push(r.blob(crate::record::NBLOBS - 1)),
        Some(ParamSource::FdPath) => ev.push_with_nul(r.proc.map_or(&[][..], |p| p.fd_path)),
        Some(ParamSource::PtraceAddr(i)) => ev.push(&flags::ptrace_addr(r.ret, arg(i))),
        Some(ParamSource::PtraceData { arg: i, request }) => {
            let peeked = field(blob_as(i, kind::FIXED), 0, 8);
            ev.push(&flags::ptrace_data(r.ret, arg(request), arg(i), peeked))
        }
        Some(ParamSource::Fdlist {
            table,
            arg: i,
            count,
        }) => ev.push(&fdlist(blob(i), arg(count), table)),
        Some(ParamSource::Field { arg: i, off, size }) => {
            int(ev, field(blob_as(i, kind::FIXED), off, size))
        }
        Some(ParamSource::FlagsField {
            table,
            arg: i,
            off,
            size,
        }) => int(ev, table.convert(field(blob_as(i, kind::FIXED), off, size))),
        Some(ParamSource::OpenFlagsField { arg: i, off, size }) => int(
            ev,
            u64::from(flags::open_flags(
                field(blob_as(i, kind::FIXED), off, size),
                r.flags & RF_CREATED != 0,
            )),
        ),
        // tv_sec, tv_nsec; 0 when the struct could not be read.
        Some(ParamSource::Reltime(i)) => {
            let b = blob_as(i, kind::FIXED);
            let (sec, nsec) = (field(b, 0, 8), field(b, 8, 8));
            int(ev, sec.wrapping_mul(1_000_000_000).wrapping_add(nsec))
        }
        None if matches!(
            p.ptype,
            ParamType::Fspath | ParamType::Fsrelpath | ParamType::Charbuf
        ) =>
        {
            ev.push(&[0])
        }
        None if p.ptype.fixed_size().is_none() => ev.push(&[]),
        None => int(ev, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::HEAD_LEN;
    use edera_scap::event::RawEvent;

    /// The names of the events `r` is encoded as.
    fn encoded(r: &Record<'_>) -> Vec<&'static str> {
        let mut names = Vec::new();
        Encoder::new().encode(r, 1, |e| {
            let e = RawEvent::parse(e).unwrap();
            names.push(e.info().unwrap().name);
        });
        names
    }

    /// The parameters of the exit event `r` is encoded as.
    fn exit_params(r: &Record<'_>) -> Vec<Vec<u8>> {
        let mut params = Vec::new();
        Encoder::new().encode(r, 1, |e| {
            let e = RawEvent::parse(e).unwrap();
            params = (0..e.nparams())
                .map(|i| e.param(i).unwrap().to_vec())
                .collect();
        });
        params
    }

    #[test]
    fn keyctl_arguments_are_strings_or_integers_by_operation() {
        // keyctl_dynamic_param: index 0 an INT64, index 1 a CHARBUF; the kernel side copies
        // arguments 1, 2 and 3 as strings into slots 0, 1 and 2.
        let int = |v: i64| [&[0u8][..], &v.to_le_bytes()].concat();
        let text = |s: &[u8]| [&[1u8][..], s].concat();
        let keyctl = syscalls::native_by_name("keyctl").unwrap().nr;
        let b = crate::record::with_blobs(&[b"_ses.x\0", b"user\0", b"desc\0"]);
        let mut r = Record::parse(&b).unwrap();
        r.nr = keyctl;
        // KEYCTL_JOIN_SESSION_KEYRING(name): the name; the others 0.
        r.args = [1, 0x7fff_0000, 5, 6, 7, 0];
        let p = exit_params(&r);
        assert_eq!(p[1], 1u32.to_le_bytes());
        assert_eq!(p[2..], [text(b"_ses.x\0"), int(0), int(0), int(0)]);
        // KEYCTL_GET_KEYRING_ID(id, create): integers, the id as the register holds it.
        r.args = [0, (-3i64) as u64, 1, 6, 7, 0];
        assert_eq!(exit_params(&r)[2..], [int(-3), int(1), int(0), int(0)]);
        // KEYCTL_SEARCH(keyring, type, description, dest): two strings between integers.
        r.args = [10, 4, 0x7fff_0000, 0x7fff_1000, 9, 0];
        assert_eq!(
            exit_params(&r)[2..],
            [int(4), text(b"user\0"), text(b"desc\0"), int(9)]
        );
        // KEYCTL_SESSION_TO_PARENT and an operation the probe does not know: all 0; a
        // string that could not be read (a NULL name) is the index alone.
        for op in [18, 99] {
            r.args = [op, 4, 5, 6, 7, 0];
            assert_eq!(exit_params(&r)[2..], [int(0), int(0), int(0), int(0)]);
        }
        let b = crate::record::with_blobs(&[]);
        let mut r = Record::parse(&b).unwrap();
        (r.nr, r.args) = (keyctl, [1, 0, 0, 0, 0, 0]);
        assert_eq!(exit_params(&r)[2], [1]);
    }

    #[test]
    fn recvmmsg_control_messages_only_when_a_message_came() {
        let recvmmsg = syscalls::native_by_name("recvmmsg").unwrap().nr;
        let info = event_info(syscalls::native_by_name("recvmmsg").unwrap().exit).unwrap();
        let at = info.param_index("msgcontrol").unwrap();
        let control = b"control bytes";
        let b = crate::record::with_blobs(&[b"data", b"", control]);
        let mut r = Record::parse(&b).unwrap();
        (r.nr, r.ret) = (recvmmsg, 1);
        assert_eq!(exit_params(&r)[at], control);
        r.ret = -11;
        assert_eq!(exit_params(&r)[at], b"");
    }

    #[test]
    fn quotactl_sends_the_format_of_q_quotaon_only() {
        let quotactl = syscalls::native_by_name("quotactl").unwrap();
        let info = event_info(quotactl.exit).unwrap();
        let at = info.param_index("quota_fmt").unwrap();
        let fmt = |n| {
            edera_scap::tables::flags::QUOTACTL_QUOTA_FMTS
                .entries
                .iter()
                .find(|(name, _)| *name == n)
                .map(|(_, v)| vec![*v as u8])
                .unwrap()
        };
        let b = crate::record::with_blobs(&[]);
        let mut r = Record::parse(&b).unwrap();
        // QCMD(Q_QUOTAON, USRQUOTA) with QFMT_VFS_V0 (2), then an unknown format (3).
        (r.nr, r.args) = (quotactl.nr, [0x8000_0200, 0, 2, 0, 0, 0]);
        assert_eq!(exit_params(&r)[at], fmt("QFMT_VFS_V0"));
        r.args[2] = 3;
        assert_eq!(exit_params(&r)[at], fmt("QFMT_NOT_USED"));
        // QCMD(Q_GETQUOTA, USRQUOTA): its id is no format.
        r.args = [0x8000_0700, 0, 2, 0, 0, 0];
        assert_eq!(exit_params(&r)[at], fmt("QFMT_NOT_USED"));
    }

    #[test]
    fn fsconfig_values_are_strings_or_binary_by_command_after_success() {
        let fsconfig = syscalls::native_by_name("fsconfig").unwrap();
        let info = event_info(fsconfig.exit).unwrap();
        let (bytes, chars) = (
            info.param_index("value_bytebuf").unwrap(),
            info.param_index("value_charbuf").unwrap(),
        );
        // Slots: the key, the value as a string, the value as a buffer.
        let b = crate::record::with_blobs(&[b"size\0", b"1m\0", b"1m\0\xff"]);
        let mut r = Record::parse(&b).unwrap();
        // FSCONFIG_SET_STRING
        (r.nr, r.args) = (fsconfig.nr, [3, 1, 0, 0, 0, 0]);
        let p = exit_params(&r);
        assert_eq!((&p[bytes][..], &p[chars][..]), (&b""[..], &b"1m\0"[..]));
        // FSCONFIG_SET_BINARY of 4 bytes
        r.args = [3, 2, 0, 0, 4, 0];
        let p = exit_params(&r);
        assert_eq!((&p[bytes][..], &p[chars][..]), (&b"1m\0\xff"[..], &b""[..]));
        // A failed call, and FSCONFIG_SET_FLAG: no value.
        r.ret = -22;
        assert_eq!(exit_params(&r)[bytes], b"");
        (r.ret, r.args) = (0, [3, 0, 0, 0, 0, 0]);
        let p = exit_params(&r);
        assert_eq!((&p[bytes][..], &p[chars][..]), (&b""[..], &b""[..]));
    }

    #[test]
    fn quotactl_structs_are_read_by_their_valid_bits() {
        let quotactl = syscalls::native_by_name("quotactl").unwrap();
        let info = event_info(quotactl.exit).unwrap();
        let get = |p: &[Vec<u8>], name: &str| {
            let v = &p[info.param_index(name).unwrap()];
            let mut b = [0u8; 8];
            b[..v.len()].copy_from_slice(v);
            u64::from_le_bytes(b)
        };
        // struct if_dqblk: u64 fields 1..=8, dqb_valid QIF_BLIMITS | QIF_BTIME.
        let mut dqblk: Vec<u8> = (1..=8u64).flat_map(|v| v.to_le_bytes()).collect();
        dqblk.extend_from_slice(&(1u32 | 1 << 4).to_le_bytes());
        // Slots: special, arg3 as a string, arg3 as a struct.
        let b = crate::record::with_blobs(&[b"/dev/x\0", b"", &dqblk]);
        let mut r = Record::parse(&b).unwrap();
        // QCMD(Q_SETQUOTA, USRQUOTA), id 1000.
        (r.nr, r.args) = (quotactl.nr, [0x8000_0800, 0, 1000, 0, 0, 0]);
        let p = exit_params(&r);
        let names = [
            "dqb_bhardlimit",
            "dqb_bsoftlimit",
            "dqb_curspace",
            "dqb_ihardlimit",
            "dqb_btime",
            "dqb_itime",
            "dqi_bgrace",
            "id",
        ];
        let values: Vec<u64> = names.iter().map(|n| get(&p, n)).collect();
        assert_eq!(values, [1, 2, 0, 0, 7, 0, 0, 1000]);
        // Q_GETFMT: the format read back (the first u32), QFMT_VFS_OLD (1) as PPM's 2.
        r.args[0] = 0x8000_0400;
        assert_eq!(get(&exit_params(&r), "quota_fmt_out"), 2);
        // Q_GETINFO: struct if_dqinfo, graces 10 and 20, flags 1, dqi_valid IIF_BGRACE |
        // IIF_FLAGS; no dqblk fields.
        let mut dqinfo: Vec<u8> = [10u64, 20].iter().flat_map(|v| v.to_le_bytes()).collect();
        dqinfo.extend_from_slice(&1u32.to_le_bytes());
        dqinfo.extend_from_slice(&(1u32 | 1 << 2).to_le_bytes());
        let b = crate::record::with_blobs(&[b"/dev/x\0", b"", &dqinfo]);
        let mut r = Record::parse(&b).unwrap();
        (r.nr, r.args) = (quotactl.nr, [0x8000_0500, 0, 0, 0, 0, 0]);
        let p = exit_params(&r);
        let values: Vec<u64> = ["dqi_bgrace", "dqi_igrace", "dqi_flags", "dqb_bhardlimit"]
            .iter()
            .map(|n| get(&p, n))
            .collect();
        assert_eq!(values, [10, 0, 1, 0]);
    }

    #[test]
    fn bits_take_a_word_apart() {
        // quotactl's QCMD(Q_GETQUOTA, GRPQUOTA): the command above the low byte, the type in it.
        let word = 0x8000_0701;
        assert_eq!(bits(word, 8, 24), 0x80_0007);
        assert_eq!(bits(word, 0, 8), 1);
        assert_eq!(bits(u64::MAX, 0, 64), u64::MAX);
        assert_eq!(bits(u64::MAX, 60, 4), 0xf);
    }

    #[test]
    fn a_successful_execveat_is_an_execve_and_a_failed_one_an_execveat() {
        let execveat = syscalls::native_by_name("execveat").unwrap().nr;
        let b = vec![0u8; HEAD_LEN];
        let mut r = Record::parse(&b).unwrap();
        r.nr = execveat;
        assert_eq!(encoded(&r), ["execve"]);
        r.ret = -2;
        assert_eq!(encoded(&r), ["execveat"]);
    }
}
