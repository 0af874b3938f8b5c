//! Path joining as libsinsp does it (`sinsp_utils::concatenate_paths`), for both places that
//! show joined paths: fd names, cwds and exe paths kept in the zone state ([`join`]), and the
//! resolved `PT_FSPATH`/`PT_FSRELPATH` text of `evt.args` (`name=foo(/home/u/foo)`,
//! [`write_joined`]). Both share the normalizer; they differ only where libsinsp's two callers
//! do: what a NUL inside the directory or the path does, and how the length limit is counted.
//!
//! A relative `path` is appended to `dir` as given (`dir` is not normalized: cwds and directory
//! fd names already end with `/`); an absolute `path` replaces it. While `path` is copied, `./`
//! and repeated `/` vanish, `../` and a final `..` remove the last component written so far
//! (which may reach back into `dir`, never before its first character), a final `.` is dropped,
//! and a trailing `/` is removed unless the result is `/`. When the two parts together do not
//! fit libsinsp's path buffer (1024 bytes with the terminator) the result is the placeholder
//! `/DIR_TOO_LONG/FILENAME_TOO_LONG`.

/// libscap's path buffer size (`SCAP_MAX_PATH_SIZE`).
pub const MAX_PATH: usize = 1024;

/// The placeholder for joins that do not fit.
const TOO_LONG: &[u8] = b"/DIR_TOO_LONG/FILENAME_TOO_LONG";

/// `dir` joined with `path`, as libsinsp's state keeps it: `path` ends at its first NUL (the
/// length limit counts only that much), and the joined result ends at its first NUL, so a NUL
/// inside `dir` cuts the result there (after any `..` of `path` has rewound into `dir`).
pub fn join(dir: &[u8], path: &[u8]) -> Vec<u8> {
    let path = &path[..path.iter().position(|&c| c == 0).unwrap_or(path.len())];
    if dir.len() + path.len() + 1 > MAX_PATH {
        return TOO_LONG.to_vec();
    }
    let mut out = Vec::with_capacity(dir.len() + path.len());
    if path.first().is_some_and(|&c| c != b'/') {
        out.extend_from_slice(dir);
    }
    append_normalized(&mut out, 0, path);
    let end = out.iter().position(|&b| b == 0).unwrap_or(out.len());
    out.truncate(end);
    out
}

/// Appends `dir` (followed by a `/` when `slash`) joined with `path` to `out`, as libsinsp's
/// `evt.args` text shows a resolved path: the length limit counts all of `path`'s bytes, and a
/// relative path whose directory holds a NUL shows only the directory up to that NUL (libsinsp
/// copies the directory verbatim and reads the result as a C string).
pub fn write_joined(out: &mut Vec<u8>, dir: &[u8], slash: bool, path: &[u8]) {
    let dir_len = dir.len() + usize::from(slash);
    if dir_len + path.len() + 1 > MAX_PATH {
        out.extend_from_slice(TOO_LONG);
        return;
    }
    let base = out.len();
    if path.first().is_some_and(|&c| c != b'/') {
        if let Some(nul) = dir.iter().position(|&b| b == 0) {
            out.extend_from_slice(&dir[..nul]);
            return;
        }
        out.extend_from_slice(dir);
        if slash {
            out.push(b'/');
        }
    }
    append_normalized(out, base, path);
}

/// Appends `path` (up to its first NUL) to the path that starts at `out[base]`, normalizing
/// it; nothing before `out[base]` is ever removed. The callers have checked that the result fits
/// [`MAX_PATH`]: it is never longer than the two parts together.
fn append_normalized(out: &mut Vec<u8>, base: usize, path: &[u8]) {
    // Whether nothing came before the appended part (no directory, or an absolute path).
    let empty_base = out.len() == base;
    let last = |out: &Vec<u8>| (out.len() > base).then(|| out[out.len() - 1]);
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut pc = 0;
    loop {
        let c = at(pc);
        if c == 0 {
            if out.len() > base + 1 && last(out) == Some(b'/') {
                out.pop();
            }
            return;
        }
        let at_component_start = out.len() == base || last(out) == Some(b'/');
        if c == b'.' && at_component_start {
            match (at(pc + 1), at(pc + 2)) {
                (b'.', b'/') => {
                    rewind(out, base);
                    pc += 3;
                }
                (b'.', 0) => {
                    rewind(out, base);
                    pc += 2;
                }
                (b'/', _) => pc += 2,
                (0, _) => pc += 1,
                _ => {
                    out.push(c);
                    pc += 1;
                }
            }
        } else if c == b'/' {
            let at_start = out.len() == base;
            if !(last(out) == Some(b'/') || (at_start && !empty_base)) {
                out.push(c);
            }
            pc += 1;
        } else {
            out.push(c);
            pc += 1;
        }
    }
}

