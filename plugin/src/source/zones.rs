//! Live Edera zones through the protect daemon (skeleton).

use super::{EventSink, Poll, Source};
use crate::config::Config;
use crate::zones::ZoneRegistry;
use falco_plugin::anyhow;
use std::time::Duration;

/// How long an idle `next_batch` waits before reporting a timeout, so that Falco's loop does
/// not spin. The zone client will wait on its event queue for (at most) this long instead.
const IDLE_WAIT: Duration = Duration::from_millis(10);

/// The zone client: dials `socket`, discovers zones, streams their events.
pub struct ZoneSource {
    #[allow(dead_code)] // dialled by the zone client (follow-up)
    socket: String,
}

impl ZoneSource {
    /// A zone source for the daemon at `config.socket`. Never fails: a missing daemon is
    /// retried in the background, the Falco source keeps running.
    pub fn new(config: &Config) -> ZoneSource {
        ZoneSource {
            socket: config.socket.clone(),
        }
    }
}

impl Source for ZoneSource {
    fn fill(
        &mut self,
        _zones: &mut ZoneRegistry,
        _sink: &mut dyn EventSink,
        _max: usize,
    ) -> anyhow::Result<Poll> {
        // TODO(zone client): drain the per-zone queues fed by the gRPC client here.
        std::thread::sleep(IDLE_WAIT);
        Ok(Poll::Timeout)
    }
}
