//! The async side of zone mode: the protect API client.
//!
//! [`run`] keeps a connection to the daemon: while it is absent it retries every
//! [`RETRY`]; connected, it lists the zones, watches `WatchEvents`, and starts one
//! [`monitor`] task per ready zone. It also lists the workloads and forwards their changes
//! (`WorkloadChanged`; destroyed ones as removals, and after a new listing the ones no longer
//! listed). When the watch stream breaks (daemon restart) it reconnects and lists again. A monitor that loses its stream re-subscribes while the zone is
//! still listed (its state is rebuilt from the new snapshot), and reports the zone gone when
//! it is not.

use super::queue::{Budget, Control, MAX_MESSAGE, WorkloadMsg, ZONE_QUEUE, ZoneMsg};
use crate::state::StateLimits;
use crate::workloads::{MAX_WORKLOADS_PER_ZONE, Workload, WorkloadChange, char_prefix};
use edera_falco_proto::batch;
use edera_falco_proto::control::control_service_client::ControlServiceClient;
use edera_falco_proto::control::monitor_zone_kernel_event_reply::Reply;
use edera_falco_proto::control::monitor_zone_kernel_event_request::Request as MonitorRequest;
use edera_falco_proto::control::watch_events_reply::Event;
use edera_falco_proto::control::{
    GetZoneRequest, ListWorkloadsRequest, ListZonesRequest, MonitorZoneKernelEventRequest,
    WatchEventsRequest, Workload as ProtoWorkload, WorkloadState, Zone,
    ZoneKernelEventStreamUpdate, ZoneNetworkStatus, ZoneState,
};
use edera_falco_proto::events::from_proto;
use edera_falco_proto::ext::StreamOptions;
use edera_falco_proto::network::interfaces_from_network;
use edera_falco_proto::snapshot::{SnapshotLimits, snapshot_from_proto, users_from_proto};
use edera_scap::file::InterfaceInfo;
use edera_scap::tables::EventCode;
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::{Notify, mpsc};
use tonic::transport::{Channel, Endpoint, Uri};

/// Wait between attempts to reach the daemon or a zone's stream.
pub const RETRY: Duration = Duration::from_millis(250);
/// Bytes of events gathered from one-event messages before they are queued.
const GATHER_BYTES: usize = 64 * 1024;

/// What the client needs from the config.
#[derive(Clone)]
pub struct Settings {
    pub socket: String,
    pub enabled_syscalls: Vec<u32>,
    pub batches: bool,
    /// The configured state caps: a zone's snapshot is read no further than its state holds.
    pub limits: StateLimits,
}

type Client = ControlServiceClient<Channel>;

async fn connect(socket: &str) -> Result<Client, tonic::transport::Error> {
    let path = socket.to_string();
    // The URI is required by the API but unused: the connector dials the unix socket.
    let channel = Endpoint::from_static("http://daemon.invalid")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
        }))
        .await?;
    Ok(ControlServiceClient::new(channel).max_decoding_message_size(MAX_MESSAGE))
}

fn ready(z: &Zone) -> bool {
    z.status
        .as_ref()
        .is_some_and(|s| s.state == ZoneState::Ready as i32)
}

/// Zones monitored at once, at most (each holds a task, a queue and a state).
pub const MAX_ZONES: usize = 1024;
/// Longest zone id or name kept (they name metrics and are rendered in every event's fields).
pub const MAX_NAME: usize = 256;

fn bounded(s: &str) -> String {
    char_prefix(s, MAX_NAME).to_string()
}

fn name_of(z: &Zone) -> String {
    bounded(
        z.spec
            .as_ref()
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
            .unwrap_or(&z.id),
    )
}

/// Zones with a running monitor.
type Monitored = Arc<Mutex<HashSet<String>>>;

/// (zone id, workload id) of the workloads forwarded and not removed.
type KnownWorkloads = HashSet<(String, String)>;

