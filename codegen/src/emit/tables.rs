//! Emits the event model compiled into `edera-scap` (`schema/src/lib.rs` includes it as
//! `tables`): type and format enums, constant groups, flag and dynamic tables, the event code
//! enum, the event table, typed accessors and the native syscall maps.

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::index::SchemaIndex;
use super::names::{camel, ident, snake, upper};
use super::types::{accessor_type, fixed_size};
use crate::model::{Direction, NameValue, Param, Schema};

/// The whole tables module as tokens.
pub fn emit(schema: &Schema, ix: &SchemaIndex) -> TokenStream {
    let header = emit_header(schema);
    let ptype = emit_value_enum("ParamType", "PT_", &schema.constants.param_types, true);
    let pfmt = emit_value_enum("PrintFormat", "PF_", &schema.constants.print_formats, false);
    let groups = emit_const_groups(schema);
    let flags = emit_flag_tables(schema);
    let dyns = emit_dyn_tables(schema);
    let names = emit_param_names(ix);
    let codes = emit_event_codes(schema);
    let events = emit_event_table(schema, ix);
    let accessors = emit_accessors(schema);
    let syscalls = emit_syscalls(schema, ix);
    quote! {
        #header
        #ptype
        #pfmt
        #groups
        #flags
        #dyns
        #names
        #codes
        #events
        #accessors
        #syscalls
    }
}

fn lit_u64(v: u64) -> Literal {
    Literal::u64_unsuffixed(v)
}

fn emit_header(schema: &Schema) -> TokenStream {
    let sv = &schema.version.schema_version;
    let av = &schema.version.api_version;
    let src = &schema.version.source;
    let max = schema
        .events
        .iter()
        .map(|e| e.params.len())
        .max()
        .unwrap_or(0);
    let count = schema.events.len();
    quote! {
        /// SCHEMA_VERSION of the imported driver tables.
        pub const SCHEMA_VERSION: &str = #sv;
        /// API_VERSION of the imported driver tables.
        pub const API_VERSION: &str = #av;
        /// Where the tables came from.
        pub const SCHEMA_SOURCE: &str = #src;
        /// The largest number of parameters of any event.
        pub const MAX_PARAMS: usize = #max;
        /// Number of entries of the event table (PPM_EVENT_MAX).
        pub const EVENT_COUNT: usize = #count;
    }
}

