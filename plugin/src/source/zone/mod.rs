//! Live Edera zones through the protect daemon (default open mode, no `file://`).
//!
//! A runtime owned by the source runs the client ([`client`]): it dials the daemon's socket
//! (retrying while it is absent: the Falco source never ends because of it), lists the zones
//! and watches for changes, and for every ready zone opens `MonitorZoneKernelEvents`, sends
//! `Update{enabled_syscalls}` (with the batched-events extension asked for), and queues what the
//! zone sends: its `threadsnap`, then its events. Each zone has its own bounded queue: when it
//! is full the zone's stream waits (gRPC flow control pushes back to the daemon), so one busy
//! zone cannot take the others' room. `next_batch` ([`ZoneSource::fill`]) takes events from the
//! zones' queues in turn, through exactly the replay path (conversion of old layouts,
//! state-only events carried, the same parse and fields); when no zone has anything it waits
//! at most [`IDLE_WAIT`] and reports a timeout. Workload changes come on their own bounded
//! queue and go to their zone's table; those of zones not (or no longer) streamed wait in
//! `pending` until the zone is.

mod client;
mod queue;

use super::{Carry, EventSink, Poll, Source};
use crate::config::Config;
use crate::visibility::falco_shows;
use crate::workloads::WorkloadTable;
use crate::zones::{ZoneRegistry, ZoneSlot};
use edera_falco_proto::batch;
use edera_scap::convert::{Converter, ConverterLimits, Outcome};
use edera_scap::tables::syscalls::{self, ppm_sc_of};
use falco_plugin::anyhow::{self, anyhow};
use queue::{Control, WORKLOAD_QUEUE, WorkloadMsg, ZoneMsg};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Longest wait of an idle `next_batch` before it reports a timeout.
pub const IDLE_WAIT: Duration = Duration::from_millis(50);

/// The syscalls Falco's stock rules (falco_rules.yaml and the incubating and sandbox sets)
/// name in their conditions. The zones capture these and, from the event table, every syscall
/// whose events create, close or use fds or change process state (what libsinsp needs to keep
/// its state; see [`state_syscalls`]).
pub const RULE_SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "open",
    "openat",
    "openat2",
    "creat",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "read",
    "write",
    "chdir",
    "chroot",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "capset",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "mount",
    "umount2",
    "ptrace",
    "prctl",
    "setns",
    "unshare",
    "bpf",
    "init_module",
    "finit_module",
    "memfd_create",
    "userfaultfd",
    "kill",
    "mprotect",
    "mmap",
    "io_uring_setup",
];

/// The ppm_sc codes of the syscalls whose exit events the event table marks as creating,
/// closing or using fds, or changing process state: what libsinsp keeps its state from.
pub fn state_syscalls() -> impl Iterator<Item = u16> {
    use edera_scap::tables::ef;
    let state = ef::CREATES_FD | ef::DESTROYS_FD | ef::USES_FD | ef::MODIFIES_STATE;
    syscalls::X86_64
        .iter()
        .chain(syscalls::AARCH64.iter())
        .filter(move |e| edera_scap::info::event_info(e.exit).is_some_and(|i| i.flags & state != 0))
        .map(|e| e.ppm_sc)
}

/// One zone being streamed.
struct Live {
    slot: ZoneSlot,
    rx: tokio::sync::mpsc::Receiver<ZoneMsg>,
    /// The batch being handed out, where in it, and its room in the zone's byte budget.
    current: Vec<u8>,
    at: usize,
    room: Option<tokio::sync::OwnedSemaphorePermit>,
    converter: Converter,
    carry: Carry,
    /// The client dropped the queue and everything in it was handed out.
    gone: bool,
}

/// The zone client's side in Falco's thread.
pub struct ZoneSource {
    _runtime: tokio::runtime::Runtime,
    control: std::sync::mpsc::Receiver<Control>,
    workloads: tokio::sync::mpsc::Receiver<WorkloadMsg>,
    /// Workload tables of zones not streamed (yet, or any more), at most
    /// [`client::MAX_ZONES`].
    pending: HashMap<String, WorkloadTable>,
    wake: Arc<tokio::sync::Notify>,
    zones: HashMap<String, Live>,
    /// Round-robin position.
    turn: usize,
    malformed: u64,
    dropped: u64,
}

