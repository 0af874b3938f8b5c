//! Native flag words of x86_64 as the PPM flag values of the event table: the `open` flags
//! (with `O_F_CREATED` and libscap's `O_RDONLY` default) and their `O_CLOEXEC`/`O_NONBLOCK`
//! part; the native values themselves are data (`agent/capture.toml`).

use crate::coverage::plan;
use edera_scap::info::FlagTable;
use edera_scap::tables::flags;

fn ppm(table: &FlagTable, name: &str) -> u64 {
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
}

fn resolved() -> &'static Resolved {
    static R: std::sync::OnceLock<Resolved> = std::sync::OnceLock::new();
    R.get_or_init(|| Resolved {
        rdonly: ppm(&flags::FILE_FLAGS, "O_RDONLY"),
        created: ppm(&flags::FILE_FLAGS, "O_F_CREATED"),
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
    fn fcntl_commands_convert_to_ppm() {
        let fcntl = |n| plan::FCNTL_COMMANDS.convert(n);
        assert_eq!(fcntl(1030), ppm(&flags::FCNTL_COMMANDS, "F_DUPFD_CLOEXEC"));
        assert_eq!(fcntl(4), ppm(&flags::FCNTL_COMMANDS, "F_SETFL"));
        assert_eq!(fcntl(9999), 0);
    }
}
