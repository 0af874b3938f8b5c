//! More state-derived fields, computed as libsinsp's extractors do (see `mod.rs`).

use edera_falco_plugin::state::fd::FdType;
use edera_falco_plugin::state::{Thread, ZoneState};
use edera_scap::event::RawEvent;
use serde_json::{Value, json};

/// The fields computed here.
pub const FIELDS: &[&str] = &[
    "proc.sid",
    "proc.vpgid",
    "proc.pgid",
    "proc.tty",
    "thread.vtid",
    "thread.ismain",
    "proc.nthreads",
    "proc.nchilds",
    "proc.fdlimit",
    "proc.fdopencount",
    "user.loginuid",
    "user.homedir",
    "user.shell",
    "user.loginname",
    "proc.pname",
    "proc.pcmdline",
    "proc.aname",
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.apid",
    "proc.apid[1]",
    "proc.args",
    "proc.env",
    "proc.exeline",
    "proc.cmdnargs",
    "proc.cmdlenargs",
    "thread.cgroups",
    "proc.is_exe_writable",
    "proc.is_exe_upper_layer",
    "proc.is_exe_lower_layer",
    "proc.is_exe_from_memfd",
    "proc.exe_ino",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.pidns_init_start_ts",
    "proc.pid.ts",
    "proc.ppid.ts",
    "proc.duration",
    "proc.vmsize",
    "proc.vmrss",
    "proc.vmswap",
    "thread.pfmajor",
    "thread.pfminor",
    "thread.vmsize",
    "thread.vmrss",
    "proc.sname",
    "proc.vpgid.name",
    "proc.pgid.name",
    "proc.is_sid_leader",
    "proc.is_vpgid_leader",
    "proc.is_pgid_leader",
    "proc.pvpid",
    "proc.loginshellid",
    "proc.stdin.type",
    "proc.stdout.type",
    "proc.stderr.name",
    "thread.nametid",
    "fd.is_server",
    "fd.connected",
    "fd.name_changed",
    "fd.dev",
    "fd.ino",
    "fd.nameraw",
    "fd.sockfamily",
    "fd.is_upper_layer",
    "fd.is_lower_layer",
    "fd.directory",
    "fd.filename",
    "fd.uid",
];

fn s(b: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(b).into_owned())
}

fn opt_nz(v: u64) -> Value {
    if v == 0 { Value::Null } else { json!(v) }
}

fn joined(parts: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    parts.collect::<Vec<_>>().join(&b' ')
}

