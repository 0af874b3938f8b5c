//! Path joining as libsinsp does it for fd names, cwds and exe paths
//! (`sinsp_utils::concatenate_paths`).
//!
//! A relative `path` is appended to `dir` as given (`dir` is not normalized: cwds and directory
//! fd names already end with `/`); an absolute `path` replaces it. While `path` is copied, `./`
//! and repeated `/` vanish, `../` and a final `..` remove the last component written so far
//! (which may reach back into `dir`, never before its first character), a final `.` is dropped,
//! and a trailing `/` is removed unless the result is `/`. When the two parts together do not
//! fit libsinsp's path buffer (1024 bytes with the terminator) the result is the placeholder
//! `/DIR_TOO_LONG/FILENAME_TOO_LONG`.

/// libscap's path buffer size.
pub const MAX_PATH: usize = 1024;

/// The placeholder for joins that do not fit.
pub const TOO_LONG: &[u8] = b"/DIR_TOO_LONG/FILENAME_TOO_LONG";

/// `dir` joined with `path`, normalized as libsinsp normalizes it.
pub fn join(dir: &[u8], path: &[u8]) -> Vec<u8> {
    let path = until_nul(path);
    if dir.len() + path.len() + 1 > MAX_PATH {
        return TOO_LONG.to_vec();
    }
    let mut out = Vec::with_capacity(dir.len() + path.len());
    let relative = !path.is_empty() && path[0] != b'/';
    if relative {
        out.extend_from_slice(dir);
    }
    let dir_was_empty = out.is_empty();
    append_normalized(&mut out, path, dir_was_empty);
    let end = out.iter().position(|&b| b == 0).unwrap_or(out.len());
    out.truncate(end);
    out
}

fn until_nul(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// Appends `path` to `out`; `out[0..]` is the furthest a `..` may rewind to.
fn append_normalized(out: &mut Vec<u8>, path: &[u8], base_was_empty: bool) {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut pc = 0usize;
    loop {
        let c = at(pc);
        if c == 0 {
            if out.len() > 1 && out.last() == Some(&b'/') {
                out.pop();
            }
            return;
        }
        let at_component_start = out.is_empty() || out.last() == Some(&b'/');
        if c == b'.' && at_component_start {
            match (at(pc + 1), at(pc + 2)) {
                (b'.', b'/') => {
                    rewind(out);
                    pc += 3;
                }
                (b'.', 0) => {
                    rewind(out);
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
            let skip = out.last() == Some(&b'/') || (out.is_empty() && !base_was_empty);
            if !skip {
                out.push(c);
            }
            pc += 1;
        } else {
            out.push(c);
            pc += 1;
        }
    }
}

/// Drops the last component written (keeping the `/` before it).
fn rewind(out: &mut Vec<u8>) {
    if out.len() <= 1 {
        return;
    }
    out.pop();
    while !out.is_empty() && out.last() != Some(&b'/') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    fn j(a: &str, b: &str) -> String {
        String::from_utf8(join(a.as_bytes(), b.as_bytes())).unwrap()
    }

    #[test]
    fn joins_like_libsinsp() {
        assert_eq!(j("/a/b/", "c"), "/a/b/c");
        assert_eq!(j("/a/b/", "../c"), "/a/c");
        assert_eq!(j("/a/b/", "./c/"), "/a/b/c");
        assert_eq!(j("/a/b/", "/x/./y//z/"), "/x/y/z");
        assert_eq!(j("/", ".."), "/");
        assert_eq!(j("/a/", "."), "/a");
        assert_eq!(j("/a/", ".."), "/");
        assert_eq!(j("/a/", ""), "", "an empty path is not relative");
        assert_eq!(j("x/", "../../a"), "a");
        assert_eq!(j("", "foo/../a"), "a");
        assert_eq!(j("/a/", "..x"), "/a/..x");
        assert_eq!(j("<NA>", "x"), "<NA>x");
        let long = "x".repeat(1020);
        assert_eq!(j("/a/b/", &long), "/DIR_TOO_LONG/FILENAME_TOO_LONG");
    }
}
