//! Linux signal names, as libsinsp names `PT_SIGTYPE` values and the bits of `PT_SIGSET`.
//! libsinsp names the classic signals 1..=31 only (no real-time signals).

const NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The name of signal `sig`, if libsinsp has one.
pub fn signal_name(sig: u8) -> Option<&'static str> {
    NAMES.get(usize::from(sig).checked_sub(1)?).copied()
}

/// A signal mask as libsinsp prints it: the names of the set bits (bit `n` is signal `n + 1`),
/// lowest first, separated by spaces; bits without a name are left out.
pub fn write_sigset(out: &mut Vec<u8>, mask: u32) {
    let mut first = true;
    for bit in 0..32u8 {
        if mask & (1 << bit) == 0 {
            continue;
        }
        if let Some(name) = signal_name(bit + 1) {
            if !first {
                out.push(b' ');
            }
            out.extend_from_slice(name.as_bytes());
            first = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(1), Some("SIGHUP"));
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(29), Some("SIGIO"));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        assert_eq!(signal_name(32), None);
        assert_eq!(signal_name(255), None);
    }

    #[test]
    fn sigsets() {
        let mut v = Vec::new();
        write_sigset(&mut v, 0);
        assert_eq!(v, b"");
        write_sigset(&mut v, (1 << 1) | (1 << 8) | (1 << 31));
        assert_eq!(v, b"SIGINT SIGKILL");
    }
}
