//! I/O classification (`evt.is_io*`, `evt.io_dir`, `evt.is_wait`, `evt.is_syslog`), buffer
//! lengths (`evt.buflen*`) and error counts (`evt.count.error*`).
//!
//! The flags come from the event table; the fd is the one the parser attached to the event
//! ([`super::attached_fd`]). A buffer length is the call's non-negative return value, only for
//! exit events of an I/O category on a known fd.

use std::ffi::CString;

use edera_scap::tables::{EventCode as C, ec, ef};
use falco_plugin::anyhow;

use super::super::ctx::{Ctx, Req, with_event};
use super::super::value::text;
use super::{attached_fd, category_of};
use crate::plugin::EderaPlugin;
use crate::render;
use crate::state::{FdInfo, FdType};

/// The name of an I/O event's category after its fd: `file`, `net`, `ipc`, or `unknown`
/// (no fd, or an fd of another kind).
pub(super) fn subcategory(fd: Option<&FdInfo>) -> &'static str {
    let Some(f) = fd else {
        return "unknown";
    };
    match f.fd_type() {
        FdType::File | FdType::FileV2 | FdType::Directory => "file",
        FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock => "net",
        FdType::Fifo
        | FdType::UnixSock
        | FdType::Event
        | FdType::Signalfd
        | FdType::Inotify
        | FdType::Userfaultfd => "ipc",
        _ => "unknown",
    }
}

/// The event table's flags of the event.
fn flags(c: &Ctx<'_, '_>) -> Option<u32> {
    Some(c.raw.info()?.flags)
}

/// A bool from the event's table flags.
fn flag_test(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    test: fn(u32) -> bool,
) -> anyhow::Result<Option<bool>> {
    with_event(p, req, |c| Some(flags(c).is_some_and(test)))
}

/// `evt.is_io`.
pub fn is_io(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    flag_test(p, &req, |f| f & (ef::READS_FROM_FD | ef::WRITES_TO_FD) != 0)
}

/// `evt.is_io_read`.
pub fn is_io_read(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    flag_test(p, &req, |f| f & ef::READS_FROM_FD != 0)
}

/// `evt.is_io_write`.
pub fn is_io_write(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    flag_test(p, &req, |f| f & ef::WRITES_TO_FD != 0)
}

/// `evt.is_wait`.
pub fn is_wait(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    flag_test(p, &req, |f| f & ef::WAITS != 0)
}

/// `evt.io_dir`: `write` wins over `read`; no value for other events.
pub fn io_dir(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let f = flags(c)?;
        if f & ef::WRITES_TO_FD != 0 {
            text("write")
        } else if f & ef::READS_FROM_FD != 0 {
            text("read")
        } else {
            None
        }
    })
}

/// `evt.is_syslog`: a write to an fd whose name contains `/dev/log`.
pub fn is_syslog(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_event(p, &req, |c| {
        let writes = flags(c).is_some_and(|f| f & ef::WRITES_TO_FD != 0);
        let syslog = |f: &FdInfo| f.name.windows(8).any(|w| w == b"/dev/log");
        Some(writes && attached_fd(c).is_some_and(syslog))
    })
}

/// Which events a buffer length field covers: the category test and the fd type test.
struct BufSel {
    cat: fn(u32) -> bool,
    fd: fn(FdType) -> bool,
}

fn any_io(cat: u32) -> bool {
    cat & ec::IO_BASE != 0
}
fn io_read(cat: u32) -> bool {
    cat == ec::IO_READ
}
fn io_write(cat: u32) -> bool {
    cat == ec::IO_WRITE
}
fn any_fd(_: FdType) -> bool {
    true
}
fn file_fd(t: FdType) -> bool {
    matches!(t, FdType::File | FdType::FileV2)
}
fn net_fd(t: FdType) -> bool {
    matches!(
        t,
        FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock
    )
}

