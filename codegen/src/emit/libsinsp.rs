//! Emits `edera_scap::libsinsp` from `schema/libsinsp.toml`: one `const fn` per behaviour,
//! true for the codes of the events the overlay lists under it.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::names::ident;
use super::{GenError, format, validate};
use crate::libsinsp::{Libsinsp, validate_libsinsp};
use crate::model::Schema;

/// The `libsinsp` module of `edera-scap`.
pub fn generate_libsinsp(schema: &Schema, overlay: &Libsinsp) -> Result<String, GenError> {
    let mut problems = validate::validate_schema(schema);
    if problems.is_empty() {
        problems = validate_libsinsp(schema, overlay);
    }
    if !problems.is_empty() {
        return Err(GenError::Invalid(problems));
    }
    format(
        emit(schema, overlay),
        "libsinsp behaviours from schema/libsinsp.toml and schema/*.toml",
    )
}

fn emit(schema: &Schema, overlay: &Libsinsp) -> TokenStream {
    let fns = overlay.behaviours().map(|(section, _, b)| {
        let name = ident(section);
        let mut events: Vec<(u16, &str)> = b
            .events
            .iter()
            .filter_map(|e| {
                let ev = schema.events.iter().find(|ev| ev.id == e.id)?;
                Some((ev.code, ev.id.as_str()))
            })
            .collect();
        events.sort_unstable();
        let codes = events.iter().map(|(c, _)| Literal::u16_unsuffixed(*c));
        let ids: Vec<&str> = events.iter().map(|(_, id)| *id).collect();
        let doc = format!("{}\n\nEvents: `{}`.", b.about.trim(), ids.join("`, `"));
        let body = if events.is_empty() {
            quote!({
                let _ = code;
                false
            })
        } else {
            quote!(matches!(code, #( #codes )|*))
        };
        quote! {
            #[doc = #doc]
            pub const fn #name(code: u16) -> bool { #body }
        }
    });
    quote! { #( #fns )* }
}
