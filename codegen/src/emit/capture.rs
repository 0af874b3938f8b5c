//! Emits the agent's capture plan: `capture_plan.rs` (the covered syscalls with the source of
//! each exit-event parameter, the native flag conversions, the kernel side's constants and the
//! records it shares with the agent, see [`super::layout`]) and `capture_plan.h` (the same
//! constants and records for `bpf/capture.bpf.c`). The sources and fds are written as
//! literals of the `param-source` crate's types, which the parser reads them into too; `Covered`
//! and `FlagMap` are the agent's, in its `coverage` module.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{GenError, format, validate};
use crate::capture::CapturePlan;
use crate::capture::source::{FdFrom, MmsgPart, ParamSource};
use crate::capture::validate::{Conversion, Resolved, check};
use crate::model::Schema;

/// What the generated files say they come from.
const WHAT: &str = "capture plan from agent/capture.toml and schema/*.toml, shared records from codegen/src/capture/layout.rs";

/// A constant shared by the kernel side and the agent: C name, Rust name, value, meaning.
struct Shared {
    c: &'static str,
    rust: &'static str,
    value: u16,
    doc: &'static str,
}

const fn shared(c: &'static str, rust: &'static str, value: u16, doc: &'static str) -> Shared {
    Shared {
        c,
        rust,
        value,
        doc,
    }
}

/// `enum arg_kind`: what the kernel side copies from the user memory an argument points to.
const ARG_KINDS: &[Shared] = &[
    shared("ARG_VALUE", "VALUE", 0, "Nothing: the argument is a value."),
    shared("ARG_STRING", "STRING", 1, "A NUL-terminated string."),
    shared(
        "ARG_BUFFER_LEN_ARG",
        "BUFFER_LEN_ARG",
        2,
        "A buffer whose length is argument `len_arg`.",
    ),
    shared(
        "ARG_BUFFER_LEN_RET",
        "BUFFER_LEN_RET",
        3,
        "A buffer of the (non-negative) returned length.",
    ),
    shared(
        "ARG_FD_PAIR",
        "FD_PAIR",
        4,
        "The `int[2]` the syscall filled (pipe, socketpair).",
    ),
    shared(
        "ARG_FIXED",
        "FIXED",
        5,
        "A struct of `len_arg` bytes (fields decoded in user space).",
    ),
    shared(
        "ARG_IOVEC",
        "IOVEC",
        7,
        "An iovec array (count in argument `len_arg`): its buffers gathered.",
    ),
    shared(
        "ARG_IOVEC_LEN_RET",
        "IOVEC_LEN_RET",
        8,
        "An iovec array: its buffers gathered up to the returned length.",
    ),
    shared(
        "ARG_MSGHDR",
        "MSGHDR",
        9,
        "A struct user_msghdr: its iovec array's buffers gathered.",
    ),
    shared(
        "ARG_MSGHDR_LEN_RET",
        "MSGHDR_LEN_RET",
        10,
        "A struct user_msghdr: its buffers gathered up to the returned length.",
    ),
    shared(
        "ARG_MMSGHDR",
        "MMSGHDR",
        11,
        "A struct mmsghdr array: the first message's buffers gathered (up to its msg_len) and msg_len.",
    ),
    shared(
        "ARG_ARRAY8",
        "ARRAY8",
        6,
        "An array of 8-byte items, as many as argument `len_arg` says.",
    ),
];

/// `enum fd_src`: which fd's kernel objects are read.
const FD_SOURCES: &[Shared] = &[
    shared("FD_NONE", "NONE", 0, "None."),
    shared("FD_RET", "RET", 1, "The return value."),
    shared("FD_ARG0", "ARG0", 2, "`FD_ARG0 + i`: argument i."),
    shared(
        "FD_INT_AT_ARG0",
        "INT_AT_ARG0",
        8,
        "`FD_INT_AT_ARG0 + i`: the first int at argument i.",
    ),
];

