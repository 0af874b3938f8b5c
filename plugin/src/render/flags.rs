//! Names of flag, enum and mode values, walked as libsinsp walks its name tables.
//!
//! Facts this reproduces (libsinsp `get_param_as_str`):
//! - bit flags (`PT_FLAGS*`): entries are tried in table order; an entry matches when all its
//!   bits are still set in the value (a zero entry matches only a zero value); a match clears its
//!   bits, so `O_RDWR` (3) hides `O_WRONLY` and `O_RDONLY` after it; the walk stops at the first
//!   entry equal to the whole original value. Bits no entry covers are not shown.
//! - enum flags (`PT_ENUMFLAGS*`): every entry equal to the value is shown, so aliases all
//!   appear (`1(AF_LOCAL|AF_UNIX)`).
//! - modes (`PT_MODE`): the walk stops *before* the first entry equal to the whole value and then
//!   shows that entry; until then entries whose bits are all set are shown and cleared.
//! - values are compared as 32-bit numbers.

use edera_scap::info::FlagTable;

/// Writes the names of `value` for a `PT_FLAGS*` (`exact == false`) or `PT_ENUMFLAGS*`
/// (`exact == true`) parameter, separated by `|`; nothing when no entry matches.
pub fn write_flag_names(out: &mut Vec<u8>, table: &FlagTable, value: u32, exact: bool) {
    let initial = value;
    let mut rest = value;
    let mut first = true;
    for &(name, v) in table.entries {
        let v = v as u32;
        let hit = if exact {
            v == initial
        } else {
            (v == 0 && initial == 0) || (v != 0 && rest != 0 && rest & v == v)
        };
        if !hit {
            continue;
        }
        if !exact {
            rest &= !v;
        }
        if !first {
            out.push(b'|');
        }
        out.extend_from_slice(name.as_bytes());
        first = false;
        if !exact && v == initial {
            break;
        }
    }
}

/// Writes the names of a `PT_MODE` value, separated by `|`.
pub fn write_mode_names(out: &mut Vec<u8>, table: &FlagTable, value: u32) {
    let initial = value;
    let mut rest = value;
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b'|');
        }
        first = false;
    };
    let mut stop = None;
    for &(name, v) in table.entries {
        let v = v as u32;
        if v == initial {
            stop = Some(name);
            break;
        }
        if v != 0 && rest != 0 && rest & v == v {
            sep(out);
            out.extend_from_slice(name.as_bytes());
            rest &= !v;
        }
    }
    if let Some(name) = stop {
        sep(out);
        out.extend_from_slice(name.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::tables::flags;

    fn fl(t: &FlagTable, v: u32, exact: bool) -> String {
        let mut o = Vec::new();
        write_flag_names(&mut o, t, v, exact);
        String::from_utf8(o).unwrap()
    }

    fn md(t: &FlagTable, v: u32) -> String {
        let mut o = Vec::new();
        write_mode_names(&mut o, t, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn bit_flags() {
        assert_eq!(fl(&flags::FILE_FLAGS, 4097, false), "O_RDONLY|O_CLOEXEC");
        assert_eq!(fl(&flags::FILE_FLAGS, 0, false), "O_NONE");
        assert_eq!(fl(&flags::FILE_FLAGS, 3, false), "O_RDWR");
        assert_eq!(
            fl(&flags::FILE_FLAGS, 2 | 4 | 256, false),
            "O_TRUNC|O_CREAT|O_WRONLY"
        );
        // Unknown bits are dropped.
        assert_eq!(fl(&flags::FILE_FLAGS, 1 << 30, false), "");
        assert_eq!(fl(&flags::FILE_FLAGS, 1 | (1 << 30), false), "O_RDONLY");
        assert_eq!(
            fl(&flags::CLONE_FLAGS, 47619, false),
            "CLONE_FILES|CLONE_FS|CLONE_PARENT_SETTID|CLONE_SIGHAND|CLONE_SYSVSEM|CLONE_THREAD|CLONE_VM"
        );
    }

    #[test]
    fn enum_flags() {
        assert_eq!(fl(&flags::SOCKET_FAMILIES, 2, true), "AF_INET");
        assert_eq!(fl(&flags::SOCKET_FAMILIES, 1, true), "AF_LOCAL|AF_UNIX");
        assert_eq!(fl(&flags::SOCKET_FAMILIES, 16, true), "AF_ROUTE|AF_NETLINK");
        assert_eq!(fl(&flags::SOCKET_FAMILIES, 200, true), "");
    }

    #[test]
    fn modes() {
        let t = &flags::CHMOD_MODE;
        // Whatever the table, an exact entry is shown last, and zero shows the zero entry if any.
        let all: Vec<_> = t.entries.iter().map(|e| e.1 as u32).collect();
        for &v in &all {
            let s = md(t, v);
            let name = t.entries.iter().find(|e| e.1 as u32 == v).unwrap().0;
            assert!(s.ends_with(name), "{v}: {s}");
        }
        assert_eq!(
            md(t, 0o755),
            "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR"
        );
        assert_eq!(md(t, 0), "");
        assert_eq!(md(t, 5), "S_IXOTH|S_IROTH");
        assert_eq!(md(t, 0o4000 | 0o10000), "S_ISUID");
        assert_eq!(md(&flags::ACCESS_FLAGS, 0), "F_OK");
        assert_eq!(fl(&flags::ACCESS_FLAGS, 0, false), "F_OK");
        assert_eq!(fl(&flags::ACCESS_FLAGS, 6, false), "R_OK|W_OK");
    }
}