/// A `#[repr(u8)]` enum over a constant group (parameter types, print formats).
fn emit_value_enum(name: &str, prefix: &str, values: &[NameValue], sized: bool) -> TokenStream {
    let ty = ident(name);
    let variants: Vec<_> = values
        .iter()
        .map(|v| ident(&camel(&v.name, prefix)))
        .collect();
    let nums: Vec<_> = values
        .iter()
        .map(|v| Literal::u8_unsuffixed(v.value as u8))
        .collect();
    let names: Vec<_> = values.iter().map(|v| v.name.as_str()).collect();
    let size_fn = sized.then(|| {
        let sizes: Vec<_> = values
            .iter()
            .map(|v| match fixed_size(&v.name) {
                Some(s) => quote!(Some(#s)),
                None => quote!(None),
            })
            .collect();
        quote! {
            /// Encoded size of a fixed-size type, `None` for variable-length types.
            pub const fn fixed_size(self) -> Option<u8> {
                match self { #( #ty::#variants => #sizes, )* }
            }
        }
    });
    let doc = format!("The `{prefix}*` values of the imported schema.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum #ty { #( #variants = #nums, )* }
        impl #ty {
            /// The value with this number, if the schema defines it.
            pub const fn from_u8(v: u8) -> Option<Self> {
                match v { #( #nums => Some(#ty::#variants), )* _ => None }
            }
            /// The upstream constant name.
            pub const fn name(self) -> &'static str {
                match self { #( #ty::#variants => #names, )* }
            }
            #size_fn
        }
    }
}

/// Constant groups as modules of `pub const`s plus a name table for rendering.
fn emit_const_groups(schema: &Schema) -> TokenStream {
    let c = &schema.constants;
    let mut out = TokenStream::new();
    let fixed: [(&str, &str, &str, &[NameValue]); 6] = [
        ("ec", "EC_", "u32", &c.event_categories),
        ("ef", "EF_", "u32", &c.event_flags),
        ("uf", "UF_", "u32", &c.syscall_flags),
        ("af", "PPM_AF_", "u64", &c.socket_families),
        (
            "anon_inode",
            "ANON_INODE_FD_TYPE_",
            "u64",
            &c.anon_inode_fd_types,
        ),
        ("ppm_sc", "", "u16", &c.ppm_sc),
    ];
    for (module, prefix, ty, values) in fixed {
        out.extend(emit_const_module(module, prefix, ty, values));
    }
    for g in &c.extra {
        let module = snake(&g.prefix.to_ascii_lowercase());
        out.extend(emit_const_module(&module, &g.prefix, "u64", &g.entries));
    }
    out
}

fn emit_const_module(module: &str, prefix: &str, ty: &str, values: &[NameValue]) -> TokenStream {
    let m = ident(module);
    let t = ident(ty);
    // Aliases (two names, one value) are kept: the name table lists the first name per value.
    let consts = values.iter().map(|v| {
        let n = ident(&upper(&v.name, prefix));
        let val = lit_u64(v.value);
        quote!(pub const #n: #t = #val;)
    });
    let pairs = values.iter().map(|v| {
        let val = lit_u64(v.value);
        let name = v.name.as_str();
        quote!((#name, #val))
    });
    let doc = format!("`{prefix}*` constants, in declaration order.");
    quote! {
        #[doc = #doc]
        pub mod #m {
            #( #consts )*
            /// Every (name, value) pair in declaration order.
            pub static ALL: &[(&str, #t)] = &[ #( #pairs, )* ];
        }
    }
}

fn emit_flag_tables(schema: &Schema) -> TokenStream {
    let tables = schema.flag_tables.iter().map(|t| {
        let id = ident(&upper(&t.name, ""));
        let name = t.name.as_str();
        let entries = t.entries.iter().map(|e| {
            let n = e.name.as_str();
            let v = lit_u64(e.value);
            quote!((#n, #v))
        });
        quote! {
            pub static #id: FlagTable = FlagTable { name: #name, entries: &[ #( #entries, )* ] };
        }
    });
    quote! {
        /// The name/value tables of flags_table.c, in table order.
        pub mod flags {
            use crate::info::FlagTable;
            #( #tables )*
        }
    }
}

fn emit_dyn_tables(schema: &Schema) -> TokenStream {
    let tables = schema.dyn_tables.iter().map(|t| {
        let id = ident(&upper(&t.name, ""));
        let mut sorted: Vec<_> = t.entries.iter().collect();
        sorted.sort_by_key(|e| e.index);
        let entries = sorted.iter().map(|e| {
            let pt = ident(&camel(&e.ptype, "PT_"));
            let pf = ident(&camel(&e.fmt, "PF_"));
            quote!(DynParam { ptype: ParamType::#pt, fmt: PrintFormat::#pf })
        });
        quote!(pub static #id: &[DynParam] = &[ #( #entries, )* ];)
    });
    quote! {
        /// Dynamic parameter tables: the first byte of a `PT_DYN` value indexes them.
        pub mod dyn_params {
            use super::{ParamType, PrintFormat};
            use crate::info::DynParam;
            #( #tables )*
        }
    }
}

fn emit_param_names(ix: &SchemaIndex) -> TokenStream {
    let names = ix.param_names.iter().map(String::as_str);
    quote! {
        /// Every distinct parameter name of the event table, sorted; `ParamInfo::name_id` indexes
        /// this table, and `evt.arg.NAME` fields look parameters up by that id.
        pub static PARAM_NAMES: &[&str] = &[ #( #names, )* ];
    }
}

fn emit_event_codes(schema: &Schema) -> TokenStream {
    let variants: Vec<_> = schema
        .events
        .iter()
        .map(|e| ident(&camel(&e.id, "PPME_")))
        .collect();
    let codes: Vec<_> = schema
        .events
        .iter()
        .map(|e| Literal::u16_unsuffixed(e.code))
        .collect();
    quote! {
        /// Every event code of the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum EventCode { #( #variants = #codes, )* }
        impl EventCode {
            /// The code with this number, if the table has it.
            pub const fn from_u16(v: u16) -> Option<Self> {
                match v { #( #codes => Some(EventCode::#variants), )* _ => None }
            }
            /// Its event table entry.
            pub fn info(self) -> &'static crate::info::EventInfo {
                &EVENTS[self as usize]
            }
        }
    }
}

fn bits(names: &[String], values: &[NameValue]) -> u64 {
    names
        .iter()
        .filter_map(|n| values.iter().find(|v| &v.name == n))
        .fold(0, |acc, v| acc | v.value)
}

fn emit_param(p: &Param, ix: &SchemaIndex) -> TokenStream {
    let name = p.name.as_str();
    let name_id = Literal::u16_unsuffixed(ix.name_id(&p.name));
    let pt = ident(&camel(&p.ptype, "PT_"));
    let pf = ident(&camel(&p.fmt, "PF_"));
    let extra = if let Some(t) = &p.flags {
        let t = ident(&upper(t, ""));
        quote!(ParamExtra::Flags(&flags::#t))
    } else if let Some(t) = &p.dyn_table {
        let t = ident(&upper(t, ""));
        quote!(ParamExtra::Dyn(dyn_params::#t))
    } else if let Some(d) = p.dirfd {
        let d = Literal::u8_unsuffixed(d as u8);
        quote!(ParamExtra::DirFd(#d))
    } else {
        quote!(ParamExtra::None)
    };
    quote! {
        ParamInfo {
            name: #name,
            name_id: #name_id,
            ptype: ParamType::#pt,
            fmt: PrintFormat::#pf,
            extra: #extra,
        }
    }
}

fn emit_event_table(schema: &Schema, ix: &SchemaIndex) -> TokenStream {
    let c = &schema.constants;
    let entries = schema.events.iter().map(|e| {
        let code = Literal::u16_unsuffixed(e.code);
        let id = e.id.as_str();
        let name = e.name.as_str();
        let dir = match e.direction {
            Direction::Enter => quote!(Direction::Enter),
            Direction::Exit => quote!(Direction::Exit),
        };
        let cat = Literal::u32_unsuffixed(bits(&e.category, &c.event_categories) as u32);
        let fl = Literal::u32_unsuffixed(bits(&e.flags, &c.event_flags) as u32);
        let params = e.params.iter().map(|p| emit_param(p, ix));
        quote! {
            EventInfo {
                code: #code,
                id: #id,
                name: #name,
                direction: #dir,
                category: #cat,
                flags: #fl,
                params: &[ #( #params, )* ],
            }
        }
    });
    let n = schema.events.len();
    quote! {
        /// The event table, indexed by event code.
        pub static EVENTS: [crate::info::EventInfo; #n] = {
            use crate::info::{Direction, EventInfo, ParamExtra, ParamInfo};
            [ #( #entries, )* ]
        };
    }
}

fn emit_accessors(schema: &Schema) -> TokenStream {
    let structs = schema
        .events
        .iter()
        .filter(|e| !e.flags.iter().any(|f| f == "EF_UNUSED"))
        .map(|e| {
            let ty = ident(&camel(&e.id, "PPME_"));
            let code = Literal::u16_unsuffixed(e.code);
            let doc = format!("Typed view of `{}` (`{}`).", e.id, e.name);
            let methods = e.params.iter().enumerate().map(|(i, p)| {
                let m = ident(&snake(&p.name));
                let rt = accessor_type(&p.ptype).unwrap_or_else(|| quote!(&'a [u8]));
                let doc = format!(
                    "Parameter {i} `{}` ({}); `None` when absent or malformed.",
                    p.name, p.ptype
                );
                quote! {
                    #[doc = #doc]
                    #[inline]
                    pub fn #m(&self) -> Option<#rt> { self.raw.param_as(#i) }
                }
            });
            quote! {
                #[doc = #doc]
                #[derive(Debug, Clone, Copy)]
                pub struct #ty<'r, 'a> { raw: &'r RawEvent<'a> }
                impl<'r, 'a> #ty<'r, 'a> {
                    /// The code this view reads.
                    pub const CODE: u16 = #code;
                    /// A view of `raw` when it is an event of this code.
                    pub fn new(raw: &'r RawEvent<'a>) -> Option<Self> {
                        (raw.header.etype == Self::CODE).then_some(Self { raw })
                    }
                    /// The underlying event.
                    pub fn raw(&self) -> &'r RawEvent<'a> { self.raw }
                    #( #methods )*
                }
            }
        });
    quote! {
        /// Typed, zero-copy, bounds-checked accessors, one struct per event code. Parameters an
        /// older layout lacks read as `None`.
        pub mod events {
            #![allow(clippy::all)]
            use crate::event::RawEvent;
            #( #structs )*
        }
    }
}

fn emit_syscalls(schema: &Schema, ix: &SchemaIndex) -> TokenStream {
    let c = &schema.constants;
    let sc_by_name: BTreeMap<&str, u64> = c
        .ppm_sc
        .iter()
        .map(|v| (v.name.as_str(), v.value))
        .collect();
    let maps = schema.syscalls.iter().map(|m| {
        let id = ident(&upper(&m.arch, ""));
        let entries = m.entries.iter().map(|s| {
            let nr = Literal::u32_unsuffixed(s.nr);
            let name = s.name.as_str();
            let fl = Literal::u32_unsuffixed(bits(&s.flags, &c.syscall_flags) as u32);
            let enter = Literal::u16_unsuffixed(ix.code(&s.enter));
            let exit = Literal::u16_unsuffixed(ix.code(&s.exit));
            let sc = Literal::u16_unsuffixed(sc_by_name.get(s.ppm_sc.as_str()).copied().unwrap_or(0) as u16);
            quote!(SyscallEntry { nr: #nr, name: #name, flags: #fl, enter: #enter, exit: #exit, ppm_sc: #sc })
        });
        quote!(pub static #id: &[SyscallEntry] = &[ #( #entries, )* ];)
    });
    let max_sc = c.ppm_sc.iter().map(|v| v.value).max().unwrap_or(0) as usize + 1;
    let mut sc_names = vec![""; max_sc];
    for v in &c.ppm_sc {
        if sc_names[v.value as usize].is_empty() {
            sc_names[v.value as usize] = v.name.as_str();
        }
    }
    let arches: Vec<&str> = schema.syscalls.iter().map(|m| m.arch.as_str()).collect();
    let map_ids: Vec<_> = arches.iter().map(|a| ident(&upper(a, ""))).collect();
    // Another architecture keeps the first map, as the tables' users did before.
    let fallback = map_ids.first().map(|first| {
        quote! {
            #[cfg(not(any( #( target_arch = #arches ),* )))]
            pub static NATIVE: &[SyscallEntry] = #first;
        }
    });
    quote! {
        /// Native syscall maps: number → enter/exit event codes, ppm_sc code, UF_* flags; and
        /// the lookups by syscall name and native number.
        pub mod syscalls {
            use crate::info::SyscallEntry;
            #( #maps )*
            #(
                /// The map of the architecture this crate is built for.
                #[cfg(target_arch = #arches)]
                pub static NATIVE: &[SyscallEntry] = #map_ids;
            )*
            #fallback
            /// The ppm_sc code of syscall `name`, from any architecture's map.
            pub fn ppm_sc_of(name: &str) -> Option<u16> {
                [ #( #map_ids ),* ]
                    .into_iter()
                    .flatten()
                    .find(|e| e.name == name)
                    .map(|e| e.ppm_sc)
            }
            /// The syscall called `name` in this architecture's map.
            pub fn native_by_name(name: &str) -> Option<&'static SyscallEntry> {
                NATIVE.iter().find(|e| e.name == name)
            }
            /// Native syscall `nr` of this architecture's map (sorted by number).
            pub fn native_by_nr(nr: u32) -> Option<&'static SyscallEntry> {
                NATIVE.binary_search_by_key(&nr, |e| e.nr).ok().map(|i| &NATIVE[i])
            }
        }
        /// ppm_sc code → syscall name (empty for unassigned codes).
        pub static PPM_SC_NAMES: [&str; #max_sc] = [ #( #sc_names, )* ];
    }
}
