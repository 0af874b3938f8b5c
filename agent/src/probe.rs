//! The kernel side, loaded and attached with aya: the syscall table map is filled from
//! [`crate::coverage`], the agent's own process is excluded, each CPU writes to its own ring
//! buffer, and [`Probe::drain`] reads them in timestamp order without ever making the kernel
//! wait (a full buffer drops and counts, per CPU).

use crate::coverage;
use crate::coverage::plan::{NRINGS, RING_NAMES, ScDesc, record_head};
use crate::record::{HEAD_LEN, NARGS, Record};
use aya::Btf;
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, RawTracePoint};
use aya::{Ebpf, EbpfLoader};
use edera_scap::tables::syscalls;

const PAGE: u32 = 4096;

/// Errors of loading and attaching.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("loading the eBPF object: {0}")]
    Load(#[from] aya::EbpfError),
    #[error("eBPF program {0}: {1}")]
    Program(&'static str, aya::programs::ProgramError),
    #[error("eBPF map {0}: {1}")]
    Map(&'static str, String),
    #[error("option {0}: {1}")]
    Option(&'static str, String),
}

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/capture.bpf.o"));

/// The attached probe.
pub struct Probe {
    /// The loaded object (the programs stay attached while it lives; its syscall table can be
    /// rewritten).
    _ebpf: Ebpf,
    rings: Vec<RingBuf<MapData>>,
    /// Per ring, the records of the current drain.
    batches: Vec<Batch>,
    drops: PerCpuArray<MapData, u64>,
}

/// Options of the probe.
#[derive(Debug, Clone)]
pub struct Options {
    /// Size of each CPU's ring buffer in bytes (a power of two, a multiple of the page size).
    pub ring_bytes: u32,
    /// Syscalls to capture by name; empty means every syscall of the native table.
    pub syscalls: Vec<String>,
    /// Whether thread exits are captured.
    pub procexit: bool,
    /// Capture only this pid namespace (device and inode of its `/proc/<pid>/ns/pid`), with
    /// ids as it numbers them: the zone the agent runs in, when zones share a kernel (the
    /// stand-in daemon's). `None`: every task of the kernel (an Edera zone has its own).
    pub pidns: Option<(u64, u64)>,
}

impl Options {
    /// The pid namespace of this process, for [`Options::pidns`].
    pub fn own_pidns() -> std::io::Result<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata("/proc/self/ns/pid")?;
        Ok((m.dev(), m.ino()))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ring_bytes: 8 << 20,
            syscalls: Vec::new(),
            procexit: true,
            pidns: None,
        }
    }
}

fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Probe {
    /// Load, configure and attach.
    pub fn attach(o: &Options) -> Result<Probe, ProbeError> {
        if !o.ring_bytes.is_power_of_two() || o.ring_bytes < PAGE {
            return Err(ProbeError::Option(
                "ring size",
                format!(
                    "{} bytes is not a power of two of at least one page",
                    o.ring_bytes
                ),
            ));
        }
        check_names(&o.syscalls)?;
        let own = std::process::id();
        let procexit = u32::from(o.procexit);
        let used = online_cpus().min(NRINGS);
        let mut loader = EbpfLoader::new();
        let (ns_dev, ns_ino) = o.pidns.unwrap_or((0, 0));
        loader
            .override_global("own_tgid", &own, true)
            .override_global("procexit_enabled", &procexit, true)
            .override_global("pidns_dev", &ns_dev, true)
            .override_global("pidns_ino", &ns_ino, true);
        for (i, name) in RING_NAMES.iter().enumerate() {
            loader.map_max_entries(name, if i < used { o.ring_bytes } else { PAGE });
        }
        let mut ebpf = loader.load(OBJECT)?;
        fill_syscalls(&mut ebpf, &o.syscalls)?;
        // sys_exit as a BTF-typed tracepoint (the registers are read without helper calls),
        // forks too (the caller's registers, for clone3's flags); process exits as a raw
        // tracepoint.
        let btf = Btf::from_sys_fs().map_err(|e| ProbeError::Map("kernel BTF", e.to_string()))?;
        attach_btf(&mut ebpf, "on_sys_exit", "sys_exit", &btf)?;
        attach_btf(&mut ebpf, "on_process_fork", "sched_process_fork", &btf)?;
        let p: &mut RawTracePoint = ebpf
            .program_mut("on_process_exit")
            .ok_or(ProbeError::Map("program", "on_process_exit".into()))?
            .try_into()
            .map_err(|e| ProbeError::Program("program type", e))?;
        p.load().map_err(|e| ProbeError::Program("load", e))?;
        p.attach("sched_process_exit")
            .map_err(|e| ProbeError::Program("attach", e))?;
        let mut rings = Vec::with_capacity(used);
        for name in &RING_NAMES[..used] {
            let map = ebpf
                .take_map(name)
                .ok_or(ProbeError::Map("ring", (*name).into()))?;
            rings.push(RingBuf::try_from(map).map_err(|e| ProbeError::Map("ring", e.to_string()))?);
        }
        let drops = PerCpuArray::try_from(
            ebpf.take_map("drops")
                .ok_or(ProbeError::Map("drops", "missing".into()))?,
        )
        .map_err(|e| ProbeError::Map("drops", e.to_string()))?;
        let batches = rings.iter().map(|_| Batch::default()).collect();
        Ok(Probe {
            _ebpf: ebpf,
            rings,
            batches,
            drops,
        })
    }

    /// Hand every record now in the ring buffers to `f`, oldest first across CPUs; the number
    /// handed. Each ring is in order; its records are copied out (freeing the ring at once)
    /// and merged by timestamp, as libscap merges its per-CPU buffers.
    pub fn drain(&mut self, mut f: impl FnMut(&Record<'_>)) -> usize {
        for (ring, batch) in self.rings.iter_mut().zip(self.batches.iter_mut()) {
            batch.clear();
            while let Some(item) = ring.next() {
                batch.push(&item);
            }
        }
        let mut next = vec![0usize; self.batches.len()];
        let mut n = 0;
        loop {
            let oldest = self
                .batches
                .iter()
                .zip(&next)
                .enumerate()
                .filter_map(|(i, (b, &k))| b.get(k).map(|r| (i, ts_of(r))))
                .min_by_key(|&(_, ts)| ts);
            let Some((i, _)) = oldest else { break };
            if let Some(r) = self.batches[i].get(next[i]).and_then(Record::parse) {
                f(&r);
                n += 1;
            }
            next[i] += 1;
        }
        n
    }

    /// Change the captured syscalls while attached (empty: every syscall); the kernel side
    /// reads the table on every syscall, so the change takes effect at once.
    pub fn set_syscalls(&mut self, syscalls: &[String]) -> Result<(), ProbeError> {
        check_names(syscalls)?;
        fill_syscalls(&mut self._ebpf, syscalls)
    }

    /// Records dropped by the kernel side because a ring buffer was full, per CPU.
    pub fn drops(&self) -> Vec<u64> {
        self.drops
            .get(&0, 0)
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// The timestamp of a raw record (`ts_exit`); records too short sort first and are
/// skipped by the parser.
fn ts_of(b: &[u8]) -> u64 {
    if b.len() < HEAD_LEN {
        return 0;
    }
    let at = record_head::TS_EXIT;
    u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Load program `name` as a BTF-typed tracepoint on `tracepoint` and attach it.
fn attach_btf(
    ebpf: &mut Ebpf,
    name: &'static str,
    tracepoint: &str,
    btf: &Btf,
) -> Result<(), ProbeError> {
    let p: &mut BtfTracePoint = ebpf
        .program_mut(name)
        .ok_or(ProbeError::Map("program", name.into()))?
        .try_into()
        .map_err(|e| ProbeError::Program("program type", e))?;
    p.load(tracepoint, btf)
        .map_err(|e| ProbeError::Program("load", e))?;
    p.attach().map_err(|e| ProbeError::Program("attach", e))?;
    Ok(())
}

fn check_names(syscalls: &[String]) -> Result<(), ProbeError> {
    match syscalls
        .iter()
        .find(|s| syscalls::native_by_name(s).is_none())
    {
        Some(s) => Err(ProbeError::Option(
            "syscalls",
            format!("`{s}` is not a syscall of this architecture"),
        )),
        None => Ok(()),
    }
}

/// Write the syscall table: every syscall of the native table, enabled when `syscalls` is
/// empty or names it.
fn fill_syscalls(ebpf: &mut Ebpf, syscalls: &[String]) -> Result<(), ProbeError> {
    let map = ebpf
        .map_mut("syscalls")
        .ok_or(ProbeError::Map("syscalls", "missing".into()))?;
    let mut table: Array<_, ScDesc> =
        Array::try_from(map).map_err(|e| ProbeError::Map("syscalls", e.to_string()))?;
    for e in syscalls::NATIVE {
        let enabled = syscalls.is_empty() || syscalls.iter().any(|s| s == e.name);
        let p = coverage::arg_plan(e.name);
        let d = ScDesc {
            enabled: u8::from(enabled),
            nblobs: p.nblobs,
            kind: p.kind,
            len_arg: p.len_arg,
            slot: p.slot,
            fd_src: p.fd_src,
            second_arg: p.second.map_or(NARGS as u8, |s| s.arg),
            want: p.want,
            second_kind: p.second.map_or(0, |s| s.kind),
            second_len_arg: p.second.map_or(0, |s| s.len_arg),
            second_slot: p.second.map_or(0xff, |s| s.slot),
            pad: 0,
        };
        table
            .set(e.nr, d, 0)
            .map_err(|err| ProbeError::Map("syscalls", err.to_string()))?;
    }
    Ok(())
}

/// Records copied out of one ring: their bytes back to back, and where each ends.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, r: &[u8]) {
        self.bytes.extend_from_slice(r);
        self.ends.push(self.bytes.len());
    }

    fn get(&self, k: usize) -> Option<&[u8]> {
        let end = *self.ends.get(k)?;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        Some(&self.bytes[start..end])
    }
}
