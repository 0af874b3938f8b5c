//! The streaming capture reader.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use super::block::{BlockHeader, BlockKind, EventBlock, FRAMING_LEN, SHB};
use super::cursor::Cursor;
use super::error::{ReadError, Result};
use super::events::{self, Decoded, EventRef, EventTable};
use super::input::Input;
use super::item::{CaptureState, Item, ReadStats};
use super::limits::Limits;
use super::model::SectionHeader;
use super::userlist::UserEntry;
use super::{fdlist, iflist, machine, proclist, section, userlist};

#[derive(Debug, Clone, Copy)]
enum ListKind {
    Proc(u8),
    Fd { tid: u64, v2: bool },
    User(bool),
}

/// A list block being handed out entry by entry.
#[derive(Debug, Clone, Copy)]
struct List {
    kind: ListKind,
    header: BlockHeader,
    pos: usize,
}

enum Step {
    Item(Item<'static>),
    /// An event, the reader's current one.
    Event,
    /// The next block is an event block (only with `stop_at_event`).
    AtEvent,
    Eof,
}

/// What [`CaptureReader::next_event`] takes from one step.
enum EventStep {
    /// An event, the reader's current one.
    Event,
    /// Something else was read (state, a skipped event).
    Other,
    Eof,
}

/// Reads a libscap capture file (plain or gzip) block by block.
///
/// State blocks come out entry by entry as [`Item`]s; events come out normalized into the
/// current in-memory form, borrowed from buffers that are reused for every event. Errors name the
/// offset in the decompressed stream; after a fatal error every call returns
/// [`ReadError::Stopped`], after a recoverable one ([`ReadError::BadEvent`]) reading goes on with
/// the next block.
///
/// Differences from libscap, all on input libscap does not produce: blocks of unknown type are
/// skipped anywhere (libscap only skips them before the first event); state blocks after events
/// are handed out too (libscap only accepts a new section there); trailers of event blocks are
/// checked (libscap only checks those of state blocks); a file without events is not an error;
/// the machine block may be longer than its 180 bytes.
pub struct CaptureReader<R: Read, T: EventTable> {
    input: Input<R>,
    table: T,
    limits: Limits,
    /// The current block's body, in the input's window.
    body: Range<usize>,
    /// The current event, and the header of its block.
    event: Decoded,
    event_header: BlockHeader,
    converted: Vec<u8>,
    pending: Option<BlockHeader>,
    first_section: Option<SectionHeader>,
    section: SectionHeader,
    list: Option<List>,
    stats: ReadStats,
    fd_counts: HashMap<u64, u32>,
    stopped: Option<u64>,
}

impl<T: EventTable> CaptureReader<File, T> {
    /// Opens the capture at `path` and reads its section header.
    pub fn open(path: impl AsRef<Path>, table: T, limits: Limits) -> Result<Self> {
        let file = File::open(path).map_err(|source| ReadError::Io { offset: 0, source })?;
        Self::new(file, table, limits)
    }
}

impl<R: Read, T: EventTable> CaptureReader<R, T> {
    /// Reads a capture from `reader` (plain or gzip); reads and checks its section header.
    pub fn new(reader: R, table: T, limits: Limits) -> Result<Self> {
        let mut input = Input::new(reader)?;
        let Some(header) = input.block_header()? else {
            return Err(ReadError::Truncated {
                offset: 0,
                what: "capture (empty file)",
                needed: 28,
                available: 0,
            });
        };
        if header.block_type != SHB {
            return Err(ReadError::malformed(
                0,
                "capture",
                format!(
                    "first block has type {:#x}; a scap capture starts with a section header \
                     block ({SHB:#010x})",
                    header.block_type
                ),
            ));
        }
        let mut reader = CaptureReader {
            input,
            table,
            limits,
            body: 0..0,
            event: Decoded::default(),
            event_header: header,
            converted: Vec::new(),
            pending: None,
            first_section: None,
            section: SectionHeader {
                major: 0,
                minor: 0,
                section_length: 0,
                options: Vec::new(),
            },
            list: None,
            stats: ReadStats::default(),
            fd_counts: HashMap::new(),
            stopped: None,
        };
        let sh = reader.section_block(header)?;
        reader.first_section = Some(sh);
        Ok(reader)
    }

