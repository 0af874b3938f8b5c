//! setsockopt's and getsockopt's option value as the PT_DYN of `sockopt_dynamic_param`, as the
//! modern probe sends it: by the option (converted to its PPM name with the native table of
//! `agent/capture.toml`), an errno, a 32- or 64-bit integer, a timeval in nanoseconds, or the
//! bytes themselves; options of other levels than SOL_SOCKET are bytes.

use super::flags::ppm;
use crate::coverage::plan;
use edera_scap::tables::flags;

/// `sockopt_dynamic_param` indexes (schema/dyn_params.toml).
const IDX_UNKNOWN: u8 = 0;
const IDX_ERRNO: u8 = 1;
const IDX_UINT32: u8 = 2;
const IDX_UINT64: u8 = 3;
const IDX_TIMEVAL: u8 = 4;

/// The SOL_SOCKET options the probe sends as a 32-bit integer.
const INT_OPTIONS: &[&str] = &[
    "SO_DEBUG",
    "SO_REUSEADDR",
    "SO_TYPE",
    "SO_DONTROUTE",
    "SO_BROADCAST",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "SO_SNDBUFFORCE",
    "SO_RCVBUFFORCE",
    "SO_KEEPALIVE",
    "SO_OOBINLINE",
    "SO_NO_CHECK",
    "SO_PRIORITY",
    "SO_BSDCOMPAT",
    "SO_REUSEPORT",
    "SO_PASSCRED",
    "SO_RCVLOWAT",
    "SO_SNDLOWAT",
    "SO_SECURITY_AUTHENTICATION",
    "SO_SECURITY_ENCRYPTION_TRANSPORT",
    "SO_SECURITY_ENCRYPTION_NETWORK",
    "SO_BINDTODEVICE",
    "SO_DETACH_FILTER",
    "SO_TIMESTAMP",
    "SO_ACCEPTCONN",
    "SO_PEERSEC",
    "SO_PASSSEC",
    "SO_TIMESTAMPNS",
    "SO_MARK",
    "SO_TIMESTAMPING",
    "SO_PROTOCOL",
    "SO_DOMAIN",
    "SO_RXQ_OVFL",
    "SO_WIFI_STATUS",
    "SO_PEEK_OFF",
    "SO_NOFCS",
    "SO_LOCK_FILTER",
    "SO_SELECT_ERR_QUEUE",
    "SO_BUSY_POLL",
    "SO_MAX_PACING_RATE",
    "SO_BPF_EXTENSIONS",
    "SO_INCOMING_CPU",
];

/// The index an option's value is sent with, by PPM option value.
fn index_of(option: u64) -> u8 {
    let o = |n| ppm(&flags::SOCKOPT_OPTIONS, n);
    if option == o("SO_ERROR") {
        IDX_ERRNO
    } else if option == o("SO_RCVTIMEO") || option == o("SO_SNDTIMEO") {
        IDX_TIMEVAL
    } else if option == o("SO_COOKIE") {
        IDX_UINT64
    } else if option != 0 && INT_OPTIONS.iter().any(|n| o(n) == option) {
        IDX_UINT32
    } else {
        IDX_UNKNOWN
    }
}

/// The PT_DYN value of option `name` (native) at `level` (native), whose bytes were copied
/// (`value`, cut at what could be copied) and whose length is `len`.
pub fn sockopt_val(level: u64, name: u64, value: &[u8], len: u64) -> Vec<u8> {
    let int = |at: usize, size: usize| {
        let mut v = [0u8; 8];
        if let Some(b) = value.get(at..at + size) {
            v[..size].copy_from_slice(b);
        }
        u64::from_le_bytes(v)
    };
    let socket_level =
        plan::SOCKOPT_LEVELS.convert(level) == ppm(&flags::SOCKOPT_LEVELS, "SOL_SOCKET");
    let index = if socket_level {
        index_of(plan::SOCKOPT_OPTIONS.convert(name))
    } else {
        IDX_UNKNOWN
    };
    let mut out = vec![index];
    match index {
        IDX_ERRNO => out.extend_from_slice(&(-i64::from(int(0, 4) as i32)).to_le_bytes()),
        IDX_UINT32 => out.extend_from_slice(&(int(0, 4) as u32).to_le_bytes()),
        IDX_UINT64 => out.extend_from_slice(&int(0, 8).to_le_bytes()),
        IDX_TIMEVAL => {
            let ns = int(0, 8)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(int(8, 8).wrapping_mul(1000));
            out.extend_from_slice(&ns.to_le_bytes());
        }
        _ => out.extend_from_slice(&value[..value.len().min(len as usize)]),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_sent_by_their_kind() {
        // SOL_SOCKET 1; SO_REUSEADDR 2, SO_ERROR 4, SO_RCVTIMEO 20, SO_COOKIE 57 (x86_64).
        assert_eq!(
            sockopt_val(1, 2, &1u32.to_le_bytes(), 4),
            [IDX_UINT32, 1, 0, 0, 0]
        );
        let mut errno = vec![IDX_ERRNO];
        errno.extend_from_slice(&(-111i64).to_le_bytes());
        assert_eq!(sockopt_val(1, 4, &111u32.to_le_bytes(), 4), errno);
        let timeval: Vec<u8> = [2u64.to_le_bytes(), 5u64.to_le_bytes()].concat();
        let mut ns = vec![IDX_TIMEVAL];
        ns.extend_from_slice(&2_000_005_000u64.to_le_bytes());
        assert_eq!(sockopt_val(1, 20, &timeval, 16), ns);
        assert_eq!(sockopt_val(1, 57, &7u64.to_le_bytes(), 8)[0], IDX_UINT64);
        // IPPROTO_TCP (6), TCP_NODELAY (1): bytes, as long as the option.
        assert_eq!(
            sockopt_val(6, 1, &[1, 0, 0, 0, 9, 9], 4),
            [IDX_UNKNOWN, 1, 0, 0, 0]
        );
    }
}