/// One of [`FIELDS`] for the last applied event.
pub fn field(z: &ZoneState, ev: &RawEvent<'_>, name: &str) -> Value {
    if let Some(f) = name.strip_prefix("fd.") {
        return fd_field(z, ev, f);
    }
    let Some(t) = z.event_thread() else {
        return Value::Null;
    };
    let tid = t.tid;
    let anc = |n| z.ancestor_of(tid, n);
    let leader = |id: fn(&Thread) -> i64, virt| {
        z.threads
            .oldest_matching_ancestor(tid, id, virt)
            .map_or(s(b""), |l| s(&l.comm))
    };
    match name {
        "proc.sid" => json!(t.sid),
        "proc.vpgid" => json!(t.vpgid),
        "proc.pgid" => json!(t.pgid),
        "proc.tty" => json!(t.tty),
        "thread.vtid" if t.vtid == -1 => Value::Null,
        "thread.vtid" => json!(t.vtid as u64),
        "thread.ismain" => json!(t.is_main_thread()),
        "proc.nthreads" => json!(z.thread_count_of(tid)),
        "proc.nchilds" => json!(z.non_leader_count_of(tid)),
        "proc.fdlimit" => json!(z.fd_limit_of(tid)),
        "proc.fdopencount" => json!(z.fd_open_count_of(tid)),
        "user.loginuid" if t.loginuid < u32::MAX => json!(t.loginuid),
        "user.loginuid" => json!(-1),
        "user.homedir" => match z.user(t.uid) {
            Some(u) => s(&u.homedir),
            None if t.uid == 0 => s(b"/root"),
            None => s(b"<NA>"),
        },
        "user.shell" => z.user(t.uid).map_or(s(b"<NA>"), |u| s(&u.shell)),
        "user.loginname" => match z.user(t.loginuid) {
            Some(u) => s(&u.name),
            None if t.loginuid == 0 => s(b"root"),
            None => s(b"<NA>"),
        },
        "proc.pname" => anc(1).map_or(Value::Null, |p| s(&p.comm)),
        "proc.pcmdline" => anc(1).map_or(Value::Null, |p| s(&p.cmdline())),
        "proc.aname" => {
            let Some(_) = z.process_of(tid) else {
                return Value::Null;
            };
            let names = joined(z.ancestors_of(tid).into_iter().map(|a| a.comm.clone()));
            if names.is_empty() {
                Value::Null
            } else {
                s(&names)
            }
        }
        "proc.aname[1]" => anc(1).map_or(Value::Null, |p| s(&p.comm)),
        "proc.aname[2]" => anc(2).map_or(Value::Null, |p| s(&p.comm)),
        "proc.apid" => anc(0).map_or(Value::Null, |p| json!(p.pid)),
        "proc.apid[1]" => anc(1).map_or(Value::Null, |p| json!(p.pid)),
        "proc.args" => s(&t.args_joined()),
        "proc.env" => s(&joined(z.env_of(tid).iter().cloned())),
        "proc.exeline" => s(&[t.exe.as_slice(), b" ", &t.args_joined()].concat()),
        "proc.cmdnargs" => json!(t.args.len()),
        "proc.cmdlenargs" => json!(t.args.iter().map(Vec::len).sum::<usize>()),
        "thread.cgroups" if t.cgroups.is_empty() => Value::Null,
        "thread.cgroups" => s(&joined(
            t.cgroups
                .iter()
                .map(|(a, b)| [a.as_slice(), b"=", b].concat()),
        )),
        "proc.is_exe_writable" => json!(t.exe_writable),
        "proc.is_exe_upper_layer" => json!(t.exe_upper_layer),
        "proc.is_exe_lower_layer" => json!(t.exe_lower_layer),
        "proc.is_exe_from_memfd" => json!(t.exe_from_memfd),
        "proc.exe_ino" => opt_nz(t.exe_ino),
        "proc.exe_ino.ctime" => opt_nz(t.exe_ino_ctime),
        "proc.exe_ino.mtime" => opt_nz(t.exe_ino_mtime),
        "proc.pidns_init_start_ts" => opt_nz(t.pidns_init_start_ts),
        "proc.pid.ts" => opt_nz(t.clone_ts),
        "proc.ppid.ts" => z.thread(t.ptid).map_or(Value::Null, |p| json!(p.clone_ts)),
        "proc.duration" if t.clone_ts == 0 => Value::Null,
        "proc.duration" => json!(ev.header.ts.wrapping_sub(t.clone_ts) as i64),
        "proc.vmsize" => json!(t.vmsize_kb),
        "proc.vmrss" => json!(t.vmrss_kb),
        "proc.vmswap" => json!(t.vmswap_kb),
        "thread.pfmajor" => json!(t.pfmajor),
        "thread.pfminor" => json!(t.pfminor),
        "thread.vmsize" => json!(if t.is_main_thread() { t.vmsize_kb } else { 0 }),
        "thread.vmrss" => json!(if t.is_main_thread() { t.vmrss_kb } else { 0 }),
        "proc.sname" => leader(|t| t.sid, true),
        "proc.vpgid.name" => leader(|t| t.vpgid, true),
        "proc.pgid.name" => leader(|t| t.pgid, false),
        "proc.is_sid_leader" => json!(t.sid == t.vpid),
        "proc.is_vpgid_leader" => json!(t.vpgid == t.vpid),
        "proc.is_pgid_leader" => json!(t.pgid == t.pid),
        "proc.pvpid" => z.thread(t.ptid).map_or(Value::Null, |p| json!(p.vpid)),
        "proc.loginshellid" => login_shell(z, tid),
        "proc.stdin.type" => std_fd(z, tid, 0, false),
        "proc.stdout.type" => std_fd(z, tid, 1, false),
        "proc.stderr.name" => std_fd(z, tid, 2, true),
        "thread.nametid" => s(&[t.comm.as_slice(), ev.header.tid.to_string().as_bytes()].concat()),
        _ => Value::Null,
    }
}

