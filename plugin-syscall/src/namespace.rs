//! Thread and process ids namespaced per zone, so that many zones share libsinsp's one thread
//! table: every global id `n > 0` an event carries becomes `zone << 32 | n` (as Falco's former
//! gVisor engine did for sandboxes), in the header's `tid` and in every parameter the schema
//! types `PT_PID`. The pid-namespace-local ids (`vtid`, `vpid`, `vpgid`, `vtgid`) stay the zone's
//! own: libsinsp shows them as `thread.vtid`, `proc.vpid`. Ids `<= 0` (none, errors, the child's
//! side of a fork) are left as they are.
//!
//! Which parameters to rewrite comes from the event table ([`plan`]), not from a list here. An
//! event whose layout has a global id in a 32-bit `PT_PID32` cannot carry the zone and is refused.
//! Zone bytes are untrusted: an event is checked whole (header, lengths, id widths, ids that do
//! not fit 32 bits), and a bad one is refused whole, with the reason. A zone's async and plugin
//! events are refused: the first are the plugin's own markers ([`crate::marker`]), the second
//! libscap refuses from a syscall source.

use crate::marker;
use edera_scap::event::{EventError, HEADER_LEN, RawEvent};
use edera_scap::info::{EventInfo, ParamType};
use edera_scap::tables::EVENTS;
use falco_plugin::event::events::EventToBytes;
use std::io::Write;
use std::sync::OnceLock;

/// Byte offset of the header's `tid`.
const TID_OFFSET: usize = 8;
/// `PPME_PLUGINEVENT_E`, which libscap refuses with plugin id 0 (ending Falco's capture).
const PLUGIN_EVENT: u16 = 322;

/// Why an event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Malformed(#[from] EventError),
    #[error("event type {0} is not in the event table")]
    UnknownType(u16),
    #[error("event type {0} has a global id in a 32-bit parameter")]
    NoRoomForZone(u16),
    #[error("id parameter {param} of event type {etype} is {len} bytes, not 8")]
    IdWidth {
        etype: u16,
        param: usize,
        len: usize,
    },
    #[error("id {0} does not fit 32 bits")]
    IdTooLarge(i64),
    #[error("event type {0} is the plugin's to emit (async and plugin events), not a zone's")]
    Reserved(u16),
    #[error("zone number {0} does not fit 31 bits")]
    ZoneTooLarge(u32),
}

/// What to rewrite in the events of one type.
#[derive(Debug, Default)]
enum Plan {
    /// Parameter indices holding global ids (8 bytes each).
    Ids(Vec<u8>),
    /// A global id in a `PT_PID32` parameter: no room for the zone.
    #[default]
    Refuse,
}

/// Whether a `PT_PID` parameter name is an id of the zone's own pid namespace.
fn is_namespace_local(name: &str) -> bool {
    matches!(name, "vtid" | "vpid" | "vpgid" | "vtgid")
}

fn plan_of(info: &EventInfo) -> Plan {
    let mut ids = Vec::new();
    for (i, p) in info.params.iter().enumerate() {
        if is_namespace_local(p.name) {
            continue;
        }
        match p.ptype {
            ParamType::Pid => match u8::try_from(i) {
                Ok(i) => ids.push(i),
                Err(_) => return Plan::Refuse,
            },
            ParamType::Pid32 => return Plan::Refuse,
            _ => {}
        }
    }
    Plan::Ids(ids)
}

/// The rewrite plan of every event type, built from the event table on first use.
fn plan(etype: u16) -> Option<&'static Plan> {
    static PLANS: OnceLock<Vec<Plan>> = OnceLock::new();
    PLANS
        .get_or_init(|| EVENTS.iter().map(plan_of).collect())
        .get(usize::from(etype))
}

/// The id `raw` (a `PT_PID` value, or the header's tid) of zone `zone` as libsinsp sees it.
pub(crate) fn namespaced(raw: i64, zone: u64) -> Result<i64, Refused> {
    if raw > i64::from(u32::MAX) {
        return Err(Refused::IdTooLarge(raw));
    }
    Ok(in_zone(raw, zone))
}

/// The id `raw`, known not to exceed 32 bits, of zone `zone` (< 2^31, so the result is
/// positive when `raw` is).
fn in_zone(raw: i64, zone: u64) -> i64 {
    if raw <= 0 {
        raw
    } else {
        (zone << 32 | raw as u64) as i64
    }
}

/// The zone number a namespaced id carries (0: not a zone's).
pub fn zone_of(id: i64) -> u32 {
    if id <= 0 { 0 } else { (id >> 32) as u32 }
}

