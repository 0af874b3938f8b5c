//! The protect API's ControlService (the subset in `proto/`) over the daemon's zones.
//!
//! `MonitorZoneKernelEvents`: the first request names the zone (and may carry an `Update`);
//! the reply stream starts with a `threadsnap` taken by the zone's agent for this subscriber
//! (and the zone's users and groups, when asked for with `edera.falco.v1.StreamOptions.users`),
//! then its events from that point on, one
//! `ZoneKernelSyscallEvent` per event as Edera's daemon sends them, or `ScapBatch` messages when
//! the update asked for them (`edera.falco.v1.StreamOptions.batches`). A subscriber too slow for
//! the zone's broadcast misses batches; they are counted in the batches' `dropped`. `Stop`, the
//! client going away, or the zone ending closes the stream.

use super::zones::{Batch, LocalZone, ZoneItem, Zones};
use edera_falco_proto::control::control_service_server::ControlService;
use edera_falco_proto::control::monitor_zone_kernel_event_reply::Reply;
use edera_falco_proto::control::monitor_zone_kernel_event_request::Request as MonitorRequest;
use edera_falco_proto::control::*;
use edera_falco_proto::events::to_proto;
use edera_falco_proto::ext::ScapBatch;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

type Replies<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The service.
pub struct Service {
    pub zones: Zones,
}

fn once<T: Send + 'static>(v: T) -> Replies<T> {
    Box::pin(tokio_stream::iter([Ok(v)]))
}

#[tonic::async_trait]
impl ControlService for Service {
    async fn get_zone(
        &self,
        req: Request<GetZoneRequest>,
    ) -> Result<Response<GetZoneReply>, Status> {
        let id = req.into_inner().zone_id;
        let z = self
            .zones
            .get(&id)
            .ok_or_else(|| Status::not_found(format!("zone {id} not found")))?;
        Ok(Response::new(GetZoneReply {
            zone: Some(z.zone()),
        }))
    }

    type ListZonesStream = Replies<ListZonesReply>;

    async fn list_zones(
        &self,
        _: Request<ListZonesRequest>,
    ) -> Result<Response<Self::ListZonesStream>, Status> {
        let zones = self.zones.all().iter().map(|z| z.zone()).collect();
        Ok(Response::new(once(ListZonesReply { zones })))
    }

    type ListWorkloadsStream = Replies<ListWorkloadsReply>;

    async fn list_workloads(
        &self,
        _: Request<ListWorkloadsRequest>,
    ) -> Result<Response<Self::ListWorkloadsStream>, Status> {
        let workloads = self.zones.workloads();
        Ok(Response::new(once(ListWorkloadsReply { workloads })))
    }

    type WatchEventsStream = Replies<WatchEventsReply>;

