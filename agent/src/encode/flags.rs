//! Native flag words of x86_64 as the PPM flag values of the event table.

use edera_scap::info::FlagTable;
use edera_scap::tables::flags;

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

/// Native `fcntl` commands and their names in the PPM table.
const NATIVE_FCNTL: &[(u64, &str)] = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1029, "F_CANCELLK"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
];

fn ppm(table: &FlagTable, name: &str) -> u64 {
    table
        .entries
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| *v)
}

/// The conversions with the PPM values looked up by name once (records are encoded without
/// comparing names).
struct Resolved {
    open: Vec<(u64, u64)>,
    rdonly: u64,
    created: u64,
    cloexec: u64,
    nonblock: u64,
    fcntl: Vec<(u64, u8)>,
}

fn resolved() -> &'static Resolved {
    static R: std::sync::OnceLock<Resolved> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let file = |n| ppm(&flags::FILE_FLAGS, n);
        Resolved {
            open: NATIVE_OPEN_FLAGS
                .iter()
                .map(|(bits, n)| (*bits, file(n)))
                .collect(),
            rdonly: file("O_RDONLY"),
            created: file("O_F_CREATED"),
            cloexec: file("O_CLOEXEC"),
            nonblock: file("O_NONBLOCK"),
            fcntl: NATIVE_FCNTL
                .iter()
                .map(|(v, n)| (*v, ppm(&flags::FCNTL_COMMANDS, n) as u8))
                .collect(),
        }
    })
}

/// Native open flags as PPM flags (`O_RDONLY` when no access bit is set, as libscap does),
/// with `O_F_CREATED` when the call created the file.
pub fn open_flags(native: u64, created: bool) -> u32 {
    let r = resolved();
    let mut out = r
        .open
        .iter()
        .filter(|(bits, _)| native & bits == *bits)
        .fold(0, |acc, (_, v)| acc | v);
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
    let r = resolved();
    let mut out = 0;
    if native & 0o2000000 != 0 {
        out |= r.cloexec;
    }
    if native & 0o4000 != 0 {
        out |= r.nonblock;
    }
    out as u32
}

/// A native `fcntl` command as its PPM code (`UNKNOWN` for others).
pub fn fcntl_cmd(native: u64) -> u8 {
    resolved()
        .fcntl
        .iter()
        .find(|(n, _)| *n == native)
        .map_or(0, |(_, v)| *v)
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
        assert_eq!(
            u64::from(fcntl_cmd(1030)),
            ppm(&flags::FCNTL_COMMANDS, "F_DUPFD_CLOEXEC")
        );
        assert_eq!(
            u64::from(fcntl_cmd(4)),
            ppm(&flags::FCNTL_COMMANDS, "F_SETFL")
        );
        assert_eq!(fcntl_cmd(9999), 0);
    }
}
