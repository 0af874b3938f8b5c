//! Joining a relative path to a directory, as libsinsp resolves `PT_FSPATH`/`PT_FSRELPATH`
//! values (`name=foo(/home/u/foo)`).
//!
//! The directory is taken as given (libsinsp keeps cwds and directory fd names with a trailing
//! `/`); the relative part is normalized while it is appended: `./` and `//` vanish, `../`
//! removes the last component written so far (never past the start), and a trailing `/` is
//! dropped. Absolute paths are normalized on their own. Together the two parts may not exceed
//! libsinsp's path size (1024 bytes including the terminator); longer ones give libsinsp's
//! placeholder `/DIR_TOO_LONG/FILENAME_TOO_LONG`.

/// libscap's `SCAP_MAX_PATH_SIZE`.
pub const MAX_PATH: usize = 1024;

/// Appends `dir` (followed by a `/` when `slash`) joined with `path` to `out`.
pub fn write_joined(out: &mut Vec<u8>, dir: &[u8], slash: bool, path: &[u8]) {
    let dir_len = dir.len() + usize::from(slash);
    if dir_len + path.len() + 1 > MAX_PATH {
        out.extend_from_slice(b"/DIR_TOO_LONG/FILENAME_TOO_LONG");
        return;
    }
    let base = out.len();
    let relative = path.first().is_some_and(|&c| c != b'/');
    if relative {
        if let Some(nul) = dir.iter().position(|&b| b == 0) {
            // libsinsp copies the directory verbatim and reads the result as a C string.
            out.extend_from_slice(&dir[..nul]);
            return;
        }
        out.extend_from_slice(dir);
        if slash {
            out.push(b'/');
        }
    }
    let empty_base = out.len() == base;
    Normalizer {
        out,
        base,
        end: base + MAX_PATH,
        empty_base,
    }
    .append(path);
}

struct Normalizer<'a> {
    out: &'a mut Vec<u8>,
    /// Where the joined path starts in `out`; nothing before it is ever removed.
    base: usize,
    /// One past the last byte the path may use (libsinsp's buffer end, terminator included).
    end: usize,
    /// Whether nothing came before the appended part (no directory, or an absolute path).
    empty_base: bool,
}

impl Normalizer<'_> {
    fn last(&self) -> Option<u8> {
        (self.out.len() > self.base).then(|| self.out[self.out.len() - 1])
    }

    /// Pushes `c` unless the buffer is full; `false` when full (the path ends there).
    fn push(&mut self, c: u8) -> bool {
        if self.out.len() + 1 >= self.end {
            return false;
        }
        self.out.push(c);
        true
    }

    /// Drops the last component written (back to just after the previous `/`).
    fn rewind(&mut self) {
        let mut tc = self.out.len();
        if tc <= self.base + 1 {
            return;
        }
        tc -= 1;
        while tc > self.base && self.out[tc - 1] != b'/' {
            tc -= 1;
        }
        self.out.truncate(tc);
    }

    fn append(mut self, path: &[u8]) {
        let at = |i: usize| path.get(i).copied().unwrap_or(0);
        let mut pc = 0;
        loop {
            let c = at(pc);
            if c == 0 {
                if self.out.len() > self.base + 1 && self.last() == Some(b'/') {
                    self.out.pop();
                }
                return;
            }
            let at_component_start = self.out.len() == self.base || self.last() == Some(b'/');
            if c == b'.' && at_component_start {
                match (at(pc + 1), at(pc + 2)) {
                    (b'.', b'/') => {
                        self.rewind();
                        pc += 3;
                    }
                    (b'.', 0) => {
                        self.rewind();
                        pc += 2;
                    }
                    (b'/', _) => pc += 2,
                    (0, _) => pc += 1,
                    _ => {
                        if !self.push(c) {
                            return;
                        }
                        pc += 1;
                    }
                }
            } else if c == b'/' {
                let at_start = self.out.len() == self.base;
                if self.last() == Some(b'/') || (at_start && !self.empty_base) {
                    pc += 1;
                } else {
                    if !self.push(c) {
                        return;
                    }
                    pc += 1;
                }
            } else {
                if !self.push(c) {
                    return;
                }
                pc += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(dir: &str, path: &str) -> String {
        let mut o = b"prefix:".to_vec();
        write_joined(&mut o, dir.as_bytes(), false, path.as_bytes());
        String::from_utf8(o[7..].to_vec()).unwrap()
    }

    #[test]
    fn joins() {
        assert_eq!(j("/", "."), "/");
        assert_eq!(j("/home/u/", "foo"), "/home/u/foo");
        assert_eq!(j("/home/u/", "./foo/"), "/home/u/foo");
        assert_eq!(j("/home/u/", "../foo"), "/home/foo");
        assert_eq!(j("/home/u/", "../../../../foo"), "/foo");
        assert_eq!(j("/home/u/", "a//b/./c/.."), "/home/u/a/b");
        assert_eq!(j("/home/u/", ".hidden"), "/home/u/.hidden");
        assert_eq!(j("/home/u/", "..x"), "/home/u/..x");
        assert_eq!(j("/x/", "/etc//passwd/"), "/etc/passwd");
        assert_eq!(j("", "foo/../a"), "a");
        assert_eq!(j("./", "foo"), "./foo");
        assert_eq!(j("/", "/"), "/");
        assert_eq!(j("/a\0b/", "c"), "/a");
        let mut o = Vec::new();
        write_joined(&mut o, b"/tmp", true, b"x/../y");
        assert_eq!(o, b"/tmp/y");
        let long = "a".repeat(1020);
        assert_eq!(j("/home/u/", &long), "/DIR_TOO_LONG/FILENAME_TOO_LONG");
    }
}
