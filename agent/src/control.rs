//! The control input of a streaming agent (`edera-falco-agent stream`): one [`Request`] per line
//! on its standard input, written by whoever holds the other end of the link (the stand-in
//! daemon). `Display` writes a request's line (without the newline) and `FromStr` reads one:
//!
//! - `snapshot`: write a fresh snapshot into the stream;
//! - `syscalls NAME,NAME,...`: capture these syscalls from now on; `syscalls` alone: every
//!   syscall. Syscall names never contain commas or white space.

use std::fmt;
use std::str::FromStr;

/// A request to a running capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Capture these syscalls from now on (empty: every syscall).
    Syscalls(Vec<String>),
    /// Write a fresh snapshot into the stream: a new section (section header, process list,
    /// fd lists, users) ended by a machine block, then events go on.
    Snapshot,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Snapshot => f.write_str("snapshot"),
            Request::Syscalls(names) if names.is_empty() => f.write_str("syscalls"),
            Request::Syscalls(names) => write!(f, "syscalls {}", names.join(",")),
        }
    }
}

/// A line that is not a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a control request: `{0}`")]
pub struct BadRequest(pub String);

impl FromStr for Request {
    type Err = BadRequest;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["snapshot"] => Ok(Request::Snapshot),
            ["syscalls"] => Ok(Request::Syscalls(Vec::new())),
            ["syscalls", list] => Ok(Request::Syscalls(
                list.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            )),
            _ => Err(BadRequest(line.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_lines() {
        let requests = [
            Request::Snapshot,
            Request::Syscalls(Vec::new()),
            Request::Syscalls(vec!["openat".into()]),
            Request::Syscalls(vec!["openat".into(), "execve".into(), "clone3".into()]),
        ];
        for request in requests {
            let line = request.to_string();
            assert_eq!(line.parse::<Request>(), Ok(request), "line `{line}`");
        }
    }

    #[test]
    fn the_lines_are_the_documented_ones() {
        assert_eq!(Request::Snapshot.to_string(), "snapshot");
        assert_eq!(Request::Syscalls(Vec::new()).to_string(), "syscalls");
        let two = Request::Syscalls(vec!["read".into(), "write".into()]);
        assert_eq!(two.to_string(), "syscalls read,write");
        // Surrounding white space and empty list items are tolerated.
        assert_eq!(" syscalls read,,write, \n".parse(), Ok(two));
        assert_eq!("syscalls ".parse(), Ok(Request::Syscalls(Vec::new())));
    }

    #[test]
    fn other_lines_are_refused() {
        for line in [
            "",
            "snap",
            "snapshot now",
            "syscallsread",
            "syscalls read write",
            "SNAPSHOT",
        ] {
            assert_eq!(
                line.parse::<Request>(),
                Err(BadRequest(line.to_owned())),
                "line `{line}`"
            );
        }
    }
}