/// `sc_desc.want` bits: what the kernel side reads besides the arguments.
const WANTS: &[Shared] = &[
    shared(
        "WANT_FILE",
        "WANT_FILE",
        1,
        "The fd's file: device, inode, created.",
    ),
    shared(
        "WANT_SOCK",
        "WANT_SOCK",
        2,
        "The fd's socket: family, addresses, ports.",
    ),
    shared(
        "WANT_PROC",
        "WANT_PROC",
        4,
        "Process events: comm, ids, limits, the argument area into the last blob slot.",
    ),
    shared(
        "WANT_ENV",
        "WANT_ENV",
        8,
        "execve: the environment area into the first blob slot.",
    ),
    shared(
        "WANT_MM",
        "WANT_MM",
        16,
        "The process's memory counters (vm_size, vm_rss, vm_swap).",
    ),
    shared(
        "WANT_CAPS",
        "WANT_CAPS",
        32,
        "The task's capability sets after the call, into the process area.",
    ),
    shared(
        "WANT_CONTROL",
        "WANT_CONTROL",
        128,
        "The control messages of the msghdr argument, into the last blob slot.",
    ),
    shared(
        "WANT_PATH",
        "WANT_PATH",
        64,
        "The path of the fd's file, into the process area.",
    ),
    shared(
        "WANT_QUEUE",
        "WANT_QUEUE",
        256,
        "The accept queue of the listening socket at argument 0 (length, limit).",
    ),
];

/// `capture_plan.rs` and `capture_plan.h`, in that order.
pub fn generate_capture(schema: &Schema, plan: &CapturePlan) -> Result<[String; 2], GenError> {
    let mut problems = validate::validate_schema(schema);
    let resolved = match check(schema, plan) {
        Ok(r) if problems.is_empty() => r,
        Ok(_) => return Err(GenError::Invalid(problems)),
        Err(p) => {
            problems.extend(p);
            return Err(GenError::Invalid(problems));
        }
    };
    Ok([format(emit_rust(&resolved)?, WHAT)?, emit_c()?])
}