/// Most workloads the client remembers over all zones (to remove those a new listing lacks).
const MAX_KNOWN_WORKLOADS: usize = MAX_ZONES * MAX_WORKLOADS_PER_ZONE;

/// The change a daemon's workload message makes, for its zone; `None` when it names no usable
/// zone or workload.
fn workload_msg(w: &ProtoWorkload) -> Option<WorkloadMsg> {
    let zone_id = w.spec.as_ref()?.zone_id.clone();
    if zone_id.is_empty() || zone_id.len() > MAX_NAME {
        return None;
    }
    let destroyed = w
        .status
        .as_ref()
        .is_some_and(|s| s.state == WorkloadState::Destroyed as i32);
    let (change, clipped) = if destroyed {
        (WorkloadChange::Removed(w.id.clone()), 0)
    } else {
        let (workload, clipped) = Workload::from_proto(w)?;
        (WorkloadChange::Changed(Box::new(workload)), clipped)
    };
    Some(WorkloadMsg {
        zone_id,
        change,
        clipped,
    })
}

/// Forward one workload message; remembers what is live. Err when the plugin is gone.
async fn forward_workload(
    w: &ProtoWorkload,
    workloads: &mpsc::Sender<WorkloadMsg>,
    known: &mut KnownWorkloads,
    wake: &Notify,
) -> Result<(), ()> {
    let Some(msg) = workload_msg(w) else {
        return Ok(());
    };
    let key = (msg.zone_id.clone(), w.id.clone());
    match msg.change {
        WorkloadChange::Removed(_) => {
            known.remove(&key);
        }
        WorkloadChange::Changed(_) if known.len() < MAX_KNOWN_WORKLOADS => {
            known.insert(key);
        }
        WorkloadChange::Changed(_) => {}
    }
    workloads.send(msg).await.map_err(|_| ())?;
    wake.notify_one();
    Ok(())
}

/// List every workload and forward them; those known before and no longer listed are removed.
async fn list_workloads(
    client: &mut Client,
    workloads: &mpsc::Sender<WorkloadMsg>,
    known: &mut KnownWorkloads,
    wake: &Notify,
) -> Result<(), ()> {
    let Ok(list) = client.list_workloads(ListWorkloadsRequest {}).await else {
        return Ok(());
    };
    let mut list = list.into_inner();
    let before = std::mem::take(known);
    while let Ok(Some(reply)) = list.message().await {
        for w in &reply.workloads {
            forward_workload(w, workloads, known, wake).await?;
        }
    }
    for (zone_id, id) in before.difference(known) {
        let msg = WorkloadMsg {
            zone_id: zone_id.clone(),
            change: WorkloadChange::Removed(id.clone()),
            clipped: 0,
        };
        workloads.send(msg).await.map_err(|_| ())?;
    }
    wake.notify_one();
    Ok(())
}