impl ZoneSource {
    /// Start the client for the daemon at `config.socket`. Fails only if no runtime can be
    /// made; a missing daemon is retried in the background.
    pub fn new(config: &Config) -> anyhow::Result<ZoneSource> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("edera-zones")
            .enable_all()
            .build()
            .map_err(|e| anyhow!("cannot start the zone client's runtime: {e}"))?;
        let mut enabled: Vec<u32> = match &config.enabled_syscalls {
            Some(list) => list
                .iter()
                .filter_map(|n| ppm_sc_of(n))
                .map(u32::from)
                .collect(),
            None => RULE_SYSCALLS
                .iter()
                .filter_map(|n| ppm_sc_of(n))
                .chain(state_syscalls())
                .map(u32::from)
                .collect(),
        };
        enabled.sort_unstable();
        enabled.dedup();
        let (control_tx, control) = std::sync::mpsc::channel();
        let (workloads_tx, workloads) = tokio::sync::mpsc::channel(WORKLOAD_QUEUE);
        let wake = Arc::new(tokio::sync::Notify::new());
        let settings = client::Settings {
            socket: config.socket.clone(),
            enabled_syscalls: enabled,
            batches: config.batches,
            limits: config.limits.state_limits(),
        };
        runtime.spawn(client::run(
            settings,
            control_tx,
            workloads_tx,
            wake.clone(),
        ));
        Ok(ZoneSource {
            _runtime: runtime,
            control,
            workloads,
            pending: HashMap::new(),
            wake,
            zones: HashMap::new(),
            turn: 0,
            malformed: 0,
            dropped: 0,
        })
    }

    /// Zones appearing and going.
    fn apply_control(&mut self, registry: &mut ZoneRegistry) {
        while let Ok(c) = self.control.try_recv() {
            match c {
                Control::Added { id, name, rx } => match registry.register_named(&id, &name) {
                    Ok(slot) => {
                        if let (Some(table), Some(z)) =
                            (self.pending.remove(&id), registry.get_mut(slot))
                        {
                            z.workloads = table;
                        }
                        let live = Live {
                            slot,
                            rx,
                            current: Vec::new(),
                            at: 0,
                            room: None,
                            converter: Converter::new(ConverterLimits::default()),
                            carry: Carry::default(),
                            gone: false,
                        };
                        self.zones.insert(id, live);
                    }
                    Err(e) => log::warn!("zone {id}: not registered: {e}"),
                },
            }
        }
    }

    /// Workload changes, into their zone's table.
    fn apply_workloads(&mut self, registry: &mut ZoneRegistry) {
        while let Ok(m) = self.workloads.try_recv() {
            let live = self.zones.get(&m.zone_id).map(|l| l.slot);
            let table = match live.and_then(|slot| registry.get_mut(slot)) {
                Some(z) => &mut z.workloads,
                None if self.pending.len() < client::MAX_ZONES
                    || self.pending.contains_key(&m.zone_id) =>
                {
                    self.pending.entry(m.zone_id).or_default()
                }
                None => continue,
            };
            table.clipped += m.clipped;
            table.apply(m.change);
        }
    }
}

impl Source for ZoneSource {
    fn fill(
        &mut self,
        registry: &mut ZoneRegistry,
        sink: &mut dyn EventSink,
        max: usize,
    ) -> anyhow::Result<Poll> {
        // Zones found gone in an earlier call are freed now, after Falco has processed the
        // batch that held their last events.
        let pending = &mut self.pending;
        self.zones.retain(|id, live| {
            if live.gone {
                // Its workloads are kept for when it comes back.
                if let Some(z) = registry.remove(live.slot)
                    && pending.len() < client::MAX_ZONES
                {
                    pending.insert(id.clone(), z.workloads);
                }
                log::info!("zone {id}: gone, its state freed");
            }
            !live.gone
        });
        self.apply_control(registry);
        self.apply_workloads(registry);
        let ids: Vec<String> = self.zones.keys().cloned().collect();
        let n = ids.len();
        let mut idle_rounds = 0;
        while sink.len() < max && n > 0 && idle_rounds < n {
            let id = &ids[self.turn % n];
            self.turn = self.turn.wrapping_add(1);
            let Some(live) = self.zones.get_mut(id) else {
                continue;
            };
            let before = sink.len();
            let (bad, dropped) = drain_zone(live, registry, sink, max)?;
            self.malformed += bad;
            self.dropped += dropped;
            idle_rounds = if sink.len() == before {
                idle_rounds + 1
            } else {
                0
            };
        }
        if sink.is_empty() {
            // Nothing queued: wait for a zone to send something, briefly.
            let wake = self.wake.clone();
            self._runtime.block_on(async move {
                let _ = tokio::time::timeout(IDLE_WAIT, wake.notified()).await;
            });
            return Ok(Poll::Timeout);
        }
        Ok(Poll::Ready)
    }

