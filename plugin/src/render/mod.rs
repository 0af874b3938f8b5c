//! Event parameters as libsinsp renders them: `evt.args`/`evt.info`, `evt.arg[N]`,
//! `evt.arg.NAME`, `evt.rawarg.NAME`, `evt.res`/`evt.rawres`/`evt.failed`, and the one-line
//! form of `evt.plugininfo`.
//!
//! Everything is a pure function of the raw event ([`RawEvent`], current layout: convert old
//! layouts first), a [`Lookup`] into the zone's state, and [`Options`]. Texts are appended to a
//! caller-provided byte buffer; nothing else is allocated. Texts are bytes, not UTF-8: libsinsp
//! passes strings and paths through unchanged, and so does this (a zone may name files in any
//! encoding). No text ever contains a NUL byte, so every text fits a C string.
//!
//! Hostile input: every length is checked; where libsinsp would throw or read out of bounds,
//! the parameter renders as [`INVALID`] (documented per case in [`param`] and [`raw`]). The
//! size of a text is bounded by the event's size (at most a constant factor for hex dumps),
//! and by libsinsp's own caps where it has them.
//!
//! Modules, one concern each: [`lookup`] (the state trait), [`sink`] (how a parameter's value
//! and resolved texts combine), [`param`] (one parameter, formatted), [`raw`] (one parameter,
//! raw), [`args`] (event-level fields), and the helpers [`numeric`], [`flags`], [`buffer`],
//! [`net`], [`path`], [`time`], [`errno`], [`signal`], [`resolve`].

pub mod args;
pub mod buffer;
pub mod errno;
pub mod flags;
pub mod lookup;
pub mod numeric;
pub mod param;
pub mod raw;
pub mod resolve;
pub mod signal;
pub mod sink;
pub mod time;

pub use args::{
    event_type_name, failed, param_index, return_value, write_arg, write_arg_named, write_args,
    write_event_line, write_rawarg_named, write_res,
};
pub use buffer::BufFmt;
pub use lookup::{FdRef, Lookup, NoState};
pub use param::INVALID;
pub use raw::RawText;

use edera_scap::event::RawEvent;

/// Rendering options that Falco (or sysdig) sets on its inspector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How byte buffers print: [`BufFmt::NORMAL`] (Falco's default) or [`BufFmt::BASE64`]
    /// (Falco `-b`), or another of libsinsp's formats.
    pub buffer_format: BufFmt,
    /// libsinsp's "max event output length": byte buffers printed in the normal format are cut
    /// to this many characters, ending in `...`. 0 (Falco) is no limit; sysdig uses 80.
    pub max_output_len: u32,
}

impl Default for Options {
    /// Falco's settings.
    fn default() -> Self {
        Options {
            buffer_format: BufFmt::NORMAL,
            max_output_len: 0,
        }
    }
}

/// The one-line form of `ev` for `evt.plugininfo`: `evt.type` and `evt.args`, with Falco's
/// options (see [`write_event_line`]).
pub fn event_line(ev: &RawEvent<'_>, lookup: &dyn Lookup) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_event_line(&mut out, ev, lookup, &Options::default());
    out
}