    /// The header of the current section.
    pub fn section(&self) -> &SectionHeader {
        &self.section
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Offset reached in the decompressed stream.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// True when the file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.input.is_compressed()
    }

    /// Bytes the reader's own buffers currently reserve (bounded by the limits).
    pub fn buffer_capacity(&self) -> usize {
        self.input.capacity() + self.converted.capacity()
    }

    /// The next item, or `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item<'_>>> {
        Ok(match self.step()? {
            Step::Eof | Step::AtEvent => None,
            Step::Item(item) => Some(item),
            Step::Event => Some(Item::Event(self.event_ref())),
        })
    }

    /// The next event, skipping (but still checking and counting) everything else; `None` at
    /// the end of the file.
    pub fn next_event(&mut self) -> Result<Option<EventRef<'_>>> {
        loop {
            match self.guard(Self::step_event)? {
                EventStep::Eof => return Ok(None),
                EventStep::Other => continue,
                EventStep::Event => return Ok(Some(self.event_ref())),
            }
        }
    }

    /// [`Self::step_inner`] for [`Self::next_event`]: an event block between other blocks is
    /// decoded straight away, without going through [`Step`] (which is large: an [`Item`]).
    #[inline]
    fn step_event(&mut self) -> Result<EventStep> {
        if self.first_section.is_none() && self.list.is_none() {
            let header = match self.pending.take() {
                Some(h) => h,
                None => match self.input.block_header()? {
                    Some(h) => h,
                    None => return Ok(EventStep::Eof),
                },
            };
            if let BlockKind::Event(ev) = BlockKind::of(header.block_type) {
                return Ok(if self.event_block(ev, &header)? {
                    EventStep::Event
                } else {
                    EventStep::Other
                });
            }
            self.pending = Some(header);
        }
        Ok(match self.step_inner(false)? {
            Step::Eof | Step::AtEvent => EventStep::Eof,
            Step::Item(_) => EventStep::Other,
            Step::Event => EventStep::Event,
        })
    }

    /// Reads every state block up to the first event block (or the end of the file) and
    /// returns them collected; the following `next_event` call returns the first event.
    pub fn read_state(&mut self) -> Result<CaptureState> {
        let mut state = CaptureState::default();
        loop {
            let item = match self.guard(|r| r.step_inner(true))? {
                Step::Eof | Step::AtEvent | Step::Event => return Ok(state),
                Step::Item(item) => item,
            };
            match item {
                Item::Section(_) | Item::Event(_) => {}
                Item::Machine(m) => state.machine = Some(m),
                Item::Interfaces(list) => state.interfaces = list,
                Item::User(u) => state.users.push(u),
                Item::Group(g) => state.groups.push(g),
                Item::Thread(t) => state.threads.push(*t),
                Item::Fd { tid, fd } => state.fds.entry(tid).or_default().push(fd),
                Item::UnknownBlock { .. } => state.unknown_blocks += 1,
            }
        }
    }

    #[inline]
    fn event_ref(&self) -> EventRef<'_> {
        let e = &self.event;
        let bytes = if e.converted {
            &self.converted[..]
        } else {
            self.input.window(&self.body)
        };
        EventRef::new(
            e.cpu,
            e.flags,
            &self.event_header,
            e.large,
            bytes.get(e.start..e.end).unwrap_or(&[]),
        )
    }

    /// Runs `f`, turning a fatal error into the stopped state.
    #[inline]
    fn guard<V>(&mut self, f: impl FnOnce(&mut Self) -> Result<V>) -> Result<V> {
        if let Some(offset) = self.stopped {
            return Err(ReadError::Stopped { offset });
        }
        let r = f(self);
        if let Err(e) = &r {
            if e.is_recoverable() {
                self.stats.bad_events += 1;
            } else {
                self.stopped = Some(e.offset());
            }
        }
        r
    }

    fn step(&mut self) -> Result<Step> {
        self.guard(|r| r.step_inner(false))
    }

    /// Reads until something can be handed out. With `stop_at_event`, an event block's header
    /// is kept for later and `Step::AtEvent` returned instead.
    fn step_inner(&mut self, stop_at_event: bool) -> Result<Step> {
        if let Some(sh) = self.first_section.take() {
            return Ok(Step::Item(Item::Section(sh)));
        }
        loop {
            if self.list.is_some() {
                if let Some(item) = self.list_item()? {
                    return Ok(Step::Item(item));
                }
                continue;
            }
            let header = match self.pending.take() {
                Some(h) => h,
                None => match self.input.block_header()? {
                    Some(h) => h,
                    None => return Ok(Step::Eof),
                },
            };
            if stop_at_event && matches!(BlockKind::of(header.block_type), BlockKind::Event(_)) {
                self.pending = Some(header);
                return Ok(Step::AtEvent);
            }
            if let Some(step) = self.block_step(header)? {
                return Ok(step);
            }
        }
    }

    /// Checks a block's length against the framing and the limits; returns the body length.
    fn body_len(&mut self, h: &BlockHeader, kind: BlockKind) -> Result<u32> {
        let Some(len) = h.body_len() else {
            return Err(ReadError::malformed(
                h.offset + 4,
                "block header",
                format!(
                    "block (type {:#x}) total length {} is smaller than the {FRAMING_LEN} bytes \
                     of block framing",
                    h.block_type, h.total_length
                ),
            ));
        };
        if len > self.limits.max_block_bytes {
            return Err(ReadError::limit(
                h.offset + 4,
                "block body length",
                len.into(),
                self.limits.max_block_bytes.into(),
            ));
        }
        if kind.is_state() {
            let total = self.stats.state_bytes + u64::from(len);
            if total > self.limits.max_state_bytes {
                return Err(ReadError::limit(
                    h.offset,
                    "total bytes of state blocks",
                    total,
                    self.limits.max_state_bytes,
                ));
            }
            self.stats.state_bytes = total;
        }
        Ok(len)
    }

    #[inline]
    fn read_block(&mut self, h: &BlockHeader, kind: BlockKind) -> Result<()> {
        let len = self.body_len(h, kind)?;
        self.body = self.input.block(h, len as usize, "block body")?;
        self.stats.blocks += 1;
        Ok(())
    }

    fn section_block(&mut self, h: BlockHeader) -> Result<SectionHeader> {
        self.read_block(&h, BlockKind::Section)?;
        let sh = section::parse(self.input.window(&self.body), h.body_offset())?;
        self.stats.sections += 1;
        // A new section starts a new state (libscap re-reads its tables there).
        self.fd_counts.clear();
        self.section = sh.clone();
        Ok(sh)
    }

    /// Handles one block; `None` when it produced nothing to hand out yet.
    fn block_step(&mut self, h: BlockHeader) -> Result<Option<Step>> {
        let kind = BlockKind::of(h.block_type);
        if kind == BlockKind::Unknown {
            let len = self.body_len(&h, kind)?;
            self.input.skip(len.into(), "unknown block body")?;
            self.input.trailer(&h)?;
            self.stats.blocks += 1;
            self.stats.unknown_blocks += 1;
            return Ok(Some(Step::Item(Item::UnknownBlock {
                block_type: h.block_type,
                offset: h.offset,
                total_length: h.total_length,
            })));
        }
        if kind == BlockKind::Section {
            return Ok(Some(Step::Item(Item::Section(self.section_block(h)?))));
        }
        if let BlockKind::Event(ev) = kind {
            return Ok(self.event_block(ev, &h)?.then_some(Step::Event));
        }
        self.read_block(&h, kind)?;
        let at = h.body_offset();
        let item = match kind {
            BlockKind::Machine => Item::Machine(machine::parse(self.input.window(&self.body), at)?),
            BlockKind::IfList(v2) => {
                let list = iflist::parse(self.input.window(&self.body), at, v2, &self.limits)?;
                self.stats.interfaces += list.len() as u64;
                Item::Interfaces(list)
            }
            BlockKind::ProcList(v) => {
                self.list = Some(List {
                    kind: ListKind::Proc(v),
                    header: h,
                    pos: 0,
                });
                return Ok(None);
            }
            BlockKind::UserList(v2) => {
                self.list = Some(List {
                    kind: ListKind::User(v2),
                    header: h,
                    pos: 0,
                });
                return Ok(None);
            }
            BlockKind::FdList(v2) => {
                let tid = fdlist::tid(&mut Cursor::new(self.input.window(&self.body), at))?;
                self.list = Some(List {
                    kind: ListKind::Fd { tid, v2 },
                    header: h,
                    pos: 8,
                });
                return Ok(None);
            }
            BlockKind::Event(_) | BlockKind::Section | BlockKind::Unknown => return Ok(None),
        };
        Ok(Some(Step::Item(item)))
    }

    /// Reads and decodes the event block whose header is `h` as the current event; `false` for an
    /// event of a type the table does not have (skipped).
    #[inline]
    fn event_block(&mut self, ev: EventBlock, h: &BlockHeader) -> Result<bool> {
        self.read_block(h, BlockKind::Event(ev))?;
        self.stats.event_blocks += 1;
        let known = events::decode(
            ev,
            h,
            self.input.window(&self.body),
            &self.table,
            &mut self.converted,
            &mut self.event,
        )?;
        if !known {
            self.stats.unknown_type_events += 1;
            return Ok(false);
        }
        self.stats.events += 1;
        self.event_header = *h;
        Ok(true)
    }

    /// The next entry of the list block in progress; `None` (and the list closed) when fewer
    /// than 4 bytes are left, which is padding.
    fn list_item(&mut self) -> Result<Option<Item<'static>>> {
        let Some(list) = self.list else {
            return Ok(None);
        };
        let rest = self.input.window(&self.body).get(list.pos..).unwrap_or(&[]);
        if rest.len() < 4 {
            self.list = None;
            return Ok(None);
        }
        let base = list.header.body_offset() + list.pos as u64;
        let mut c = Cursor::new(rest, base);
        let limits = &self.limits;
        let item = match list.kind {
            ListKind::Proc(v) => {
                let t = proclist::next_entry(&mut c, v, limits)?;
                self.stats.threads += 1;
                if self.stats.threads > limits.max_threads {
                    return Err(ReadError::limit(
                        base,
                        "threads",
                        self.stats.threads,
                        limits.max_threads,
                    ));
                }
                Item::Thread(Box::new(t))
            }
            ListKind::User(v2) => {
                let e = userlist::next_entry(&mut c, v2, limits)?;
                let n = self.stats.users + self.stats.groups + 1;
                if n > limits.max_users_groups {
                    return Err(ReadError::limit(
                        base,
                        "users and groups",
                        n,
                        limits.max_users_groups,
                    ));
                }
                match e {
                    UserEntry::User(u) => {
                        self.stats.users += 1;
                        Item::User(u)
                    }
                    UserEntry::Group(g) => {
                        self.stats.groups += 1;
                        Item::Group(g)
                    }
                }
            }
            ListKind::Fd { tid, v2 } => {
                let fd = fdlist::next_entry(&mut c, v2, limits)?;
                let known = self.fd_counts.len() as u64;
                let count = match self.fd_counts.get_mut(&tid) {
                    Some(n) => n,
                    None if known >= limits.max_threads => {
                        return Err(ReadError::limit(
                            base,
                            "threads with fd lists",
                            known + 1,
                            limits.max_threads,
                        ));
                    }
                    None => self.fd_counts.entry(tid).or_insert(0),
                };
                *count = count.saturating_add(1);
                if *count > limits.max_fds_per_thread {
                    return Err(ReadError::limit(
                        base,
                        "fds of one thread",
                        (*count).into(),
                        limits.max_fds_per_thread.into(),
                    ));
                }
                self.stats.fds += 1;
                Item::Fd { tid, fd }
            }
        };
        if let Some(l) = self.list.as_mut() {
            l.pos += c.consumed();
        }
        Ok(Some(item))
    }
}
