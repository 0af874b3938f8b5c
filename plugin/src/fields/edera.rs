//! `edera.*`: which zone an event comes from, and the condition forms of libsinsp fields that
//! compare inside the filter: every ancestor's value as a list (`edera.proc.anames`, ...; a bare
//! `proc.aname = X` in libsinsp means "some ancestor is X") and the data buffer as spaced hex
//! (`edera.evt.buffer_hex`, for libsinsp's byte-buffer operators); and the workload (container)
//! the event's thread runs in (`edera.workload.*`).

use std::ffi::CString;
use std::fmt::Write;

use falco_plugin::anyhow;

use super::container::{image, with_workload};
use super::ctx::{Req, with_event};
use super::evt::with_data;
use super::proc::{pid_text, with_proc};
use super::value::text;
use crate::plugin::EderaPlugin;
use crate::state::Thread;

/// `edera.zone.id`: the zone's id; no value when the zone is no longer registered.
pub fn zone_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| c.zone.map(|z| z.id_c().clone()))
}

/// `edera.zone.name`: the zone's name as the daemon reports it (the file name for replays).
pub fn zone_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| c.zone.map(|z| z.name_c().clone()))
}

/// `edera.workload.id`: the full id of the thread's workload; no value outside workloads.
pub fn workload_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, w| text(w?.id.as_str()))
}

/// `edera.workload.name`.
pub fn workload_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, w| text(w?.name.as_str()))
}

/// `edera.workload.image`: the image reference from the annotations, else the digest.
pub fn workload_image(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_workload(p, &req, |_, _, w| text(image(w?)))
}

/// One value per known ancestor of the event's process, parent first (the ancestors libsinsp's
/// bare `proc.a*` conditions visit); no value when there is none.
fn ancestor_values(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    value: impl Fn(&Thread) -> Option<CString>,
) -> anyhow::Result<Option<Vec<CString>>> {
    with_proc(p, req, |_, s, t| {
        let all: Vec<CString> = s
            .ancestors_of(t.tid)
            .into_iter()
            .filter_map(value)
            .collect();
        (!all.is_empty()).then_some(all)
    })
}

/// `edera.proc.anames`.
pub fn proc_anames(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Vec<CString>>> {
    ancestor_values(p, &req, |a| text(a.comm.clone()))
}

/// `edera.proc.aexes`.
pub fn proc_aexes(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Vec<CString>>> {
    ancestor_values(p, &req, |a| text(a.exe.clone()))
}

/// `edera.proc.aexepaths`.
pub fn proc_aexepaths(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Vec<CString>>> {
    ancestor_values(p, &req, |a| text(a.exepath.clone()))
}

/// `edera.proc.acmdlines`.
pub fn proc_acmdlines(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Vec<CString>>> {
    ancestor_values(p, &req, |a| text(a.cmdline()))
}

/// `edera.proc.apids`: signed decimals, as `proc.apid[N]`.
pub fn proc_apids(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Vec<CString>>> {
    ancestor_values(p, &req, |a| pid_text(a.pid))
}

/// The bytes as two lowercase hex digits each, separated by single spaces.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `edera.evt.buffer_hex`.
pub fn evt_buffer_hex(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_data(p, &req, |data| text(spaced_hex(data)))
}

#[cfg(test)]
mod tests {
    use super::spaced_hex;

    #[test]
    fn spaced_hex_keeps_bytes_apart() {
        assert_eq!(spaced_hex(&[0xca, 0xfe, 0xba, 0xbe]), "ca fe ba be");
        assert_eq!(spaced_hex(&[0x00, 0x0a]), "00 0a");
        assert_eq!(spaced_hex(&[]), "");
        // A pattern of whole bytes cannot match across a byte boundary: 0x0c 0xaf contains the
        // digits "ca" but not the byte.
        assert!(!spaced_hex(&[0x0c, 0xaf]).contains("ca"));
    }
}
