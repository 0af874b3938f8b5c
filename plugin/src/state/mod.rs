//! Per-zone state: threads, processes, fd tables, users and groups, kept up to date by every
//! event as libsinsp's parser keeps its own (upstream `parsers.cpp`, `thread_manager.cpp`,
//! `threadinfo.cpp`, `fdinfo.cpp`), so that field values computed from it equal libsinsp's.
//!
//! Use: [`ZoneState::seed`] from the zone's snapshot (a capture's state blocks), then
//! [`ZoneState::apply`] every event in order (events in the current layouts, as the converter
//! produces them). After `apply`, until the next one, the accessors answer for that event: its
//! thread ([`ZoneState::event_thread`]), its fd ([`ZoneState::event_fd`]), and the tables as
//! libsinsp has them when it extracts fields for it. Like libsinsp, removals requested by an
//! event (a closed fd, an exited thread) take effect when the next event is applied, so fields
//! of a `close` or `procexit` event still see what was closed.
//!
//! Everything comes from an untrusted zone: damaged events are counted and skipped (state
//! changes made before the damage was found stay, as in libsinsp), nothing panics, and the
//! tables are bounded by [`StateLimits`]; what does not fit is evicted and counted.
//!
//! Layout: [`thread`], [`fd`], [`fdtable`] (the entries), [`table`] with `lifecycle`,
//! `ancestry` and `evict` (the thread table), [`users`], [`iface`], `seed` (snapshot load),
//! [`apply`] (the event parsers, one file per syscall family), [`thread_group`] (processes), and
//! helpers [`path`], [`netfmt`].

pub mod ancestry;
pub mod apply;
pub mod evict;
pub mod fd;
pub mod fdorder;
pub mod fdtable;
pub mod iface;
pub mod lifecycle;
pub mod lookup;
mod seed;
pub mod table;
pub mod thread;
pub mod thread_group;
pub mod users;
mod view;

pub use apply::{Applied, EventOutcome};
pub use fd::{FdInfo, FdType};
pub use lookup::StateLookup;
pub use table::ThreadTable;
pub use thread::Thread;
pub use users::{UserGroups, Users};

/// Per-zone caps. Beyond them entries are evicted (threads: least recently active process
/// first) or not added (fds of a full process, users), and counted in [`StateCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    /// Most thread entries.
    pub max_threads: usize,
    /// Most fds over all processes of the zone.
    pub max_fds: usize,
    /// Most fds of one process (libsinsp: 4096).
    pub max_fds_per_process: usize,
    /// Most bytes of strings (names, paths, args, env, cgroups, fd names) over all entries.
    pub max_string_bytes: usize,
    /// Most users, and most groups.
    pub max_users: usize,
    /// Most interface addresses kept from the snapshot.
    pub max_interfaces: usize,
}

impl StateLimits {
    /// The default caps (also the init config's defaults for the caps it sets).
    pub const DEFAULT: StateLimits = StateLimits {
        max_threads: 65_536,
        max_fds: 262_144,
        max_fds_per_process: 4_096,
        max_string_bytes: 256 << 20,
        max_users: 65_536,
        max_interfaces: 1_024,
    };
}

impl Default for StateLimits {
    fn default() -> Self {
        StateLimits::DEFAULT
    }
}

/// Counters of one zone's state, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounters {
    /// Events applied.
    pub events: u64,
    /// Events with a parameter libsinsp could not have read (skipped from that point).
    pub malformed_events: u64,
    /// Events of a type the event table does not have.
    pub unknown_events: u64,
    /// Thread entries evicted to stay within the caps.
    pub evicted_threads: u64,
    /// fds not kept because a process's table, or the zone, was full.
    pub evicted_fds: u64,
    /// Users and groups not kept because their table was full.
    pub refused_users: u64,
}

/// The state of one zone.
#[derive(Debug, Clone)]
pub struct ZoneState {
    /// Threads, processes and their fd tables.
    pub threads: ThreadTable,
    /// Users.
    pub users: Users,
    /// User groups (processes are [`ThreadTable::group`]).
    pub groups: UserGroups,
    /// Network interfaces, to complete socket tuples.
    pub ifaces: iface::Interfaces,
    pub limits: StateLimits,
    pub counters: StateCounters,
    /// The zone's boot time in ns since the epoch (from the snapshot), the base of
    /// `pidns_init_start_ts` of new threads.
    pub boot_ts: u64,
    pub(crate) event: EventOutcome,
    pub(crate) pending: apply::Pending,
}

impl ZoneState {
    /// An empty zone.
    pub fn new(limits: StateLimits) -> ZoneState {
        let caps = table::TableCaps {
            max_fds_per_process: limits.max_fds_per_process,
        };
        ZoneState {
            threads: ThreadTable::new(caps),
            users: Users::new(limits.max_users),
            groups: UserGroups::new(limits.max_users),
            ifaces: iface::Interfaces::default(),
            limits,
            counters: StateCounters::default(),
            boot_ts: 0,
            event: EventOutcome::default(),
            pending: apply::Pending::default(),
        }
    }

    /// A zone seeded from a snapshot (see [`ZoneState::seed`]).
    pub fn from_snapshot(
        snapshot: &edera_scap::file::CaptureState,
        limits: StateLimits,
    ) -> ZoneState {
        let mut z = ZoneState::new(limits);
        z.seed(snapshot);
        z
    }
}