/// Drops the last component written after `out[base]` (back to just after the previous `/`).
fn rewind(out: &mut Vec<u8>, base: usize) {
    let mut tc = out.len();
    if tc <= base + 1 {
        return;
    }
    tc -= 1;
    while tc > base && out[tc - 1] != b'/' {
        tc -= 1;
    }
    out.truncate(tc);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(a: &str, b: &str) -> String {
        String::from_utf8(join(a.as_bytes(), b.as_bytes())).unwrap()
    }

    /// `write_joined` after a prefix, which it must leave alone.
    fn w(dir: &str, path: &str) -> String {
        let mut o = b"prefix:".to_vec();
        write_joined(&mut o, dir.as_bytes(), false, path.as_bytes());
        assert_eq!(&o[..7], b"prefix:");
        String::from_utf8(o[7..].to_vec()).unwrap()
    }

    #[test]
    fn joins_like_libsinsp() {
        for f in [j as fn(&str, &str) -> String, w] {
            assert_eq!(f("/a/b/", "c"), "/a/b/c");
            assert_eq!(f("/a/b/", "../c"), "/a/c");
            assert_eq!(f("/a/b/", "./c/"), "/a/b/c");
            assert_eq!(f("/a/b/", "/x/./y//z/"), "/x/y/z");
            assert_eq!(f("/x/", "/etc//passwd/"), "/etc/passwd");
            assert_eq!(f("/", ".."), "/");
            assert_eq!(f("/", "."), "/");
            assert_eq!(f("/", "/"), "/");
            assert_eq!(f("/a/", "."), "/a");
            assert_eq!(f("/a/", ".."), "/");
            assert_eq!(f("/a/", ""), "", "an empty path is not relative");
            assert_eq!(f("/home/u/", "../../../../foo"), "/foo");
            assert_eq!(f("/home/u/", "a//b/./c/.."), "/home/u/a/b");
            assert_eq!(f("/home/u/", ".hidden"), "/home/u/.hidden");
            assert_eq!(f("x/", "../../a"), "a");
            assert_eq!(f("", "foo/../a"), "a");
            assert_eq!(f("./", "foo"), "./foo");
            assert_eq!(f("/a/", "..x"), "/a/..x");
            assert_eq!(f("<NA>", "x"), "<NA>x");
            assert_eq!(
                f("/a/b/", &"x".repeat(1020)),
                "/DIR_TOO_LONG/FILENAME_TOO_LONG"
            );
            assert_eq!(f("/a/", "b\0/c"), "/a/b");
        }
        let mut o = Vec::new();
        write_joined(&mut o, b"/tmp", true, b"x/../y");
        assert_eq!(o, b"/tmp/y");
    }

    #[test]
    fn the_two_differ_where_libsinsp_does() {
        // A NUL inside the directory: the state's join normalizes first and then ends at the
        // NUL; the evt.args text shows the directory up to the NUL.
        assert_eq!(j("/a\0b/", "c"), "/a");
        assert_eq!(w("/a\0b/", "c"), "/a");
        assert_eq!(j("/a\0b/", "../c"), "/c");
        assert_eq!(w("/a\0b/", "../c"), "/a");
        // Bytes after a NUL in the path count toward the limit only in the evt.args text.
        let padded = format!("c\0{}", "x".repeat(1020));
        assert_eq!(j("/a/", &padded), "/a/c");
        assert_eq!(w("/a/", &padded), "/DIR_TOO_LONG/FILENAME_TOO_LONG");
    }
}
