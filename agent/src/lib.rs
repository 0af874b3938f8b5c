//! The in-zone agent: captures the zone's syscalls with eBPF (`bpf/capture.bpf.c`, compiled by
//! `build.rs`, loaded with aya) and encodes them as libscap events.
//!
//! - [`probe`]: load, configure and attach the programs; drain the ring buffer;
//! - [`record`]: one syscall record as the kernel side writes it;
//! - [`coverage`]: which syscalls are captured and which of their arguments point to user
//!   memory to copy, derived from the event table of `schema/`;
//! - [`encode`]: a record as the libscap events of the current table version;
//! - [`compat`]: the same events as libscap of 2022 reads them (`capture --compat`);
//! - [`control`]: the requests a streaming agent reads on standard input;
//! - [`snapshot`]: threads, fds, users, groups and the machine from /proc and /etc.

pub mod bench;
pub mod capture;
pub mod clock;
pub mod compat;
pub mod control;
pub mod coverage;
pub mod encode;
pub mod probe;
pub mod procinfo;
pub mod record;
pub mod snapshot;
