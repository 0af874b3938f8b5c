//! Emits the plugin's extract-field table: one `falco_plugin` field declaration per field of the
//! set, pointing either at a hand-written function of the plugin's `fields` module (catalog
//! `fn = "module::function"`) or at a generated wrapper for the declarative sources (event
//! parameters and state columns).
//!
//! The plugin provides, in `crate::fields`:
//! - one function per catalog `fn`, with the signature the SDK expects for the field's argument
//!   form (`fn(&mut P, ExtractRequest<P>) -> Result<R, Error>`, plus `u64`, `Option<u64>`,
//!   `&CStr` or `Option<&CStr>` for index/key arguments), where `R` is [`return_type`];
//! - `args::arg_by_name(p, req, name_id)` and `args::rawarg_str_by_name` /
//!   `args::rawarg_u64_by_name(p, req, name_id)` for the `evt.arg.NAME` / `evt.rawarg.NAME`
//!   literals (`name_id` indexes `edera_scap::tables::PARAM_NAMES`);
//! - `types::{AbsTime, IpNet}`: the SDK's value types for abstime and ipnet fields;
//! - `columns::thread`, `columns::process` and `columns::fd(p, req, |row| row.column.to_field())`
//!   for state columns, generic over the return type.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::index::SchemaIndex;
use super::names::{ident, snake};
use crate::catalog::{ArgForm, Compute, FieldFlag, FieldType};
use crate::fieldset::SetField;

/// The Rust return type (inside `Result<_, Error>`) of a field's extractor.
pub fn return_type(ftype: FieldType, list: bool) -> TokenStream {
    let t = match ftype {
        FieldType::String => quote!(::std::ffi::CString),
        FieldType::U64 => quote!(u64),
        FieldType::Bool => quote!(bool),
        FieldType::Reltime => quote!(::std::time::Duration),
        FieldType::Abstime => quote!(crate::fields::types::AbsTime),
        FieldType::Ipaddr => quote!(::std::net::IpAddr),
        FieldType::Ipnet => quote!(crate::fields::types::IpNet),
    };
    if list {
        quote!(Option<Vec<#t>>)
    } else {
        quote!(Option<#t>)
    }
}

/// Emits the table as `pub const FIELDS: &[ExtractFieldInfo<#plugin>]` plus its wrappers.
/// `plugin` is the plugin type's path, e.g. `crate::EderaPlugin`.
pub fn emit(set: &[SetField], ix: &SchemaIndex, plugin: &syn::Path) -> TokenStream {
    let mut wrappers = Vec::new();
    let mut entries = Vec::new();
    for (i, sf) in set.iter().enumerate() {
        let f = &sf.field;
        let Some(compute) = &f.compute else { continue };
        let name = f.name.as_str();
        let rt = return_type(f.ftype, f.list);
        let target = match compute {
            Compute::Fn(path) => {
                let segs = path.split("::").map(ident);
                quote!(crate::fields:: #( #segs )::*)
            }
            other => {
                let w = ident(&format!("f{i}_{}", snake(name)));
                let body = wrapper_body(other, f.ftype, ix);
                wrappers.push(quote! {
                    fn #w(p: &mut #plugin, req: ExtractRequest<'_, '_, '_, '_, #plugin>) -> Result<#rt, Error> {
                        #body
                    }
                });
                quote!(#w)
            }
        };
        let desc = f.desc.as_str();
        let mut decl = quote!(field(#name, &#target).with_description(#desc));
        if !f.display.is_empty() {
            let d = f.display.as_str();
            decl = quote!(#decl.with_display(#d));
        }
        if f.flags.contains(&FieldFlag::AddOutput) {
            decl = quote!(#decl.add_output());
        }
        entries.push(decl);
    }
    let count = Literal::usize_unsuffixed(entries.len());
    quote! {
        use ::falco_plugin::anyhow::Error;
        use ::falco_plugin::extract::{field, ExtractFieldInfo, ExtractRequest};
        use crate::fields::columns::ToField;

        /// Number of declared fields.
        pub const FIELD_COUNT: usize = #count;

        /// Every field the plugin declares, in catalog order, then the event-table literals.
        pub const FIELDS: &[ExtractFieldInfo<#plugin>] = &[ #( #entries, )* ];

        #( #wrappers )*
    }
}

fn wrapper_body(c: &Compute, ftype: FieldType, ix: &SchemaIndex) -> TokenStream {
    match c {
        Compute::Param(name) => {
            let id = Literal::u16_unsuffixed(ix.name_id(name));
            quote!(crate::fields::args::arg_by_name(p, req, #id))
        }
        Compute::RawParam(name) => {
            let id = Literal::u16_unsuffixed(ix.name_id(name));
            match ftype {
                FieldType::U64 => quote!(crate::fields::args::rawarg_u64_by_name(p, req, #id)),
                _ => quote!(crate::fields::args::rawarg_str_by_name(p, req, #id)),
            }
        }
        Compute::Thread(col) => {
            let c = ident(col);
            quote!(crate::fields::columns::thread(p, req, |row| row.#c.to_field()))
        }
        Compute::Process(col) => {
            let c = ident(col);
            quote!(crate::fields::columns::process(p, req, |row| row.#c.to_field()))
        }
        Compute::Fd(col) => {
            let c = ident(col);
            quote!(crate::fields::columns::fd(p, req, |row| row.#c.to_field()))
        }
        Compute::Fn(_) => unreachable!("handled by the caller"),
    }
}

/// Checks that declarative sources fit the field: generated wrappers take no argument.
pub fn check_arg_forms(set: &[SetField]) -> Vec<String> {
    set.iter()
        .filter(|sf| {
            !matches!(sf.field.compute, Some(Compute::Fn(_)) | None)
                && sf.field.arg != ArgForm::None
        })
        .map(|sf| {
            format!(
                "{}: a declarative source cannot take an argument; use fn",
                sf.field.name
            )
        })
        .collect()
}