/// The client's main loop; returns only when the plugin has dropped the workload queue.
pub async fn run(
    settings: Settings,
    control: std::sync::mpsc::Sender<Control>,
    workloads: mpsc::Sender<WorkloadMsg>,
    wake: Arc<Notify>,
) {
    let monitored: Monitored = Arc::default();
    let mut known = KnownWorkloads::new();
    let mut warned = false;
    loop {
        let mut client = match connect(&settings.socket).await {
            Ok(c) => c,
            Err(e) => {
                if !warned {
                    log::warn!(
                        "protect daemon at {} not reachable ({e}); retrying",
                        settings.socket
                    );
                    warned = true;
                }
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        warned = false;
        log::info!("connected to the protect daemon at {}", settings.socket);
        let Ok(watch) = client.watch_events(WatchEventsRequest {}).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        let mut watch = watch.into_inner();
        if let Ok(list) = client.list_zones(ListZonesRequest {}).await {
            let mut list = list.into_inner();
            while let Ok(Some(reply)) = list.message().await {
                for z in reply.zones.iter().filter(|z| ready(z)) {
                    start(&settings, &client, z, &monitored, &control, &wake);
                }
            }
        }
        if list_workloads(&mut client, &workloads, &mut known, &wake)
            .await
            .is_err()
        {
            return;
        }
        while let Ok(Some(ev)) = watch.message().await {
            match ev.event {
                Some(Event::ZoneChanged(c)) => {
                    if let Some(z) = c.zone
                        && ready(&z)
                    {
                        start(&settings, &client, &z, &monitored, &control, &wake);
                    }
                }
                Some(Event::WorkloadChanged(c)) => {
                    if let Some(w) = c.workload
                        && forward_workload(&w, &workloads, &mut known, &wake)
                            .await
                            .is_err()
                    {
                        return;
                    }
                }
                None => {}
            }
        }
        log::warn!("lost the protect daemon's event watch; reconnecting");
        tokio::time::sleep(RETRY).await;
    }
}

/// Start monitoring zone `z` unless it already is.
fn start(
    settings: &Settings,
    client: &Client,
    z: &Zone,
    monitored: &Monitored,
    control: &std::sync::mpsc::Sender<Control>,
    wake: &Arc<Notify>,
) {
    {
        let mut m = monitored.lock().unwrap_or_else(|e| e.into_inner());
        if z.id.len() > MAX_NAME || m.contains(&z.id) {
            return;
        }
        if m.len() >= MAX_ZONES {
            log::warn!(
                "zone {}: not monitored, {MAX_ZONES} zones are already",
                z.id
            );
            return;
        }
        m.insert(z.id.clone());
    }
    let (tx, rx) = mpsc::channel(ZONE_QUEUE);
    if control
        .send(Control::Added {
            id: z.id.clone(),
            name: name_of(z),
            rx,
        })
        .is_err()
    {
        return;
    }
    let (settings, client, id, monitored, wake) = (
        settings.clone(),
        client.clone(),
        z.id.clone(),
        monitored.clone(),
        wake.clone(),
    );
    let announced = z
        .status
        .as_ref()
        .and_then(|s| s.network_status.clone())
        .unwrap_or_default();
    tokio::spawn(async move {
        let budget = Budget::default();
        loop {
            let result = monitor(
                &settings,
                client.clone(),
                &id,
                &announced,
                &tx,
                &wake,
                &budget,
            )
            .await;
            // The stream ended: resubscribe while the daemon still has the zone.
            let mut c = client.clone();
            let still_there = c
                .get_zone(GetZoneRequest {
                    zone_id: id.clone(),
                })
                .await
                .is_ok_and(|r| r.into_inner().zone.is_some_and(|z| ready(&z)));
            if !still_there || tx.is_closed() {
                break;
            }
            log::info!("zone {id}: stream ended ({result:?}); resubscribing");
            if send(
                &tx,
                ZoneMsg::Counts {
                    malformed: 0,
                    dropped: 0,
                    reconnects: 1,
                },
                &wake,
            )
            .await
            .is_err()
            {
                break;
            }
            tokio::time::sleep(RETRY).await;
        }
        monitored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        // Dropping the queue's sender tells the source the zone is gone, after its last
        // queued events.
        drop(tx);
        wake.notify_one();
    });
}

/// The zone's interfaces as its status reports them now (Edera's `network_status`), for the
/// snapshot that just arrived; when the daemon no longer answers for the zone (it may end
/// right after its snapshot), those of the status it was announced with; only the loopback
/// ones when neither has any.
async fn zone_interfaces(
    client: &mut Client,
    id: &str,
    announced: &ZoneNetworkStatus,
    settings: &Settings,
) -> Vec<InterfaceInfo> {
    let now = client
        .get_zone(GetZoneRequest {
            zone_id: id.to_string(),
        })
        .await
        .ok()
        .and_then(|r| r.into_inner().zone)
        .and_then(|z| z.status)
        .and_then(|s| s.network_status);
    interfaces_from_network(
        now.as_ref().unwrap_or(announced),
        settings.limits.max_interfaces,
    )
}

/// One subscription to a zone's events, until its stream ends.
async fn monitor(
    settings: &Settings,
    mut client: Client,
    id: &str,
    announced: &ZoneNetworkStatus,
    tx: &mpsc::Sender<ZoneMsg>,
    wake: &Notify,
    budget: &Budget,
) -> Result<(), String> {
    let first = MonitorZoneKernelEventRequest {
        zone_id: id.to_string(),
        request: Some(MonitorRequest::Update(ZoneKernelEventStreamUpdate {
            enabled_syscalls: settings.enabled_syscalls.clone(),
            // Extensions a real daemon ignores: batches (if configured) and the zone's users.
            edera_falco: Some(StreamOptions {
                batches: settings.batches,
                users: true,
            }),
        })),
    };
    // The request stream stays open (a real daemon may take further updates); it ends with
    // this task.
    let (req_tx, req_rx) = mpsc::channel(4);
    req_tx.send(first).await.map_err(|e| e.to_string())?;
    let mut replies = client
        .monitor_zone_kernel_events(tokio_stream::wrappers::ReceiverStream::new(req_rx))
        .await
        .map_err(|e| e.to_string())?
        .into_inner();
    let limits = SnapshotLimits {
        max_threads: settings.limits.max_threads,
        max_fds_per_thread: settings.limits.max_fds_per_process,
    };
    let mut gathered = Vec::new();
    let mut raw = Vec::new();
    let mut malformed = 0u64;
    let mut reported_drops = 0u64;
    loop {
        // Wait for one message; then take what is already there without waiting.
        let mut next = Some(replies.message().await.map_err(|e| e.to_string())?);
        while let Some(message) = next.take() {
            let Some(reply) = message else {
                flush(&mut gathered, tx, wake, budget).await?;
                return Ok(());
            };
            match reply.reply {
                Some(Reply::Threadsnap(snap)) => {
                    flush(&mut gathered, tx, wake, budget).await?;
                    let mut state = snapshot_from_proto(&snap, limits);
                    state.interfaces = zone_interfaces(&mut client, id, announced, settings).await;
                    send(tx, ZoneMsg::Snapshot(Box::new(state)), wake).await?;
                }
                Some(Reply::Syscall(ev)) if ev.event_type == CPU_HOTPLUG => {
                    // The zone's CPUs changed: its state is reseeded from a new subscription's
                    // snapshot, as libsinsp rescans /proc on this event.
                    flush(&mut gathered, tx, wake, budget).await?;
                    return Err("cpu hotplug".into());
                }
                Some(Reply::Syscall(ev)) => match from_proto(&ev, &mut raw) {
                    Ok(cpu) => batch::push(&mut gathered, cpu, &raw),
                    Err(e) => {
                        malformed += 1;
                        log::debug!("zone {id}: bad event message: {e}");
                    }
                },
                Some(Reply::EderaFalcoBatch(b)) => {
                    flush(&mut gathered, tx, wake, budget).await?;
                    if b.dropped > reported_drops {
                        send(
                            tx,
                            ZoneMsg::Counts {
                                malformed: 0,
                                dropped: b.dropped - reported_drops,
                                reconnects: 0,
                            },
                            wake,
                        )
                        .await?;
                        reported_drops = b.dropped;
                    }
                    let hotplug = has_hotplug(&b.events);
                    let room = budget
                        .reserve(b.events.len())
                        .await
                        .ok_or("budget closed")?;
                    send(tx, ZoneMsg::Events(b.events, room), wake).await?;
                    if hotplug {
                        return Err("cpu hotplug".into());
                    }
                }
                Some(Reply::EderaFalcoUsers(u)) => {
                    flush(&mut gathered, tx, wake, budget).await?;
                    send(
                        tx,
                        ZoneMsg::Users(Box::new(users_from_proto(&u, settings.limits.max_users))),
                        wake,
                    )
                    .await?;
                }
                None => malformed += 1,
            }
            if gathered.len() < GATHER_BYTES {
                next = match tokio::time::timeout(Duration::ZERO, replies.message()).await {
                    Ok(m) => Some(m.map_err(|e| e.to_string())?),
                    Err(_) => None,
                };
            }
        }
        flush(&mut gathered, tx, wake, budget).await?;
        if malformed > 0 {
            send(
                tx,
                ZoneMsg::Counts {
                    malformed: std::mem::take(&mut malformed),
                    dropped: 0,
                    reconnects: 0,
                },
                wake,
            )
            .await?;
        }
    }
}

/// `PPME_CPU_HOTPLUG_E`.
const CPU_HOTPLUG: u32 = EventCode::CpuHotplugE as u32;

/// Whether a batch holds a CPU hotplug event.
fn has_hotplug(events: &[u8]) -> bool {
    batch::entries(events)
        .map_while(Result::ok)
        .any(|e| u32::from(e.event_type()) == CPU_HOTPLUG)
}

async fn send(tx: &mpsc::Sender<ZoneMsg>, m: ZoneMsg, wake: &Notify) -> Result<(), String> {
    tx.send(m)
        .await
        .map_err(|_| "the plugin closed the zone".to_string())?;
    wake.notify_one();
    Ok(())
}

async fn flush(
    gathered: &mut Vec<u8>,
    tx: &mpsc::Sender<ZoneMsg>,
    wake: &Notify,
    budget: &Budget,
) -> Result<(), String> {
    if gathered.is_empty() {
        return Ok(());
    }
    let room = budget
        .reserve(gathered.len())
        .await
        .ok_or("budget closed")?;
    send(tx, ZoneMsg::Events(std::mem::take(gathered), room), wake).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(etype: u16) -> Vec<u8> {
        let mut v = 0u16.to_le_bytes().to_vec();
        v.extend_from_slice(&1u64.to_le_bytes());
        v.extend_from_slice(&2u64.to_le_bytes());
        v.extend_from_slice(&26u32.to_le_bytes());
        v.extend_from_slice(&etype.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v
    }

    #[test]
    fn zone_names_are_bounded() {
        let long = "é".repeat(1000);
        let b = bounded(&long);
        assert!(b.len() <= MAX_NAME && long.starts_with(&b));
        let z = Zone {
            id: "id".into(),
            ..Zone::default()
        };
        assert_eq!(name_of(&z), "id");
    }

    #[test]
    fn workload_messages_name_their_zone() {
        use edera_falco_proto::control::{WorkloadSpec, WorkloadStatus};
        let mut w = ProtoWorkload {
            id: "w1".into(),
            spec: Some(WorkloadSpec {
                zone_id: "z1".into(),
                name: "web".into(),
                ..WorkloadSpec::default()
            }),
            status: None,
        };
        let m = workload_msg(&w).unwrap();
        assert_eq!(m.zone_id, "z1");
        assert!(matches!(m.change, WorkloadChange::Changed(ref c) if c.name == "web"));
        w.status = Some(WorkloadStatus {
            state: WorkloadState::Destroyed as i32,
            ..WorkloadStatus::default()
        });
        let m = workload_msg(&w).unwrap();
        assert_eq!(m.change, WorkloadChange::Removed("w1".into()));
        w.spec.as_mut().unwrap().zone_id = String::new();
        assert!(workload_msg(&w).is_none());
    }

    #[test]
    fn hotplug_events_are_found_in_batches() {
        let mut b = event(5);
        assert!(!has_hotplug(&b));
        b.extend(event(CPU_HOTPLUG as u16));
        assert!(has_hotplug(&b));
        assert!(!has_hotplug(&b[..30]));
    }
}