/// One zone event, checked whole, to be written in its zone's namespace: the event is copied
/// once, its timestamp, tid and ids replaced on the way ([`EventToBytes`], e.g. into the SDK's
/// batch). Scalars and slices only, so that it need not be copied through memory.
#[derive(Debug)]
pub struct Namespaced<'a> {
    ev: RawEvent<'a>,
    /// The event, exactly `len` bytes.
    raw: &'a [u8],
    zone: u64,
    /// The timestamp written.
    pub ts: u64,
    /// Indices of the parameters holding global ids (8 bytes or empty, checked to fit 32 bits).
    ids: &'static [u8],
}

impl Namespaced<'_> {
    /// The id at `offset` of `raw` (checked to be there) in the zone's namespace.
    fn id_at(&self, offset: usize) -> [u8; 8] {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.raw[offset..offset + 8]);
        in_zone(i64::from_le_bytes(bytes), self.zone).to_le_bytes()
    }
}

// By reference: the SDK takes the event by value, and a copy of it costs more than the pointer.
impl EventToBytes for &Namespaced<'_> {
    fn binary_size(&self) -> usize {
        self.raw.len()
    }

    fn write<W: Write>(&self, mut writer: W) -> std::io::Result<()> {
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(&self.raw[..HEADER_LEN]);
        header[..8].copy_from_slice(&self.ts.to_le_bytes());
        header[TID_OFFSET..TID_OFFSET + 8].copy_from_slice(&self.id_at(TID_OFFSET));
        writer.write_all(&header)?;
        let mut at = HEADER_LEN;
        for &i in self.ids {
            let Some(bytes) = self.ev.param(usize::from(i)).filter(|b| b.len() == 8) else {
                continue;
            };
            // `bytes` lies within `raw` (the event borrows it), after the header.
            let offset = bytes.as_ptr() as usize - self.raw.as_ptr() as usize;
            writer.write_all(&self.raw[at..offset])?;
            writer.write_all(&self.id_at(offset))?;
            at = offset + 8;
        }
        writer.write_all(&self.raw[at..])
    }
}

