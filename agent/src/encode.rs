//! A syscall record as a libscap event of the current table version: the exit event of the
//! syscall's entry in the native table, parameters filled from [`crate::coverage`] (process
//! events from [`crate::procinfo`]), or a generic event (`PPME_GENERIC_X`: ppm_sc code and native number) for uncovered syscalls.

use crate::coverage::{self, Source};
use crate::procinfo;
use crate::record::Record;
use edera_scap::info::{ParamInfo, ParamType, event_info};
use edera_scap::tables::{EventCode, flags};

/// Native x86_64 `open` flag bits and their names in the PPM flag table.
const NATIVE_OPEN_FLAGS: &[(u64, &str)] = &[
    (0o1, "O_WRONLY"),
    (0o2, "O_RDWR"),
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o2000000, "O_CLOEXEC"),
    (0o4010000, "O_SYNC"),
    (0o20200000, "O_TMPFILE"),
];

fn ppm_flag(name: &str) -> u64 {
    flags::FILE_FLAGS.entries.iter().find(|(n, _)| *n == name).map_or(0, |(_, v)| *v)
}

/// Native open flags as PPM flags (`O_RDONLY` when no access bit is set, as libscap does).
pub fn open_flags(native: u64) -> u32 {
    let mut out = 0u64;
    for (bits, name) in NATIVE_OPEN_FLAGS {
        if native & bits == *bits {
            out |= ppm_flag(name);
        }
    }
    if native & 0o3 == 0 {
        out |= ppm_flag("O_RDONLY");
    }
    out as u32
}

/// The encoded bytes of one parameter; `slot` maps an argument to its blob slot.
fn value(p: &ParamInfo, src: Option<Source>, r: &Record<'_>, slot: &[u8; 6]) -> Vec<u8> {
    let blob = |i: u8| r.blob(usize::from(slot[usize::from(i)]));
    let int = |v: u64| -> Vec<u8> {
        match p.ptype.fixed_size() {
            Some(1) => vec![v as u8],
            Some(2) => (v as u16).to_le_bytes().to_vec(),
            Some(4) => (v as u32).to_le_bytes().to_vec(),
            Some(n) => v.to_le_bytes()[..usize::from(n).min(8)].to_vec(),
            None => Vec::new(),
        }
    };
    match src {
        Some(Source::Ret) => int(r.ret as u64),
        // C `int` arguments (fds, dirfds) arrive in 64-bit registers without sign extension.
        Some(Source::Arg(i)) if matches!(p.ptype, ParamType::Fd | ParamType::Pid) => {
            int(r.args[usize::from(i)] as i32 as i64 as u64)
        }
        Some(Source::Arg(i)) => int(r.args[usize::from(i)]),
        Some(Source::OpenFlags(i)) => int(u64::from(open_flags(r.args[usize::from(i)]))),
        Some(Source::Str(i)) => {
            let b = blob(i);
            let mut s = b.strip_suffix(&[0]).unwrap_or(b).to_vec();
            s.push(0);
            s
        }
        Some(Source::BufArgLen(i, _) | Source::BufRetLen(i)) => blob(i).to_vec(),
        None if p.ptype == ParamType::Fspath || p.ptype == ParamType::Charbuf => vec![0],
        None => int(0),
    }
}

/// No blob slots.
const NO_SLOTS: [u8; 6] = [0xff; 6];

/// Encode `r`; `ts` is the event timestamp (ns since the epoch).
pub fn encode(r: &Record<'_>, ts: u64) -> Option<Vec<u8>> {
    let entry = coverage::entry(r.nr)?;
    let covered = coverage::covered(entry.name);
    let process = event_info(entry.exit).filter(|i| procinfo::is_process_event(i.id));
    let (code, params): (u16, Vec<Vec<u8>>) = match (covered, process) {
        (_, Some(info)) => {
            let t = procinfo::thread_of(r);
            let params = info
                .params
                .iter()
                .map(|p| match p.name {
                    "res" => value(p, Some(Source::Ret), r, &NO_SLOTS),
                    name => procinfo::param(name, r, t.as_ref()).unwrap_or_else(|| value(p, None, r, &NO_SLOTS)),
                })
                .collect();
            (entry.exit, params)
        }
        (Some(c), None) => {
            let slots = coverage::arg_plan(entry.name).slot;
            let info = event_info(entry.exit)?;
            let params = info
                .params
                .iter()
                .map(|p| value(p, c.params.iter().find(|(n, _)| *n == p.name).map(|(_, s)| *s), r, &slots))
                .collect();
            (entry.exit, params)
        }
        (None, None) => (
            EventCode::GenericX as u16,
            vec![entry.ppm_sc.to_le_bytes().to_vec(), (r.nr as u16).to_le_bytes().to_vec()],
        ),
    };
    let large = event_info(code)?.large_payload();
    let width = if large { 4 } else { 2 };
    let len = 26 + width * params.len() + params.iter().map(Vec::len).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&u64::from(r.tid).to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in &params {
        if large {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(p.len().min(u16::MAX as usize) as u16).to_le_bytes());
        }
    }
    for p in &params {
        out.extend_from_slice(p);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_convert_to_ppm() {
        // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC
        let f = open_flags(0o1 | 0o100 | 0o1000 | 0o2000000);
        assert_eq!(f as u64, ppm_flag("O_WRONLY") | ppm_flag("O_CREAT") | ppm_flag("O_TRUNC") | ppm_flag("O_CLOEXEC"));
        assert_eq!(open_flags(0) as u64, ppm_flag("O_RDONLY"));
        assert_eq!(open_flags(0o2) as u64, ppm_flag("O_RDWR"));
    }
}
