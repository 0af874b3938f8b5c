//! How a parameter's two texts are combined into the caller's buffer.
//!
//! libsinsp renders each parameter as a value text (`3`, `-2`, `4097`) and an optional
//! resolved text (`<f>/etc/passwd`, `ENOENT`, `O_RDONLY|O_CLOEXEC`); an empty resolved text
//! means "none". `evt.args` shows `value(resolved)`, `evt.arg[N]`/`evt.arg.NAME`/`evt.res` show
//! the resolved text when there is one and the value otherwise.

/// Which of a parameter's texts to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// `value(resolved)`, or `value` when nothing resolved: `evt.args`.
    Both,
    /// `resolved`, or `value` when nothing resolved: `evt.arg[N]`, `evt.arg.NAME`, `evt.res`.
    Preferred,
    /// `value` only.
    Value,
}

/// Writes one parameter: first its value text, then (through [`Sink::resolved`]) its
/// resolved text. No allocation beyond the caller's buffer.
pub struct Sink<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    join: Join,
}

impl<'a> Sink<'a> {
    pub fn new(out: &'a mut Vec<u8>, join: Join) -> Self {
        let start = out.len();
        Sink { out, start, join }
    }

    /// The buffer, for writing the value text.
    pub fn out(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Ends the value text and writes the resolved text with `f` (skipped when only the value
    /// is wanted). An empty resolved text counts as none.
    pub fn resolved(self, f: impl FnOnce(&mut Vec<u8>)) {
        if self.join == Join::Value {
            return;
        }
        let value_end = self.out.len();
        if self.join == Join::Both {
            self.out.push(b'(');
        }
        let at = self.out.len();
        f(self.out);
        if self.out.len() == at {
            self.out.truncate(value_end);
            return;
        }
        match self.join {
            Join::Both => self.out.push(b')'),
            _ => {
                self.out.drain(self.start..at);
            }
        }
    }

    /// Replaces whatever was written with `text` and ends the parameter (no resolved text).
    pub fn only(self, text: &[u8]) {
        self.out.truncate(self.start);
        self.out.extend_from_slice(text);
    }
}

/// The bytes of a C string: up to the first NUL (libsinsp prints its texts with `%s`).
pub fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(join: Join, resolved: &[u8]) -> String {
        let mut o = b"x=".to_vec();
        let mut s = Sink::new(&mut o, join);
        s.out().extend_from_slice(b"3");
        s.resolved(|o| o.extend_from_slice(resolved));
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn joins() {
        assert_eq!(run(Join::Both, b"<f>/a"), "x=3(<f>/a)");
        assert_eq!(run(Join::Both, b""), "x=3");
        assert_eq!(run(Join::Preferred, b"<f>/a"), "x=<f>/a");
        assert_eq!(run(Join::Preferred, b""), "x=3");
        assert_eq!(run(Join::Value, b"<f>/a"), "x=3");
    }
}