    async fn watch_events(
        &self,
        _: Request<WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let mut changes = self.zones.watch();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(ev) => {
                        if tx.send(Ok(ev)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type MonitorZoneKernelEventsStream = Replies<MonitorZoneKernelEventReply>;

    async fn monitor_zone_kernel_events(
        &self,
        req: Request<Streaming<MonitorZoneKernelEventRequest>>,
    ) -> Result<Response<Self::MonitorZoneKernelEventsStream>, Status> {
        let mut input = req.into_inner();
        let first = input
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("no request"))?;
        let z = self
            .zones
            .get(&first.zone_id)
            .ok_or_else(|| Status::not_found(format!("zone {} not found", first.zone_id)))?;
        let options = match &first.request {
            Some(MonitorRequest::Update(u)) => u.edera_falco.unwrap_or_default(),
            _ => Default::default(),
        };
        let batches = options.batches;
        if let Some(MonitorRequest::Update(u)) = &first.request {
            z.ask_syscalls(&u.enabled_syscalls);
        }
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let _ = monitor(z, input, batches, options.users, tx).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

type Out = mpsc::Sender<Result<MonitorZoneKernelEventReply, Status>>;

fn reply(r: Reply) -> Result<MonitorZoneKernelEventReply, Status> {
    Ok(MonitorZoneKernelEventReply { reply: Some(r) })
}

/// How long a subscriber waits for the fresh snapshot it asked the zone's agent for before it
/// falls back to the zone's first snapshot.
const FRESH_SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// One subscriber: a snapshot, then the zone's batches until the zone ends, the client stops
/// or goes away. A zone with an agent is asked for a fresh snapshot, and the stream starts at
/// it (events before it are in it); other zones start from their first snapshot.
async fn monitor(
    z: Arc<LocalZone>,
    mut input: Streaming<MonitorZoneKernelEventRequest>,
    batches: bool,
    users: bool,
    tx: Out,
) -> Option<()> {
    let mut events = z.events.subscribe();
    let fresh = if z.request_snapshot() {
        tokio::time::timeout(FRESH_SNAPSHOT_WAIT, async {
            loop {
                match events.recv().await {
                    Ok(ZoneItem::Snapshot(s, u)) => return Some((s, Some(u))),
                    Ok(ZoneItem::End) | Err(broadcast::error::RecvError::Closed) => return None,
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
    } else {
        None
    };
    let (snap, zone_users) = match fresh {
        Some(f) => f,
        None => {
            let mut snapshot = z.snapshot.subscribe();
            let s = loop {
                if let Some(s) = snapshot.borrow_and_update().clone() {
                    break s;
                }
                snapshot.changed().await.ok()?;
            };
            (
                s,
                z.users
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
                    .map(Arc::new),
            )
        }
    };
    tx.send(reply(Reply::Threadsnap((*snap).clone())))
        .await
        .ok()?;
    if let Some(u) = zone_users.filter(|_| users) {
        tx.send(reply(Reply::EderaFalcoUsers((*u).clone())))
            .await
            .ok()?;
    }
    let mut missed = 0u64;
    loop {
        tokio::select! {
            b = events.recv() => match b {
                Ok(ZoneItem::End) | Err(broadcast::error::RecvError::Closed) => return Some(()),
                Ok(ZoneItem::Events(b)) => send_batch(&z, &b, batches, missed + z.dropped.load(Ordering::Relaxed), &tx).await?,
                // Another subscriber's fresh snapshot: this stream already has its state.
                Ok(ZoneItem::Snapshot(..)) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => missed += n,
            },
            m = input.message() => match m {
                Ok(Some(MonitorZoneKernelEventRequest { request: Some(MonitorRequest::Stop(_)), .. })) | Ok(None) | Err(_) => return Some(()),
                Ok(Some(MonitorZoneKernelEventRequest { request: Some(MonitorRequest::Update(u)), .. })) => z.ask_syscalls(&u.enabled_syscalls),
                Ok(Some(_)) => {}
            },
        }
    }
}

async fn send_batch(z: &LocalZone, b: &Batch, batches: bool, dropped: u64, tx: &Out) -> Option<()> {
    if z.garbage && !batches {
        // One-event form of a hostile zone: an unknown event type, and a parameter too long
        // for its 16-bit length.
        let bad = |event_type: u32, len: usize| ZoneKernelSyscallEvent {
            zone_id: z.id.clone(),
            event_type,
            event_params: vec![ZoneKernelEventParam {
                param_data: vec![0xaa; len],
                ..ZoneKernelEventParam::default()
            }],
            ..ZoneKernelSyscallEvent::default()
        };
        tx.send(reply(Reply::Syscall(bad(65_000, 8)))).await.ok()?;
        return tx.send(reply(Reply::Syscall(bad(5, 70_000)))).await.ok();
    }
    if batches {
        let m = ScapBatch {
            zone_id: z.id.clone(),
            events: b.to_vec(),
            dropped,
        };
        return tx.send(reply(Reply::EderaFalcoBatch(m))).await.ok();
    }
    for e in edera_falco_proto::batch::entries(b).map_while(Result::ok) {
        if let Some(m) = to_proto(&z.id, e.cpu, e.event) {
            tx.send(reply(Reply::Syscall(m))).await.ok()?;
        }
    }
    Some(())
}
