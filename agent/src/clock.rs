//! Event timestamps: the kernel side stamps records with the boot clock; libscap events carry
//! nanoseconds since the epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// `struct timespec` on 64-bit Linux.
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

const CLOCK_BOOTTIME: i32 = 7;

/// Epoch time minus boot-clock time, now: add it to a boot-clock stamp to get epoch ns.
pub fn boot_to_epoch_offset() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    if unsafe { clock_gettime(CLOCK_BOOTTIME, &mut ts) } != 0 {
        return 0;
    }
    now.saturating_sub(ts.sec as u64 * 1_000_000_000 + ts.nsec as u64)
}
