//! Native flag words of x86_64 as the PPM flag values of the event table: the `open` flags
//! (with `O_F_CREATED` and libscap's `O_RDONLY` default) and their `O_CLOEXEC`/`O_NONBLOCK`
//! part; the native values themselves are data (`agent/capture.toml`).

use crate::coverage::plan;
use edera_scap::info::FlagTable;
use edera_scap::tables::flags;

/// The PPM value of flag `name` of `table` (0 when absent).
pub(super) fn ppm(table: &FlagTable, name: &str) -> u64 {
    table
        .entries
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| *v)
}

/// The PPM values of the open flags added beside the conversion, looked up by name once
/// (records are encoded without comparing names).
struct Resolved {
    rdonly: u64,
    created: u64,
    /// PPM ptrace requests whose `data` is the word read, and those whose `data` is a signal.
    ptrace_peek: [u64; 3],
    ptrace_signal: [u64; 4],
}

fn resolved() -> &'static Resolved {
    static R: std::sync::OnceLock<Resolved> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let request = |n| ppm(&flags::PTRACE_REQUESTS, n);
        Resolved {
            rdonly: ppm(&flags::FILE_FLAGS, "O_RDONLY"),
            created: ppm(&flags::FILE_FLAGS, "O_F_CREATED"),
            ptrace_peek: ["PTRACE_PEEKTEXT", "PTRACE_PEEKDATA", "PTRACE_PEEKUSR"].map(request),
            ptrace_signal: [
                "PTRACE_CONT",
                "PTRACE_SINGLESTEP",
                "PTRACE_DETACH",
                "PTRACE_SYSCALL",
            ]
            .map(request),
        }
    })
}

/// Native `O_CLOEXEC` and `O_NONBLOCK` (x86_64), the bits `cloexec_flags` keeps.
const NATIVE_CLOEXEC_NONBLOCK: u64 = 0o2000000 | 0o4000;

/// Native open flags as PPM flags (`O_RDONLY` when no access bit is set, as libscap does),
/// with `O_F_CREATED` when the call created the file.
pub fn open_flags(native: u64, created: bool) -> u32 {
    let r = resolved();
    let mut out = plan::FILE_FLAGS.convert(native);
    if native & 0o3 == 0 {
        out |= r.rdonly;
    }
    if created {
        out |= r.created;
    }
    out as u32
}

/// `O_CLOEXEC`/`O_NONBLOCK` bits (dup3, pipe2; `SOCK_CLOEXEC`/`SOCK_NONBLOCK` share them)
/// as PPM open flags, without the access mode.
pub fn cloexec_flags(native: u64) -> u32 {
    plan::FILE_FLAGS.convert(native & NATIVE_CLOEXEC_NONBLOCK) as u32
}

/// `ptrace_dynamic_param` indexes: a 64-bit value, a signal.
const PTRACE_IDX_UINT64: u8 = 0;
const PTRACE_IDX_SIGTYPE: u8 = 1;

/// ptrace's `addr` as its PT_DYN value (0 when the call failed, as the modern probe sends).
pub fn ptrace_addr(ret: i64, addr: u64) -> Vec<u8> {
    dyn_u64(if ret < 0 { 0 } else { addr })
}

/// ptrace's `data` as its PT_DYN value for the native request `request`: the word the call
/// read (`peeked`, from user memory at `data`) for PEEK requests, the signal for CONT,
/// SINGLESTEP, DETACH and SYSCALL, `data` itself otherwise; 0 when the call failed.
pub fn ptrace_data(ret: i64, request: u64, data: u64, peeked: u64) -> Vec<u8> {
    if ret < 0 {
        return dyn_u64(0);
    }
    let r = resolved();
    let request = plan::PTRACE_REQUESTS.convert(request);
    if r.ptrace_peek.contains(&request) {
        dyn_u64(peeked)
    } else if r.ptrace_signal.contains(&request) {
        vec![PTRACE_IDX_SIGTYPE, data as u8]
    } else {
        dyn_u64(data)
    }
}

fn dyn_u64(v: u64) -> Vec<u8> {
    let mut out = vec![PTRACE_IDX_UINT64];
    out.extend_from_slice(&v.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_convert_to_ppm() {
        let f = |n| ppm(&flags::FILE_FLAGS, n);
        // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC
        let w = open_flags(0o1 | 0o100 | 0o1000 | 0o2000000, true);
        assert_eq!(
            u64::from(w),
            f("O_WRONLY") | f("O_CREAT") | f("O_TRUNC") | f("O_CLOEXEC") | f("O_F_CREATED")
        );
        assert_eq!(u64::from(open_flags(0, false)), f("O_RDONLY"));
        assert_eq!(u64::from(open_flags(0o2, false)), f("O_RDWR"));
        assert_eq!(
            u64::from(cloexec_flags(0o2004000)),
            f("O_CLOEXEC") | f("O_NONBLOCK")
        );
    }

    #[test]
    fn ptrace_dyn_values_follow_the_request() {
        // The indexes are the schema's ptrace_dynamic_param entries.
        let event =
            edera_scap::info::event_info(edera_scap::tables::EventCode::SyscallPtraceX as u16);
        let table = event
            .and_then(|e| e.params.iter().find(|p| p.name == "data"))
            .map(|p| &p.extra);
        let Some(edera_scap::info::ParamExtra::Dyn(entries)) = table else {
            panic!("ptrace data is PT_DYN: {table:?}")
        };
        assert_eq!(
            entries[usize::from(PTRACE_IDX_UINT64)].ptype,
            edera_scap::info::ParamType::Uint64
        );
        assert_eq!(
            entries[usize::from(PTRACE_IDX_SIGTYPE)].ptype,
            edera_scap::info::ParamType::Sigtype
        );
        // Native PTRACE_PEEKDATA 2, PTRACE_CONT 7, PTRACE_ATTACH 16 (linux/ptrace.h).
        assert_eq!(
            ptrace_data(0, 2, 0x1000, 42),
            [&[0][..], &42u64.to_le_bytes()].concat()
        );
        assert_eq!(ptrace_data(0, 7, 9, 42), [1, 9]);
        assert_eq!(
            ptrace_data(0, 16, 5, 42),
            [&[0][..], &5u64.to_le_bytes()].concat()
        );
        assert_eq!(
            ptrace_data(-1, 7, 9, 42),
            [&[0][..], &0u64.to_le_bytes()].concat()
        );
        assert_eq!(ptrace_addr(-3, 77), ptrace_data(-1, 0, 0, 0));
    }

    #[test]
    fn fcntl_commands_convert_to_ppm() {
        let fcntl = |n| plan::FCNTL_COMMANDS.convert(n);
        assert_eq!(fcntl(1030), ppm(&flags::FCNTL_COMMANDS, "F_DUPFD_CLOEXEC"));
        assert_eq!(fcntl(4), ppm(&flags::FCNTL_COMMANDS, "F_SETFL"));
        assert_eq!(fcntl(9999), 0);
    }
}
