//! What a hostile zone drives: arbitrary bytes as a stream of `MonitorZoneKernelEventReply`
//! messages (each length-delimited protobuf, as gRPC frames them; a message that does not
//! decode ends the stream, as a transport error does), turned into state and events with the
//! proto crate's conversions as the plugin's zone client turns them (`threadsnap` to a
//! snapshot, one-event messages and the batch extension to raw events, the users extension to
//! users and groups), then replayed through the plugin in-process (conversion, `parse_event`,
//! every declared field) as one zone, next to a normal zone of fixed project-made events. A snapshot starts a new section, so the state is rebuilt from it as
//! the zone source rebuilds it. Invariants: no panic, no failed extraction, bounded allocation,
//! and every field of the normal zone's events has the value it has without the hostile zone.

#![no_main]

use edera_falco_fuzz::Replay;
use edera_falco_proto::batch;
use edera_falco_proto::control::MonitorZoneKernelEventReply;
use edera_falco_proto::control::monitor_zone_kernel_event_reply::Reply;
use edera_falco_proto::events::from_proto;
use edera_falco_proto::snapshot::{SnapshotLimits, snapshot_from_proto, users_from_proto};
use edera_scap::file::{CaptureState, CaptureWriter};
use libfuzzer_sys::fuzz_target;
use prost::Message;
use std::sync::OnceLock;

/// The plugin's default state caps, as its zone client passes them to the conversions.
const LIMITS: SnapshotLimits = SnapshotLimits {
    max_threads: 65_536,
    max_fds_per_thread: 4096,
};
const MAX_USERS: usize = 4096;

/// Writes a snapshot as the state blocks of a new section.
fn write_state(w: &mut CaptureWriter<Vec<u8>>, state: &CaptureState) {
    w.process_list(&state.threads).expect("in memory");
    for (tid, fds) in &state.fds {
        w.fd_list(*tid, fds).expect("in memory");
    }
}

fuzz_target!(|data: &[u8]| {
    static REPLAY: OnceLock<Replay> = OnceLock::new();
    let mut w = CaptureWriter::new(Vec::new()).expect("in memory");
    let mut buf = data;
    let mut raw = Vec::new();
    let mut one = Vec::new();
    while !buf.is_empty() {
        let Ok(message) = MonitorZoneKernelEventReply::decode_length_delimited(&mut buf) else {
            break;
        };
        match message.reply {
            Some(Reply::Threadsnap(snap)) => {
                w.section().expect("in memory");
                write_state(&mut w, &snapshot_from_proto(&snap, LIMITS));
            }
            Some(Reply::Syscall(ev)) => {
                if let Ok(cpu) = from_proto(&ev, &mut raw) {
                    one.clear();
                    batch::push(&mut one, cpu, &raw);
                    if let Some(Ok(e)) = batch::entry_at(&one, 0) {
                        assert_eq!(e.event, &raw[..], "a batch entry holds its event");
                    }
                    w.event(cpu, &raw).expect("in memory");
                }
            }
            Some(Reply::EderaFalcoBatch(b)) => {
                // The rest of a damaged batch cannot be delimited: it is dropped.
                for e in batch::entries(&b.events).map_while(Result::ok) {
                    w.event(e.cpu, e.event).expect("in memory");
                }
            }
            Some(Reply::EderaFalcoUsers(u)) => {
                let users = users_from_proto(&u, MAX_USERS);
                w.users(&users.users, &users.groups).expect("in memory");
            }
            None => {}
        }
    }
    let file = w.finish().expect("in memory");
    REPLAY
        .get_or_init(Replay::with_normal_zone)
        .run_beside(&file);
});
