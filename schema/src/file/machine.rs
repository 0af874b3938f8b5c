//! The machine info block (MI, 0x201).
//!
//! Body: the packed `scap_machine_info` struct, 180 bytes: `{num_cpus: u32,
//! memory_size_bytes: u64, max_pid: u64, hostname: [u8; 128], boot_ts_epoch: u64, flags: u64,
//! reserved3: u64, reserved4: u64}`. Old captures have the same size (the two words that are now
//! `boot_ts_epoch` and `flags` were reserved). libscap reads exactly 180 bytes; a longer body is
//! accepted here and its excess ignored.

use super::cursor::{Cursor, c_str};
use super::error::{ReadError, Result};
use super::model::MachineInfo;

/// Size of the machine info struct on disk.
pub const MACHINE_INFO_LEN: usize = 180;

/// Parses a machine info body.
pub(crate) fn parse(body: &[u8], body_offset: u64) -> Result<MachineInfo> {
    if body.len() < MACHINE_INFO_LEN {
        return Err(ReadError::Truncated {
            offset: body_offset,
            what: "machine info",
            needed: MACHINE_INFO_LEN as u64,
            available: body.len() as u64,
        });
    }
    let mut c = Cursor::new(body, body_offset);
    Ok(MachineInfo {
        num_cpus: c.u32("num_cpus")?,
        memory_size_bytes: c.u64("memory_size_bytes")?,
        max_pid: c.u64("max_pid")?,
        hostname: c_str(c.bytes(128, "hostname")?),
        boot_ts_epoch: c.u64("boot_ts_epoch")?,
        flags: c.u64("flags")?,
        reserved3: c.u64("reserved3")?,
        reserved4: c.u64("reserved4")?,
    })
}
