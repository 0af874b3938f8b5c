//! Reader for libscap capture files (`.scap`), plain or gzip, as libscap reads them.
//!
//! A capture is a sequence of pcapng-style blocks (see [`block`]): a section header
//! ([`section`]), state blocks — machine info ([`machine`]), interface list ([`iflist`]), user
//! list ([`userlist`]), process list ([`proclist`]), fd lists ([`fdlist`]) — then event blocks
//! ([`events`]). [`CaptureReader`] streams them as [`Item`]s; state comes out as the plain types
//! of [`model`], which the capture writer shares; events come out normalized to the in-memory
//! form libscap hands to libsinsp.
//!
//! The reader needs two facts per event type from the current event table (parameter count,
//! large-payload flag); the caller supplies them through [`EventTable`], e.g. as a closure.
//!
//! Every byte is treated as hostile: all reads are bounds-checked, no allocation is sized by a
//! length from the file before that length has been checked against the [`Limits`] and the bytes
//! actually present, and every error ([`ReadError`]) names its offset in the decompressed stream.
//!
//! ```no_run
//! use edera_scap::file::{CaptureReader, EventShape, Limits};
//! let table = |t: u16| (t < 454).then_some(EventShape { nparams: 2, large_payload: false });
//! let mut r = CaptureReader::open("x.scap", table, Limits::default())?;
//! let state = r.read_state()?;
//! while let Some(ev) = r.next_event()? {
//!     println!("{} {} {} cpu={}", ev.ts(), ev.tid(), ev.event_type(), ev.cpu);
//! }
//! # Ok::<(), edera_scap::file::ReadError>(())
//! ```

pub mod block;
mod cursor;
mod entry;
pub mod error;
pub mod events;
pub mod fdlist;
pub mod iflist;
mod input;
pub mod item;
pub mod limits;
pub mod machine;
pub mod model;
pub mod proclist;
pub mod reader;
pub mod section;
pub mod table;
pub mod userlist;
pub mod writer;

pub use error::{ReadError, Result};
pub use events::{Event, EventRef, EventShape, EventTable};
pub use item::{CaptureState, Item, ReadStats};
pub use limits::Limits;
pub use model::{
    BlockOption, FdDetail, FdInfo, FdType, GroupInfo, InterfaceAddr, InterfaceInfo, MachineInfo,
    SectionHeader, ThreadInfo, UserInfo, lossy, split_nul,
};
pub use reader::CaptureReader;
pub use table::GeneratedTable;
pub use writer::CaptureWriter;
