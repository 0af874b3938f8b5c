//! The kernel side, loaded and attached with aya: the syscall table map is filled from
//! [`crate::coverage`], the agent's own process is excluded, and [`Probe::drain`] reads the
//! ring buffer without ever making the kernel wait (a full buffer drops and counts).

use crate::coverage;
use crate::record::Record;
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::RawTracePoint;
use aya::{Ebpf, EbpfLoader, Pod};

/// Errors of loading and attaching.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("loading the eBPF object: {0}")]
    Load(#[from] aya::EbpfError),
    #[error("eBPF program {0}: {1}")]
    Program(&'static str, aya::programs::ProgramError),
    #[error("eBPF map {0}: {1}")]
    Map(&'static str, String),
}

/// `struct sc_desc` of the kernel side.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ScDesc {
    enabled: u8,
    nblobs: u8,
    kind: [u8; 6],
    len_arg: [u8; 6],
    slot: [u8; 6],
}

// SAFETY: plain bytes, no padding.
unsafe impl Pod for ScDesc {}

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/capture.bpf.o"));

/// The attached probe.
pub struct Probe {
    _ebpf: Ebpf,
    ring: RingBuf<MapData>,
    drops: PerCpuArray<MapData, u64>,
}

/// Options of the probe.
#[derive(Debug, Clone)]
pub struct Options {
    /// Ring buffer size in bytes (a power of two, a multiple of the page size).
    pub ring_bytes: u32,
    /// Syscalls to capture by name; empty means every syscall of the native table.
    pub syscalls: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { ring_bytes: 16 << 20, syscalls: Vec::new() }
    }
}

impl Probe {
    /// Load, configure and attach.
    pub fn attach(o: &Options) -> Result<Probe, ProbeError> {
        let own = std::process::id();
        let mut ebpf = EbpfLoader::new()
            .override_global("own_tgid", &own, true)
            .map_max_entries("events", o.ring_bytes)
            .load(OBJECT)?;
        {
            let map = ebpf.map_mut("syscalls").ok_or(ProbeError::Map("syscalls", "missing".into()))?;
            let mut table: Array<_, ScDesc> = Array::try_from(map).map_err(|e| ProbeError::Map("syscalls", e.to_string()))?;
            for e in coverage::native_table() {
                if !o.syscalls.is_empty() && !o.syscalls.iter().any(|s| s == e.name) {
                    continue;
                }
                let p = coverage::arg_plan(e.name);
                let d = ScDesc { enabled: 1, nblobs: p.nblobs, kind: p.kind, len_arg: p.len_arg, slot: p.slot };
                table.set(e.nr, d, 0).map_err(|err| ProbeError::Map("syscalls", err.to_string()))?;
            }
        }
        for (prog, tp) in [("on_sys_exit", "sys_exit")] {
            let p: &mut RawTracePoint = ebpf
                .program_mut(prog)
                .ok_or(ProbeError::Map("program", prog.into()))?
                .try_into()
                .map_err(|e| ProbeError::Program("program type", e))?;
            p.load().map_err(|e| ProbeError::Program("load", e))?;
            p.attach(tp).map_err(|e| ProbeError::Program("attach", e))?;
        }
        let ring = RingBuf::try_from(ebpf.take_map("events").ok_or(ProbeError::Map("events", "missing".into()))?)
            .map_err(|e| ProbeError::Map("events", e.to_string()))?;
        let drops = PerCpuArray::try_from(ebpf.take_map("drops").ok_or(ProbeError::Map("drops", "missing".into()))?)
            .map_err(|e| ProbeError::Map("drops", e.to_string()))?;
        Ok(Probe { _ebpf: ebpf, ring, drops })
    }

    /// Hand every record now in the ring buffer to `f`; the number handed.
    pub fn drain(&mut self, mut f: impl FnMut(&Record<'_>)) -> usize {
        let mut n = 0;
        while let Some(item) = self.ring.next() {
            if let Some(r) = Record::parse(&item) {
                f(&r);
                n += 1;
            }
        }
        n
    }

    /// Records dropped by the kernel side because the ring buffer was full, per CPU.
    pub fn drops(&self) -> Vec<u64> {
        self.drops.get(&0, 0).map(|v| v.iter().copied().collect()).unwrap_or_default()
    }
}