    fn take_counts(&mut self) -> (u64, u64) {
        let counts = (self.malformed, self.dropped);
        self.malformed = 0;
        self.dropped = 0;
        counts
    }
}

/// Hand out one zone's queued events until `max` or its queue is empty; (malformed, dropped).
fn drain_zone(
    live: &mut Live,
    registry: &mut ZoneRegistry,
    sink: &mut dyn EventSink,
    max: usize,
) -> anyhow::Result<(u64, u64)> {
    let (mut bad, mut dropped, mut damaged, mut handed) = (0, 0, 0, 0u64);
    while sink.len() < max {
        if live.at >= live.current.len() {
            match live.rx.try_recv() {
                Ok(ZoneMsg::Snapshot(state)) => {
                    let state = *state;
                    if let Some(z) = registry.get_mut(live.slot) {
                        z.state = crate::state::ZoneState::new(z.state.limits);
                        z.state.seed(&state);
                    }
                    sink.snapshot_taken(live.slot);
                    continue;
                }
                Ok(ZoneMsg::Users(users)) => {
                    if let Some(z) = registry.get_mut(live.slot) {
                        z.state.seed(&users);
                    }
                    continue;
                }
                Ok(ZoneMsg::Events(batch, room)) => {
                    live.current = batch;
                    live.at = 0;
                    // The previous batch's room is given back.
                    live.room = Some(room);
                }
                Ok(ZoneMsg::Counts {
                    malformed,
                    dropped: d,
                    reconnects,
                }) => {
                    bad += malformed;
                    dropped += d;
                    if let Some(z) = registry.get_mut(live.slot) {
                        z.counters.malformed += malformed;
                        z.counters.drops += d;
                        z.counters.reconnects += reconnects;
                    }
                    continue;
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    live.gone = true;
                    break;
                }
            }
        }
        let e = match batch::entry_at(&live.current, live.at) {
            Some(Ok(e)) => e,
            // The rest of a damaged batch cannot be delimited: it is dropped.
            Some(Err(_)) | None => {
                damaged += u64::from(live.at < live.current.len());
                live.at = live.current.len();
                continue;
            }
        };
        live.at = e.next;
        let pushed = sink.len();
        match live.converter.convert(e.event) {
            Outcome::Pass(bytes) | Outcome::Converted(bytes) => {
                let ty = u16::from_le_bytes([bytes[20], bytes[21]]);
                if falco_shows(ty, 0) {
                    sink.push(e.ts(), live.slot, e.cpu, &mut live.carry, bytes)?;
                } else {
                    sink.hold(live.slot, &mut live.carry, bytes)?;
                }
            }
            Outcome::Drop(_) => {}
            Outcome::Error(_) => damaged += 1,
        }
        handed += (sink.len() - pushed) as u64;
    }
    let live_dropped = std::mem::take(&mut live.carry.dropped);
    if let Some(z) = registry.get_mut(live.slot) {
        z.counters.events += handed;
        z.counters.malformed += damaged;
        z.counters.drops += live_dropped;
    }
    bad += damaged;
    dropped += live_dropped;
    Ok((bad, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_has_the_rules_and_the_state_syscalls() {
        let state: Vec<u16> = state_syscalls().collect();
        // From the event table: fd and process state.
        for name in [
            "clone", "clone3", "fork", "vfork", "close", "dup2", "pipe", "socket", "fcntl",
            "execve",
        ] {
            assert!(state.contains(&ppm_sc_of(name).unwrap()), "{name}");
        }
        assert!(!state.contains(&ppm_sc_of("brk").unwrap()));
        for name in RULE_SYSCALLS {
            assert!(ppm_sc_of(name).is_some(), "{name} is a syscall");
        }
    }
}
