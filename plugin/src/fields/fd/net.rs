//! Addresses, ports and networks of ip socket fds.
//!
//! Client and server come from the socket's tuple (source = client, destination = server) once
//! the socket has a role; a listening socket has only its bound address, which counts as the
//! server side. Local/remote split the tuple by whether the client address belongs to one of the
//! zone's interfaces. The `*.name` fields would need DNS resolution, which the plugin does not
//! do: they never have a value.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use falco_plugin::anyhow;

use super::{View, text, with_entry};
use crate::fields::ctx::Req;
use crate::fields::types::IpNet;
use crate::plugin::EderaPlugin;
use crate::state::{FdInfo, FdType};

/// The two ends of a connected ip socket's tuple: (client, server) addresses and ports.
fn tuple(f: &FdInfo) -> Option<((IpAddr, u16), (IpAddr, u16))> {
    let s = &f.sock;
    match f.fd_type() {
        FdType::Ipv4Sock => Some((
            (IpAddr::V4(Ipv4Addr::from(s.v4_sip())), s.v4_sport()),
            (IpAddr::V4(Ipv4Addr::from(s.v4_dip())), s.v4_dport()),
        )),
        FdType::Ipv6Sock => Some((
            (IpAddr::V6(Ipv6Addr::from(s.v6_sip())), s.v6_sport()),
            (IpAddr::V6(Ipv6Addr::from(s.v6_dip())), s.v6_dport()),
        )),
        _ => None,
    }
}

/// The bound address and port of a listening socket.
fn listening(f: &FdInfo) -> Option<(IpAddr, u16)> {
    let s = &f.sock;
    match f.fd_type() {
        FdType::Ipv4ServSock => Some((IpAddr::V4(Ipv4Addr::from(s.v4srv_ip())), s.v4srv_port())),
        FdType::Ipv6ServSock => Some((IpAddr::V6(Ipv6Addr::from(s.v6srv_ip())), s.v6srv_port())),
        _ => None,
    }
}

/// The client end of a socket with a role.
fn client(f: &FdInfo) -> Option<(IpAddr, u16)> {
    if f.is_role_none() {
        return None;
    }
    Some(tuple(f)?.0)
}

/// The server end: a connected socket's destination (once it has a role), a listening socket's
/// bound address.
fn server(f: &FdInfo) -> Option<(IpAddr, u16)> {
    if let Some(l) = listening(f) {
        return Some(l);
    }
    if f.is_role_none() {
        return None;
    }
    Some(tuple(f)?.1)
}

/// (local, remote) ends of a connected socket with a role: the client is local when its
/// address is one of the zone's.
fn local_remote(v: &View<'_>, f: &FdInfo) -> Option<((IpAddr, u16), (IpAddr, u16))> {
    if f.is_role_none() {
        return None;
    }
    let (c, s) = tuple(f)?;
    let local = match f.fd_type() {
        FdType::Ipv4Sock => v.s.ifaces.is_local_v4(f.sock.v4_sip()),
        _ => v.s.ifaces.is_local_v6(f.sock.v6_sip()),
    };
    Some(if local { (c, s) } else { (s, c) })
}

fn port_text(port: u16) -> Option<CString> {
    text(port.to_string())
}

/// `fd.cip`.
pub fn cip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpAddr>> {
    with_entry(p, &req, |_, f| Some(client(f)?.0))
}

/// `fd.sip`.
pub fn sip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpAddr>> {
    with_entry(p, &req, |_, f| Some(server_with_role(f)?.0))
}

/// libsinsp asks for a role before looking at the type for `fd.sip`/`fd.snet`, so a listening
/// socket without one has no server address there (it still has a server port).
fn server_with_role(f: &FdInfo) -> Option<(IpAddr, u16)> {
    if f.is_role_none() {
        return None;
    }
    server(f)
}

/// `fd.lip`.
pub fn lip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpAddr>> {
    with_entry(p, &req, |v, f| Some(local_remote(v, f)?.0.0))
}

/// `fd.rip`.
pub fn rip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpAddr>> {
    with_entry(p, &req, |v, f| Some(local_remote(v, f)?.1.0))
}

/// `fd.ip`: the server address (libsinsp: filter-only, either end).
pub fn ip(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpAddr>> {
    with_entry(p, &req, |_, f| Some(server(f)?.0))
}

/// `fd.cport`.
pub fn cport(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |_, f| Some(u64::from(client(f)?.1)))
}

/// `fd.sport`.
pub fn sport(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |_, f| Some(u64::from(server(f)?.1)))
}

/// `fd.lport`.
pub fn lport(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |v, f| Some(u64::from(local_remote(v, f)?.0.1)))
}

/// `fd.rport`.
pub fn rport(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |v, f| Some(u64::from(local_remote(v, f)?.1.1)))
}

/// `fd.port`: the server port (libsinsp: filter-only, either end).
pub fn port(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    sport(p, req)
}

/// `fd.proto`: as `fd.port`.
pub fn proto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    sport(p, req)
}

/// `fd.cproto`: the client port as text; empty for sockets with a role but no tuple.
pub fn cproto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| {
        if f.is_role_none() {
            return None;
        }
        match tuple(f) {
            Some((c, _)) => port_text(c.1),
            None => text(""),
        }
    })
}

/// `fd.sproto`: the server port of a connected socket as text; empty for a listening one.
pub fn sproto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| {
        if listening(f).is_some() {
            return text("");
        }
        port_text(server(f)?.1)
    })
}

/// `fd.lproto`.
pub fn lproto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |v, f| port_text(local_remote(v, f)?.0.1))
}

/// `fd.rproto`.
pub fn rproto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |v, f| port_text(local_remote(v, f)?.1.1))
}

/// `fd.net`: the server address, as a network (libsinsp: filter-only, either end).
pub fn net(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpNet>> {
    with_entry(p, &req, |_, f| Some(IpNet(server(f)?.0)))
}

/// `fd.cnet`.
pub fn cnet(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpNet>> {
    with_entry(p, &req, |_, f| Some(IpNet(client(f)?.0)))
}

/// `fd.snet`.
pub fn snet(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpNet>> {
    with_entry(p, &req, |_, f| Some(IpNet(server_with_role(f)?.0)))
}

/// `fd.lnet`.
pub fn lnet(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpNet>> {
    with_entry(p, &req, |v, f| Some(IpNet(local_remote(v, f)?.0.0)))
}

/// `fd.rnet`.
pub fn rnet(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<IpNet>> {
    with_entry(p, &req, |v, f| Some(IpNet(local_remote(v, f)?.1.0)))
}

/// `fd.cip.name`: no DNS resolution, no value.
pub fn cip_name(_: &mut EderaPlugin, _: Req) -> anyhow::Result<Option<CString>> {
    Ok(None)
}

/// `fd.sip.name`: no DNS resolution, no value.
pub fn sip_name(_: &mut EderaPlugin, _: Req) -> anyhow::Result<Option<CString>> {
    Ok(None)
}

/// `fd.lip.name`: no DNS resolution, no value.
pub fn lip_name(_: &mut EderaPlugin, _: Req) -> anyhow::Result<Option<CString>> {
    Ok(None)
}

/// `fd.rip.name`: no DNS resolution, no value.
pub fn rip_name(_: &mut EderaPlugin, _: Req) -> anyhow::Result<Option<CString>> {
    Ok(None)
}
