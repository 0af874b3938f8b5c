//! The state as the renderer's [`Lookup`]: what `evt.args` and `evt.arg.*` resolve against
//! (fd names, thread names, user and group names, the cwd), for the last applied event.

use super::ZoneState;
use super::fd::{FdType, l4};
use crate::render::{FdRef, Lookup};

/// [`Lookup`] over a zone's state, answering for its last applied event.
#[derive(Debug, Clone, Copy)]
pub struct StateLookup<'a>(pub &'a ZoneState);

impl Lookup for StateLookup<'_> {
    fn has_thread(&self) -> bool {
        self.0.event_thread().is_some()
    }

    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        let z = self.0;
        let f = z.threads.get_fd(z.event_tid()?, fd)?;
        let ip = matches!(
            f.fd_type(),
            FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock
        );
        let proto = match f.l4proto() {
            l4::TCP => Some(b't'),
            l4::UDP => Some(b'u'),
            l4::ICMP => Some(b'i'),
            l4::RAW => Some(b'r'),
            _ => None,
        };
        Some(FdRef {
            typechar: f.typechar,
            proto: proto.filter(|_| ip),
            name: &f.name,
        })
    }

    fn comm(&self, tid: i64) -> Option<&[u8]> {
        self.0.thread(tid).map(|t| t.comm.as_slice())
    }

    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        self.0.user(uid).map(|u| u.name.as_slice())
    }

    fn group_name(&self, gid: u32) -> Option<&[u8]> {
        self.0.group(gid).map(|g| g.name.as_slice())
    }

    fn cwd(&self) -> Option<&[u8]> {
        let z = self.0;
        z.process_of(z.event_tid()?).map(|m| m.cwd.as_slice())
    }
}

/// The zone state when it answers for the event being rendered, else nothing.
impl<L: Lookup> Lookup for Option<L> {
    fn has_thread(&self) -> bool {
        self.as_ref().is_some_and(Lookup::has_thread)
    }

    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        self.as_ref()?.fd(fd)
    }

    fn comm(&self, tid: i64) -> Option<&[u8]> {
        self.as_ref()?.comm(tid)
    }

    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        self.as_ref()?.user_name(uid)
    }

    fn group_name(&self, gid: u32) -> Option<&[u8]> {
        self.as_ref()?.group_name(gid)
    }

    fn cwd(&self) -> Option<&[u8]> {
        self.as_ref()?.cwd()
    }
}
