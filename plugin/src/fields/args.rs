//! The `evt.arg.NAME` / `evt.rawarg.NAME` literal fields, one per distinct parameter name of the
//! event table; `name_id` indexes `edera_scap::tables::PARAM_NAMES`.

use std::ffi::CString;

use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use crate::plugin::EderaPlugin;
use crate::render::{self, RawText};

fn cstring(mut bytes: Vec<u8>) -> Option<CString> {
    bytes.retain(|&b| b != 0);
    CString::new(bytes).ok()
}

/// `evt.arg.NAME`: the parameter rendered as in `evt.args`; no value when the event has none.
pub fn arg_by_name(p: &mut EderaPlugin, req: Req, name_id: u16) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let mut out = Vec::new();
        render::write_arg_named(
            &mut out,
            &c.raw,
            name_id,
            &c.lookup(),
            &render::Options::default(),
        )
        .then(|| cstring(out))
        .flatten()
    })
}

/// `evt.rawarg.NAME` of a parameter that is text (or signed) in some event: its raw text.
pub fn rawarg_str_by_name(
    p: &mut EderaPlugin,
    req: Req,
    name_id: u16,
) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let mut out = Vec::new();
        match render::write_rawarg_named(&mut out, &c.raw, name_id, &render::Options::default()) {
            RawText::Text => cstring(out),
            RawText::NoValue | RawText::Error => None,
        }
    })
}

/// `evt.rawarg.NAME` of a parameter that is an unsigned integer in every event: the number.
pub fn rawarg_u64_by_name(
    p: &mut EderaPlugin,
    req: Req,
    name_id: u16,
) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |c| {
        let mut out = Vec::new();
        match render::write_rawarg_named(&mut out, &c.raw, name_id, &render::Options::default()) {
            RawText::Text => std::str::from_utf8(&out).ok()?.parse().ok(),
            RawText::NoValue | RawText::Error => None,
        }
    })
}