/// Checks `raw` (one whole event) and prepares it in zone `zone`'s namespace (`zone` >= 1; 0
/// would leave the ids as they are), its timestamp replaced by `ts` when given.
#[inline]
pub fn namespace(raw: &[u8], zone: u32, ts: Option<u64>) -> Result<Namespaced<'_>, Refused> {
    if zone > i32::MAX as u32 {
        return Err(Refused::ZoneTooLarge(zone));
    }
    let ev = RawEvent::parse(raw)?;
    let etype = ev.header.etype;
    if matches!(etype, marker::ASYNC_EVENT | PLUGIN_EVENT) {
        return Err(Refused::Reserved(etype));
    }
    let ids = match plan(etype) {
        Some(Plan::Ids(ids)) => ids,
        Some(Plan::Refuse) => return Err(Refused::NoRoomForZone(etype)),
        None => return Err(Refused::UnknownType(etype)),
    };
    let zone = u64::from(zone);
    namespaced(ev.header.tid as i64, zone)?;
    for &i in ids {
        let i = usize::from(i);
        // Older layouts are prefixes of the current one: a missing parameter is not an error.
        let Some(bytes) = ev.param(i) else { continue };
        if bytes.is_empty() {
            continue;
        }
        let value = <[u8; 8]>::try_from(bytes).map_err(|_| Refused::IdWidth {
            etype,
            param: i,
            len: bytes.len(),
        })?;
        namespaced(i64::from_le_bytes(value), zone)?;
    }
    Ok(Namespaced {
        ev,
        raw: &raw[..ev.header.len as usize],
        zone,
        ts: ts.unwrap_or(ev.header.ts),
        ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::event::EventHeader;
    use edera_scap::info::event_info;

    /// An event of type `id` (by upstream name) with 8-byte parameters `values`, tid `tid`.
    fn event(id: &str, tid: u64, values: &[i64]) -> (u16, Vec<u8>) {
        let info = EVENTS.iter().find(|e| e.id == id).unwrap();
        assert!(!info.large_payload());
        let mut out = vec![0u8; HEADER_LEN];
        for _ in values {
            out.extend_from_slice(&8u16.to_le_bytes());
        }
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let header = EventHeader {
            ts: 1,
            tid,
            len: out.len() as u32,
            etype: info.code,
            nparams: values.len() as u32,
        };
        header.write((&mut out[..HEADER_LEN]).try_into().unwrap());
        (info.code, out)
    }

    /// The bytes [`namespace`] writes for `raw` in zone `zone`.
    fn rewrite(raw: &[u8], zone: u32) -> Result<Vec<u8>, Refused> {
        let ev = namespace(raw, zone, None)?;
        let mut out = Vec::new();
        (&ev).write(&mut out).unwrap();
        assert_eq!(out.len(), (&ev).binary_size());
        Ok(out)
    }

    fn param(bytes: &[u8], i: usize) -> i64 {
        i64::from_le_bytes(
            RawEvent::parse(bytes)
                .unwrap()
                .param(i)
                .unwrap()
                .try_into()
                .unwrap(),
        )
    }

    #[test]
    fn kill_target_and_header_move_into_the_zone() {
        // kill enter: pid (PT_PID), sig.
        let (_, raw) = event("PPME_SYSCALL_KILL_E", 42, &[77, 9]);
        let out = rewrite(&raw, 3).unwrap();
        let ev = RawEvent::parse(&out).unwrap();
        assert_eq!(ev.header.tid, 3 << 32 | 42);
        assert_eq!(ev.header.ts, 1);
        assert_eq!(param(&out, 0), 3 << 32 | 77);
        assert_eq!(param(&out, 1), 9, "the signal is not an id");
        assert_eq!(zone_of(ev.header.tid as i64), 3);
        // Only the tid and the pid changed.
        let changed: Vec<usize> = (0..raw.len()).filter(|&i| raw[i] != out[i]).collect();
        assert_eq!(changed, [12, HEADER_LEN + 4 + 4]);
    }

    #[test]
    fn a_given_timestamp_replaces_the_events_and_trailing_bytes_are_left_out() {
        let (_, mut raw) = event("PPME_SYSCALL_KILL_E", 42, &[77, 9]);
        let len = raw.len();
        raw.extend_from_slice(b"after the event");
        let ev = namespace(&raw, 2, Some(0x0102_0304_0506_0708)).unwrap();
        let mut out = Vec::new();
        (&ev).write(&mut out).unwrap();
        assert_eq!(out.len(), len);
        let ev = RawEvent::parse(&out).unwrap();
        assert_eq!(ev.header.ts, 0x0102_0304_0506_0708);
        assert_eq!(ev.header.tid, 2 << 32 | 42);
        assert_eq!(param(&out, 0), 2 << 32 | 77);
        assert_eq!(out[16..HEADER_LEN], raw[16..HEADER_LEN]);
    }

    #[test]
    fn clone_exit_keeps_namespace_ids_and_non_positive_ids() {
        let info = event_info(
            EVENTS
                .iter()
                .find(|e| e.id == "PPME_SYSCALL_CLONE_20_X")
                .unwrap()
                .code,
        )
        .unwrap();
        let plan = match plan_of(info) {
            Plan::Ids(ids) => ids,
            Plan::Refuse => panic!("clone exit refused"),
        };
        let names: Vec<&str> = plan
            .iter()
            .map(|&i| info.params[usize::from(i)].name)
            .collect();
        assert_eq!(names, ["res", "tid", "pid", "ptid"]);
        assert_eq!(namespaced(0, 5), Ok(0), "the child's side of clone");
        assert_eq!(namespaced(-1, 5), Ok(-1));
        assert_eq!(namespaced(-11, 5), Ok(-11), "an error");
    }

    #[test]
    fn hostile_events_are_refused_whole() {
        let (_, mut raw) = event("PPME_SYSCALL_KILL_E", 42, &[77, 9]);
        raw.truncate(raw.len() - 1);
        assert!(matches!(rewrite(&raw, 1), Err(Refused::Malformed(_))));
        let (_, raw) = event("PPME_SYSCALL_KILL_E", 1 << 40, &[77, 9]);
        assert_eq!(rewrite(&raw, 1), Err(Refused::IdTooLarge(1 << 40)));
        let (_, raw) = event("PPME_SYSCALL_KILL_E", 42, &[-1 ^ (1 << 63), 9]);
        assert!(matches!(rewrite(&raw, 1), Err(Refused::IdTooLarge(_))));
        assert_eq!(
            rewrite(&event("PPME_SYSCALL_KILL_E", 42, &[77, 9]).1, u32::MAX),
            Err(Refused::ZoneTooLarge(u32::MAX))
        );
    }

    #[test]
    fn a_zone_cannot_send_a_snapshot_marker() {
        let mut raw = Vec::new();
        marker::write(1, 1, &mut raw);
        assert_eq!(
            rewrite(&raw, 1),
            Err(Refused::Reserved(marker::ASYNC_EVENT))
        );
    }

    #[test]
    fn a_global_id_in_32_bits_refuses_the_type() {
        let refused: Vec<&str> = EVENTS
            .iter()
            .filter(|e| matches!(plan_of(e), Plan::Refuse))
            .map(|e| e.id)
            .collect();
        assert_eq!(refused, ["PPME_ITER_TASK_E"]);
    }
}
