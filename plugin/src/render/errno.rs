//! Linux errno names, as libsinsp names a negative return value (`-2` is `ENOENT`).
//!
//! The set is libsinsp's: the generic Linux codes 1..=125 (41 and 58 have no name of their own:
//! they are the aliases `EWOULDBLOCK` and `EDEADLOCK`), and the kernel-internal codes 512..=516
//! and 521..=530 that can leak out of a syscall (`ERESTARTSYS`, `ENOTSUPP`, ...). Anything else
//! has no name, and libsinsp then shows the bare number.

/// Names of codes 1..=125, indexed by `code - 1`; empty where the code has no name.
const LOW: [&str; 125] = [
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
];

/// Kernel-internal codes from 512, indexed by `code - 512`; empty where unnamed (517..=520).
const KERNEL: [&str; 19] = [
    "ERESTARTSYS",
    "ERESTARTNOINTR",
    "ERESTARTNOHAND",
    "ENOIOCTLCMD",
    "ERESTART_RESTARTBLOCK",
    "",
    "",
    "",
    "",
    "EBADHANDLE",
    "ENOTSYNC",
    "EBADCOOKIE",
    "ENOTSUPP",
    "ETOOSMALL",
    "ESERVERFAULT",
    "EBADTYPE",
    "EJUKEBOX",
    "EIOCBQUEUED",
    "EIOCBRETRY",
];

/// The name of the error a syscall returned as `value` (negative), e.g. `-2` → `ENOENT`.
///
/// libsinsp first truncates the value to 32 bits and negates it; so does this (`-2` and
/// `0xffff_fffe` both name `ENOENT`). `None` when the code has no name (libsinsp's empty string).
pub fn errno_name(value: i64) -> Option<&'static str> {
    let code = (value as i32).wrapping_neg();
    let name = match code {
        1..=125 => LOW[(code - 1) as usize],
        512..=530 => KERNEL[(code - 512) as usize],
        _ => "",
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::errno_name;

    #[test]
    fn names() {
        assert_eq!(errno_name(-1), Some("EPERM"));
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(-11), Some("EAGAIN"));
        assert_eq!(errno_name(-40), Some("ELOOP"));
        assert_eq!(errno_name(-41), None);
        assert_eq!(errno_name(-42), Some("ENOMSG"));
        assert_eq!(errno_name(-57), Some("EBADSLT"));
        assert_eq!(errno_name(-58), None);
        assert_eq!(errno_name(-59), Some("EBFONT"));
        assert_eq!(errno_name(-110), Some("ETIMEDOUT"));
        assert_eq!(errno_name(-115), Some("EINPROGRESS"));
        assert_eq!(errno_name(-125), Some("ECANCELED"));
        assert_eq!(errno_name(-126), None);
        assert_eq!(errno_name(-512), Some("ERESTARTSYS"));
        assert_eq!(errno_name(-514), Some("ERESTARTNOHAND"));
        assert_eq!(errno_name(-516), Some("ERESTART_RESTARTBLOCK"));
        assert_eq!(errno_name(-517), None);
        assert_eq!(errno_name(-521), Some("EBADHANDLE"));
        assert_eq!(errno_name(-524), Some("ENOTSUPP"));
        assert_eq!(errno_name(-530), Some("EIOCBRETRY"));
        assert_eq!(errno_name(-531), None);
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(2), None);
        assert_eq!(errno_name(i64::MIN), None);
        assert_eq!(errno_name(i64::from(i32::MIN)), None);
        // Truncated to 32 bits first, as libsinsp does.
        assert_eq!(errno_name(0xffff_fffe), Some("ENOENT"));
    }
}