/// The constants of `list` as Rust constants of type `ty` (`u8` or `u16`, as the kernel side's
/// field holding them).
fn consts(list: &[Shared], ty: TokenStream) -> TokenStream {
    let items = list.iter().map(|s| {
        let name = format_ident!("{}", s.rust);
        let v = Literal::u16_unsuffixed(s.value);
        let doc = s.doc;
        quote! { #[doc = #doc] pub const #name: #ty = #v; }
    });
    quote! { #(#items)* }
}

fn table_ident(name: &str) -> proc_macro2::Ident {
    format_ident!("{}", name.to_ascii_uppercase())
}

fn emit_conversion(name: &str, c: &Conversion) -> TokenStream {
    let ident = table_ident(name);
    let doc = format!("Native x86_64 values of the PPM flag table `{name}`.");
    let value = flag_map(c);
    quote! { #[doc = #doc] pub static #ident: FlagMap = #value; }
}

fn flag_map(c: &Conversion) -> TokenStream {
    let pairs = |v: &[(u64, u64)]| {
        let items = v.iter().map(|(n, p)| {
            let (n, p) = (Literal::u64_unsuffixed(*n), Literal::u64_unsuffixed(*p));
            quote! { (#n, #p) }
        });
        quote! { &[ #(#items),* ] }
    };
    match c {
        Conversion::Identity => quote! { FlagMap::Identity },
        Conversion::Bits(v) => {
            let v = pairs(v);
            quote! { FlagMap::Bits(#v) }
        }
        Conversion::Values(v) => {
            let v = pairs(v);
            quote! { FlagMap::Values(#v) }
        }
        Conversion::Magic { mask, value, then } => {
            let (m, v, then) = (
                Literal::u64_unsuffixed(*mask),
                Literal::u64_unsuffixed(*value),
                flag_map(then),
            );
            quote! { FlagMap::Magic(#m, #v, &#then) }
        }
    }
}

fn lit(v: u8) -> Literal {
    Literal::u8_unsuffixed(v)
}

/// A source as a literal of the agent's `ParamSource` (its variants imported): the one
/// exhaustive `match` of the generator over the sources.
fn emit_source(e: &ParamSource) -> TokenStream {
    match e {
        ParamSource::Ret => quote! { Ret },
        ParamSource::RetLen => quote! { RetLen },
        ParamSource::Arg(i) => {
            let i = lit(*i);
            quote! { Arg(#i) }
        }
        ParamSource::Str(i) => {
            let i = lit(*i);
            quote! { Str(#i) }
        }
        ParamSource::BufArgLen(i, l) => {
            let (i, l) = (lit(*i), lit(*l));
            quote! { BufArgLen(#i, #l) }
        }
        ParamSource::BufRetLen(i) => {
            let i = lit(*i);
            quote! { BufRetLen(#i) }
        }
        ParamSource::Sockaddr(i, l) => {
            let (i, l) = (lit(*i), lit(*l));
            quote! { Sockaddr(#i, #l) }
        }
        ParamSource::FdOfPair(i, k) => {
            let (i, k) = (lit(*i), lit(*k));
            quote! { FdOfPair(#i, #k) }
        }
        ParamSource::OpenFlags(i) => {
            let i = lit(*i);
            quote! { OpenFlags(#i) }
        }
        ParamSource::CloexecFlags(i) => {
            let i = lit(*i);
            quote! { CloexecFlags(#i) }
        }
        ParamSource::Flags(t, i) => {
            let (t, i) = (table_ident(t), lit(*i));
            quote! { Flags(&#t, #i) }
        }
        ParamSource::TupleOut(None) => quote! { TupleOut(None) },
        ParamSource::TupleOut(Some(i)) => {
            let i = lit(*i);
            quote! { TupleOut(Some(#i)) }
        }
        ParamSource::TupleIn => quote! { TupleIn },
        ParamSource::SockSk => quote! { SockSk },
        ParamSource::SockPeer => quote! { SockPeer },
        ParamSource::Dev => quote! { Dev },
        ParamSource::Ino => quote! { Ino },
        ParamSource::VmSize => quote! { VmSize },
        ParamSource::VmRss => quote! { VmRss },
        ParamSource::VmSwap => quote! { VmSwap },
        ParamSource::CapInheritable => quote! { CapInheritable },
        ParamSource::CapPermitted => quote! { CapPermitted },
        ParamSource::CapEffective => quote! { CapEffective },
        ParamSource::FdPath => quote! { FdPath },
        ParamSource::MsgControl(i) => {
            let i = lit(*i);
            quote! { MsgControl(#i) }
        }
        ParamSource::Field { arg, off, size } => {
            let (a, o, s) = (lit(*arg), lit(*off), lit(*size));
            quote! { Field { arg: #a, off: #o, size: #s } }
        }
        ParamSource::FlagsField {
            table,
            arg,
            off,
            size,
        } => {
            let (t, a, o, s) = (table_ident(table), lit(*arg), lit(*off), lit(*size));
            quote! { FlagsField { table: &#t, arg: #a, off: #o, size: #s } }
        }
        ParamSource::Const(n) => {
            let n = Literal::u64_unsuffixed(*n);
            quote! { Const(#n) }
        }
        ParamSource::Bits { arg, shift, width } => {
            let (a, s, w) = (lit(*arg), lit(*shift), lit(*width));
            quote! { Bits { arg: #a, shift: #s, width: #w } }
        }
        ParamSource::FlagsBits {
            table,
            arg,
            shift,
            width,
        } => {
            let (t, a, s, w) = (table_ident(table), lit(*arg), lit(*shift), lit(*width));
            quote! { FlagsBits { table: &#t, arg: #a, shift: #s, width: #w } }
        }
        ParamSource::OpenFlagsField { arg, off, size } => {
            let (a, o, s) = (lit(*arg), lit(*off), lit(*size));
            quote! { OpenFlagsField { arg: #a, off: #o, size: #s } }
        }
        ParamSource::Iovec { arg, count, ret } => {
            let (a, c) = (lit(*arg), lit(*count));
            quote! { Iovec { arg: #a, count: #c, ret: #ret } }
        }
        ParamSource::IovLen => quote! { IovLen },
        ParamSource::QueueLen => quote! { QueueLen },
        ParamSource::QueueMax => quote! { QueueMax },
        ParamSource::QueuePct => quote! { QueuePct },
        ParamSource::Mmsg { arg, what } => {
            let a = lit(*arg);
            let w = match what {
                MmsgPart::Res => quote! { MmsgPart::Res },
                MmsgPart::Len => quote! { MmsgPart::Len },
                MmsgPart::Data => quote! { MmsgPart::Data },
                MmsgPart::Control => quote! { MmsgPart::Control },
            };
            quote! { Mmsg { arg: #a, what: #w } }
        }
        ParamSource::MsgIovec { arg, ret } => {
            let a = lit(*arg);
            quote! { MsgIovec { arg: #a, ret: #ret } }
        }
        ParamSource::Sockopt {
            val,
            level,
            name,
            len,
            len_at,
        } => {
            let (v, l, n, k) = (lit(*val), lit(*level), lit(*name), lit(*len));
            quote! { Sockopt { val: #v, level: #l, name: #n, len: #k, len_at: #len_at } }
        }
        ParamSource::When {
            cond,
            values,
            holds,
            then,
            otherwise,
        } => {
            let (a, s, w, then) = (
                lit(cond.arg),
                lit(cond.shift),
                lit(cond.width),
                emit_source(then),
            );
            let field = match cond.field {
                Some((off, size)) => {
                    let (o, z) = (lit(off), lit(size));
                    quote! { Some((#o, #z)) }
                }
                None => quote! { None },
            };
            let values = values.iter().map(|v| Literal::u64_unsuffixed(*v));
            let otherwise = match otherwise {
                Some(e) => {
                    let e = emit_source(e);
                    quote! { Some(&#e) }
                }
                None => quote! { None },
            };
            quote! {
                When {
                    cond: Cond { arg: #a, field: #field, shift: #s, width: #w },
                    values: &[#(#values),*],
                    holds: #holds,
                    then: &#then,
                    otherwise: #otherwise,
                }
            }
        }
        ParamSource::IfOk(then) => {
            let then = emit_source(then);
            quote! { IfOk(&#then) }
        }
        ParamSource::Dyn { index, then } => {
            let (k, then) = (lit(*index), emit_source(then));
            quote! { Dyn { index: #k, then: &#then } }
        }
        ParamSource::Fdlist { table, arg, count } => {
            let (t, a, c) = (table_ident(table), lit(*arg), lit(*count));
            quote! { Fdlist { table: &#t, arg: #a, count: #c } }
        }
        ParamSource::Reltime(i) => {
            let i = lit(*i);
            quote! { Reltime(#i) }
        }
        ParamSource::PtraceAddr(i) => {
            let i = lit(*i);
            quote! { PtraceAddr(#i) }
        }
        ParamSource::PtraceData { arg, request } => {
            let (a, r) = (lit(*arg), lit(*request));
            quote! { PtraceData { arg: #a, request: #r } }
        }
    }
}

fn emit_rust(r: &Resolved) -> Result<TokenStream, GenError> {
    let records = super::layout::rust()?;
    let kinds = consts(ARG_KINDS, quote! { u8 });
    let fds = consts(FD_SOURCES, quote! { u8 });
    let wants = consts(WANTS, quote! { u16 });
    let tables = r.tables.iter().map(|(n, c)| emit_conversion(n, c));
    // A process row without sources adds nothing to the process reader's parameters.
    let rows = r
        .rows
        .iter()
        .filter(|row| !(row.process && row.params.is_empty()))
        .map(|row| {
            let name = &row.syscall;
            let fd = match row.read {
                FdFrom::None => quote! { FdFrom::None },
                FdFrom::Ret => quote! { FdFrom::Ret },
                FdFrom::Arg(i) => {
                    let i = lit(i);
                    quote! { FdFrom::Arg(#i) }
                }
                FdFrom::IntAt(i) => {
                    let i = lit(i);
                    quote! { FdFrom::IntAt(#i) }
                }
            };
            let params = row.params.iter().map(|(p, e)| {
                let s = emit_source(e);
                quote! { (#p, #s) }
            });
            quote! { Covered { syscall: #name, fd: #fd, params: &[ #(#params),* ] } }
        });
    Ok(quote! {
        use crate::coverage::{Covered, FlagMap};
        use param_source::{Cond, FdFrom, MmsgPart, ParamSource::*};

        #records

        /// `enum arg_kind` of the kernel side.
        pub mod kind { #kinds }

        /// `enum fd_src` of the kernel side.
        pub mod fd_src { #fds }

        #wants

        #(#tables)*

        /// The covered syscalls (x86_64 names), in native number order.
        pub static COVERED: &[Covered] = &[ #(#rows),* ];
    })
}

fn c_enum(name: &str, list: &[Shared]) -> String {
    let mut s = format!("enum {name} {{\n");
    for k in list {
        s += &format!("    {} = {}, /* {} */\n", k.c, k.value, k.doc);
    }
    s + "};\n"
}

fn emit_c() -> Result<String, GenError> {
    let mut s = format!(
        "// @generated by codegen (edera-falco: {WHAT}); do not edit. Read it with: cargo run -p codegen -- emit DIR\n\n"
    );
    s += "/* The constants and records bpf/capture.bpf.c shares with the agent (codegen/src/emit/capture.rs,\n * the records described in codegen/src/capture/layout.rs). */\n";
    s += "#ifndef EDERA_CAPTURE_PLAN_H\n#define EDERA_CAPTURE_PLAN_H\n\n";
    s += &c_enum("arg_kind", ARG_KINDS);
    s += "\n";
    s += &c_enum("fd_src", FD_SOURCES);
    s += "\n";
    for w in WANTS {
        s += &format!("#define {} {} /* {} */\n", w.c, w.value, w.doc);
    }
    s += "\n";
    s += &super::layout::c()?;
    Ok(s + "\n#endif\n")
}
