//! The stand-in daemon: serves the protect API (`protect.control.v1`, the subset in `proto/`)
//! on a unix socket for hosts without Edera, with zones that are real process trees in their
//! own PID, mount and UTS namespaces, each running the agent in streaming mode
//! ([`link`]) next to its workload. The plugin cannot tell it from Edera's daemon.
//!
//! - [`zones`]: the zone table, each zone's latest snapshot and its event broadcast;
//! - [`link`]: starting a zone and reading its agent's stream (the IDM channel's stand-in);
//! - [`workload`]: workloads (containers) run in a zone, each in its own cgroup;
//! - [`flood`]: a hostile zone flooding its subscribers (test-only, for the soak);
//! - [`service`]: the gRPC service.

pub mod flood;
pub mod link;
pub mod service;
pub mod workload;
pub mod zones;