fn login_shell(z: &ZoneState, tid: i64) -> Value {
    let Some(mt) = z.process_of(tid) else {
        return Value::Null;
    };
    let shell = |t: &Thread| t.comm.ends_with(b"sh");
    let mut res = shell(mt).then_some(mt.pid);
    for a in z.ancestors_of(tid) {
        if shell(a) {
            res = Some(a.pid);
        }
    }
    res.map_or(Value::Null, |p| json!(p))
}

fn std_fd(z: &ZoneState, tid: i64, fd: i64, name: bool) -> Value {
    let Some(f) = z.fd_table_of(tid).and_then(|t| t.get(fd)) else {
        return Value::Null;
    };
    if name {
        s(&f.name)
    } else {
        s(f.type_name().as_bytes())
    }
}

fn fd_field(z: &ZoneState, ev: &RawEvent<'_>, f: &str) -> Value {
    let (Some(t), Some(num)) = (z.event_thread(), z.event_fd_num()) else {
        return Value::Null;
    };
    if f == "uid" {
        return s(format!("{}{}", t.tid, num).as_bytes());
    }
    let Some(i) = z.event_fd() else {
        return match f {
            "directory" | "nameraw" => Value::String(String::from("<from event>")),
            _ => Value::Null,
        };
    };
    let _ = ev;
    let ty = i.fd_type();
    match f {
        "is_server" => json!(match ty {
            FdType::Ipv4ServSock | FdType::Ipv6ServSock => true,
            FdType::Ipv4Sock => z.ifaces.is_local_v4(i.sock.v4_dip()),
            FdType::Ipv6Sock => z.ifaces.is_local_v6(i.sock.v6_dip()),
            _ => false,
        }),
        "connected" => json!(i.is_socket_connected()),
        "name_changed" => json!(z.event().fd_name_changed),
        "dev" => s(format!("{:X}", i.dev).as_bytes()),
        "ino" => json!(i.ino),
        "nameraw" => s(&dedup_slashes(&i.name_raw)),
        "sockfamily" => match ty {
            FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock => {
                s(b"ip")
            }
            FdType::UnixSock => s(b"unix"),
            _ => Value::Null,
        },
        "is_upper_layer" => json!(i.is_upper_layer()),
        "is_lower_layer" => json!(i.is_lower_layer()),
        "directory" if !(i.is_file() || i.is_directory()) => Value::Null,
        "directory" if i.is_directory() => s(&i.name),
        "directory" => match i.name.iter().rposition(|&c| c == b'/') {
            Some(p) if p != 0 && p < i.name.len() - 1 => s(&i.name[..p]),
            Some(p) if p != 0 => s(&i.name),
            _ => s(b"/"),
        },
        "filename" if !i.is_file() => Value::Null,
        "filename" => match i.name.iter().rposition(|&c| c == b'/') {
            Some(p) if p < i.name.len() - 1 => s(&i.name[p + 1..]),
            Some(_) => s(&i.name),
            None => s(b"/"),
        },
        _ => Value::Null,
    }
}

fn dedup_slashes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        if !(c == b'/' && out.last() == Some(&b'/')) {
            out.push(c);
        }
    }
    out
}
