//! Raw libscap events and the protect API's `ZoneKernelSyscallEvent` (one event per message,
//! parameters as separate byte strings).
//!
//! [`from_proto`] rebuilds the raw event a zone sent; it is hostile input: the parameter count
//! and the total size are bounded, and the width of the parameter lengths comes from the
//! project's event table for the event type, not from the message's flags.

use crate::control::{ZoneKernelEventParam, ZoneKernelSyscallEvent};
use edera_scap::event::{HEADER_LEN, RawEvent};
use edera_scap::info::event_info;

/// Most parameters an event may have (libscap's events have at most 32).
pub const MAX_PARAMS: usize = 64;
/// Largest raw event rebuilt (libscap's largest events stay far below).
pub const MAX_EVENT_LEN: usize = 1 << 20;

/// Raw event `raw` captured on `cpu` as the API's message for zone `zone_id`; `None` when it
/// does not parse.
pub fn to_proto(zone_id: &str, cpu: u16, raw: &[u8]) -> Option<ZoneKernelSyscallEvent> {
    let ev = RawEvent::parse(raw).ok()?;
    let info = ev.info();
    let params = (0..ev.nparams())
        .map(|i| ZoneKernelEventParam {
            name: info
                .and_then(|inf| inf.params.get(i))
                .map_or(String::new(), |p| p.name.to_string()),
            param_type: info
                .and_then(|inf| inf.params.get(i))
                .map_or(0, |p| p.ptype as u32),
            param_data: ev.param(i).unwrap_or_default().to_vec(),
            ..ZoneKernelEventParam::default()
        })
        .collect();
    Some(ZoneKernelSyscallEvent {
        zone_id: zone_id.to_string(),
        timestamp: ev.header.ts,
        thread_id: ev.header.tid,
        event_length: ev.header.len,
        event_name: info.map_or(String::new(), |i| i.name.to_string()),
        event_category: String::new(),
        event_flags: info.map_or(0, |i| i.flags),
        event_type: u32::from(ev.header.etype),
        cpuid: u32::from(cpu),
        event_params: params,
    })
}

/// Why a message was not turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadEvent {
    #[error("event type {0} is not a libscap event type")]
    Type(u32),
    #[error("{0} parameters (at most {MAX_PARAMS})")]
    Params(usize),
    #[error("event of {0} bytes (at most {MAX_EVENT_LEN})")]
    Size(usize),
    #[error("parameter {0} of {1} bytes does not fit a 16-bit length")]
    ParamLen(usize, usize),
}

/// The raw event a message carries, written to `out` (cleared first); returns its CPU.
pub fn from_proto(e: &ZoneKernelSyscallEvent, out: &mut Vec<u8>) -> Result<u16, BadEvent> {
    let etype = u16::try_from(e.event_type).map_err(|_| BadEvent::Type(e.event_type))?;
    let info = event_info(etype).ok_or(BadEvent::Type(e.event_type))?;
    let n = e.event_params.len();
    if n > MAX_PARAMS {
        return Err(BadEvent::Params(n));
    }
    let large = info.large_payload();
    let width = if large { 4 } else { 2 };
    let data: usize = e.event_params.iter().map(|p| p.param_data.len()).sum();
    let len = HEADER_LEN + width * n + data;
    if len > MAX_EVENT_LEN {
        return Err(BadEvent::Size(len));
    }
    out.clear();
    out.reserve(len);
    out.extend_from_slice(&e.timestamp.to_le_bytes());
    out.extend_from_slice(&e.thread_id.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&etype.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for (i, p) in e.event_params.iter().enumerate() {
        let l = p.param_data.len();
        if large {
            out.extend_from_slice(&(l as u32).to_le_bytes());
        } else {
            let l16 = u16::try_from(l).map_err(|_| BadEvent::ParamLen(i, l))?;
            out.extend_from_slice(&l16.to_le_bytes());
        }
    }
    for p in &e.event_params {
        out.extend_from_slice(&p.param_data);
    }
    Ok(u16::try_from(e.cpuid).unwrap_or(u16::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close_x() -> Vec<u8> {
        // PPME_SYSCALL_CLOSE_X (5): res i64, fd i64.
        let mut v = Vec::new();
        v.extend_from_slice(&42u64.to_le_bytes());
        v.extend_from_slice(&7u64.to_le_bytes());
        v.extend_from_slice(&(26u32 + 4 + 16).to_le_bytes());
        v.extend_from_slice(&5u16.to_le_bytes());
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&8u16.to_le_bytes());
        v.extend_from_slice(&8u16.to_le_bytes());
        v.extend_from_slice(&0i64.to_le_bytes());
        v.extend_from_slice(&3i64.to_le_bytes());
        v
    }

    #[test]
    fn events_round_trip() {
        let raw = close_x();
        let m = to_proto("zone-a", 1, &raw).unwrap();
        assert_eq!(
            (
                m.event_name.as_str(),
                m.event_params.len(),
                m.event_params[1].name.as_str()
            ),
            ("close", 2, "fd")
        );
        let mut back = Vec::new();
        assert_eq!(from_proto(&m, &mut back), Ok(1));
        assert_eq!(back, raw);
    }

    #[test]
    fn hostile_messages_are_refused() {
        let mut m = to_proto("z", 0, &close_x()).unwrap();
        let mut out = Vec::new();
        m.event_type = 60_000;
        assert_eq!(from_proto(&m, &mut out), Err(BadEvent::Type(60_000)));
        m.event_type = 5;
        m.event_params[0].param_data = vec![0; 70_000];
        assert_eq!(from_proto(&m, &mut out), Err(BadEvent::ParamLen(0, 70_000)));
        m.event_params = vec![ZoneKernelEventParam::default(); 100];
        assert_eq!(from_proto(&m, &mut out), Err(BadEvent::Params(100)));
    }
}