/// The event's buffer length when `sel` covers it: the non-negative return value of an exit
/// event with an attached fd.
fn buflen_of(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    sel: BufSel,
) -> anyhow::Result<Option<u64>> {
    with_event(p, req, |c| {
        let fd = attached_fd(c)?;
        if !(sel.cat)(category_of(c)?) || !(sel.fd)(fd.fd_type()) {
            return None;
        }
        u64::try_from(render::return_value(&c.raw)?).ok()
    })
}

macro_rules! buflen_fields {
    ($($(#[$doc:meta])* $name:ident: $cat:ident, $fd:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
            buflen_of(p, &req, BufSel { cat: $cat, fd: $fd })
        }
    )*};
}

buflen_fields! {
    /// `evt.buflen`.
    buflen: any_io, any_fd;
    /// `evt.buflen.in`.
    buflen_in: io_read, any_fd;
    /// `evt.buflen.out`.
    buflen_out: io_write, any_fd;
    /// `evt.buflen.file`.
    buflen_file: any_io, file_fd;
    /// `evt.buflen.file.in`.
    buflen_file_in: io_read, file_fd;
    /// `evt.buflen.file.out`.
    buflen_file_out: io_write, file_fd;
    /// `evt.buflen.net`.
    buflen_net: any_io, net_fd;
    /// `evt.buflen.net.in`.
    buflen_net_in: io_read, net_fd;
    /// `evt.buflen.net.out`.
    buflen_net_out: io_write, net_fd;
}

/// Which error count an event belongs to, if any besides the plain one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    File,
    Net,
    Memory,
    Other,
}

/// The error counts that cover the event. libsinsp decides file/net by the fd when there is
/// one (so an I/O event on a file fd counts as file even in the memory category), by the event
/// type otherwise; memory by the category, independently; other is what file, net and (without
/// an fd) memory leave.
fn covers(c: &Ctx<'_, '_>, kind: ErrorKind) -> bool {
    let memory = category_of(c) == Some(ec::MEMORY);
    let code = C::from_u16(c.raw.header.etype);
    let by_type_file = matches!(
        code,
        Some(
            C::SyscallOpenX
                | C::SyscallCreatX
                | C::SyscallOpenatV2X
                | C::SyscallOpenat2X
                | C::SyscallOpenByHandleAtX
        )
    );
    let by_type_net = matches!(
        code,
        Some(C::SocketAcceptV5X | C::SocketAccept4V6X | C::SocketConnectX)
    );
    let (file, net) = match attached_fd(c) {
        Some(f) => (
            matches!(
                f.fd_type(),
                FdType::File | FdType::FileV2 | FdType::Directory
            ),
            net_fd(f.fd_type()) || f.fd_type() == FdType::UnixSock,
        ),
        None => (by_type_file, by_type_net),
    };
    match kind {
        ErrorKind::File => file,
        ErrorKind::Net => net,
        ErrorKind::Memory => memory,
        ErrorKind::Other => match attached_fd(c) {
            Some(_) => !file && !net,
            None => !file && !net && !memory,
        },
    }
}

/// 1 when the call failed, 0 when it succeeded, no value without a return value.
fn error_count(c: &Ctx<'_, '_>) -> Option<u64> {
    render::failed(&c.raw).map(u64::from)
}

fn count_error_kind(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    kind: ErrorKind,
) -> anyhow::Result<Option<u64>> {
    with_event(p, req, |c| {
        if covers(c, kind) {
            error_count(c)
        } else {
            None
        }
    })
}

/// `evt.count.error`.
pub fn count_error(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, error_count)
}

/// `evt.count.error.file`.
pub fn count_error_file(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    count_error_kind(p, &req, ErrorKind::File)
}

/// `evt.count.error.net`.
pub fn count_error_net(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    count_error_kind(p, &req, ErrorKind::Net)
}

/// `evt.count.error.memory`.
pub fn count_error_memory(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    count_error_kind(p, &req, ErrorKind::Memory)
}

/// `evt.count.error.other`.
pub fn count_error_other(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    count_error_kind(p, &req, ErrorKind::Other)
}
