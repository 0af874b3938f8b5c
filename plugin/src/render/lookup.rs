//! What rendering needs from the per-zone state, as a trait the state implements.
//!
//! libsinsp resolves parameters against its tables at extraction time (after the event has been
//! parsed): fds against the event thread's fd table, pids against the thread table, uids and gids
//! against the user and group tables, relative paths against the thread's cwd or a directory fd.
//! Every method answers for the event being rendered: "the thread" is the event's thread.

/// One entry of the event thread's fd table, as `render_fd` shows it: `<{typechar}{proto}>{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdRef<'a> {
    /// libsinsp's fd type character (`f`, `d`, `4`, `6`, `u`, `p`, `e`, `s`, `l`, `i`, `t`,
    /// `b`, `r`, `n`, `o`, `m`, `P`, ...): `fd.typechar`.
    pub typechar: u8,
    /// For ipv4/ipv6 sockets and server sockets only: `t` (tcp), `u` (udp), `i` (icmp) or `r`
    /// (raw); `None` for other fds and for sockets of unknown protocol.
    pub proto: Option<u8>,
    /// `fd.name` (may be empty, as for a socket that is not connected yet).
    pub name: &'a [u8],
}

/// Read access to the state a rendering consults. All methods have "unknown" defaults, so an
/// implementor provides what it has.
pub trait Lookup {
    /// Whether the event's thread is in the thread table. libsinsp shows only the bare number
    /// for fds of events without a thread (no `AT_FDCWD`, no errno name, no fd name), and does
    /// not resolve relative paths.
    fn has_thread(&self) -> bool {
        false
    }

    /// The fd `fd` of the event's thread (its thread-group leader's table).
    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        let _ = fd;
        None
    }

    /// `comm` of the thread `tid`, when the thread table has it (used for `PT_PID` values).
    fn comm(&self, tid: i64) -> Option<&[u8]> {
        let _ = tid;
        None
    }

    /// The user name of `uid` in the event thread's user namespace (container), if known.
    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        let _ = uid;
        None
    }

    /// The group name of `gid`, if known.
    fn group_name(&self, gid: u32) -> Option<&[u8]> {
        let _ = gid;
        None
    }

    /// The cwd of the event thread's process, as libsinsp stores it (with a trailing `/`).
    /// `None` when the process leader is unknown; libsinsp then uses `./`.
    fn cwd(&self) -> Option<&[u8]> {
        None
    }
}

/// A lookup that knows nothing: the rendering of an event without a thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoState;

impl Lookup for NoState {}
