//! The in-zone agent: captures the zone's syscalls with eBPF (`bpf/capture.bpf.c`, compiled by
//! `build.rs`, loaded with aya) and encodes them as libscap events.
//!
//! - [`probe`]: load, configure and attach the programs; drain the ring buffer;
//! - [`record`]: one syscall record as the kernel side writes it;
//! - [`coverage`]: which syscalls are captured and which of their arguments point to user
//!   memory to copy, derived from the event table of `schema/`;
//! - [`procinfo`]: the process parameters of clone/fork/exec exit events;
//! - [`clock`]: boot-clock record timestamps as nanoseconds since the epoch;
//! - [`encode`]: a record as the libscap events of the current table version;
//! - [`compat`]: the same events as libscap of 2022 reads them (`capture --compat`);
//! - [`snapshot`]: threads, fds, users, groups and the machine from /proc and /etc;
//! - [`capture`]: `capture -w FILE`, a capture file of a command's run;
//! - [`control`]: the requests a streaming agent reads on standard input;
//! - [`bench`]: `bench`, the capture's cost on syscall-heavy workloads.

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
