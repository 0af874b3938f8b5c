//! Emits the converter table compiled into `edera-scap` (`schema/src/lib.rs` includes it as
//! `conversions_table`): the rules of `schema/conversions.toml` sorted by (event code,
//! parameter count), and the per-type length bounds and default values the converter uses. The
//! runtime types (`Rule`, `Action`, `Instr`, ...) are hand-written in `edera_scap::convert::rule`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::names::{camel, ident};
use super::{GenError, Problem, format, validate};
use crate::conversions::sizes::{LenBounds, default_value, len_bounds};
use crate::conversions::validate::validate as validate_conversions;
use crate::conversions::{Action, Conversion, Conversions, Fallback, Instruction, ParamOrigin};
use crate::model::Schema;

/// The `conversions_table` module of `edera-scap`.
pub fn generate_conversions(schema: &Schema, conv: &Conversions) -> Result<String, GenError> {
    let mut problems: Vec<Problem> = validate::validate_schema(schema);
    if problems.is_empty() {
        problems = validate_conversions(schema, conv);
    }
    if !problems.is_empty() {
        return Err(GenError::Invalid(problems));
    }
    format(emit(schema, conv), "event conversions from schema/*.toml")
}

fn code_of(schema: &Schema, id: &str) -> u16 {
    schema
        .events
        .iter()
        .find(|e| e.id == id)
        .map_or(0, |e| e.code)
}

fn emit(schema: &Schema, conv: &Conversions) -> TokenStream {
    let mut rules: Vec<(u16, &Conversion)> = conv
        .entries
        .iter()
        .map(|c| (code_of(schema, &c.event), c))
        .collect();
    rules.sort_by_key(|(code, c)| (*code, c.nparams));
    let n = Literal::usize_unsuffixed(rules.len());
    let entries = rules.iter().map(|(code, c)| emit_rule(schema, *code, c));
    let source = conv.source.as_str();
    let bounds = emit_bounds(schema);
    quote! {
        use crate::convert::rule::{Action, Callback, Fallback, Instr, LenBounds, Rule};
        use crate::tables::ParamType;

        /// Where the conversion facts come from.
        pub const SOURCE: &str = #source;

        /// Every conversion rule, sorted by (event code, parameter count).
        pub static RULES: [Rule; #n] = [ #( #entries, )* ];

        #bounds
    }
}

fn emit_rule(schema: &Schema, code: u16, c: &Conversion) -> TokenStream {
    let event = Literal::u16_unsuffixed(code);
    let nparams = Literal::u8_unsuffixed(c.nparams);
    let action = match c.action {
        Action::Pass => quote!(Action::Pass),
        Action::Store => quote!(Action::Store),
        Action::StoreAndPass => quote!(Action::StoreAndPass),
        Action::AddParams => quote!(Action::AddParams),
        Action::ChangeType => {
            let to = Literal::u16_unsuffixed(code_of(schema, c.to.as_deref().unwrap_or_default()));
            quote!(Action::ChangeType(#to))
        }
    };
    let instrs = c.instructions().iter().map(emit_instr);
    quote! {
        Rule { event: #event, nparams: #nparams, action: #action, instrs: &[ #( #instrs, )* ] }
    }
}

fn emit_fallback(f: Option<Fallback>) -> TokenStream {
    match f {
        Some(Fallback::Empty) => quote!(Fallback::Empty),
        _ => quote!(Fallback::Default),
    }
}

fn emit_instr(i: &Instruction) -> TokenStream {
    let param = Literal::u8_unsuffixed(i.param.unwrap_or(0));
    let fallback = emit_fallback(i.fallback);
    match i.from {
        ParamOrigin::Old => quote!(Instr::Old(#param)),
        ParamOrigin::Enter => quote!(Instr::Enter { param: #param, fallback: #fallback }),
        ParamOrigin::Empty => quote!(Instr::Empty),
        ParamOrigin::Default => quote!(Instr::Default),
        ParamOrigin::Callback => {
            let cb = ident(&camel(
                &i.callback
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                "",
            ));
            quote!(Instr::Callback { callback: Callback::#cb, fallback: #fallback })
        }
    }
}

fn emit_bounds(schema: &Schema) -> TokenStream {
    let mut bound_arms = Vec::new();
    let mut default_arms = Vec::new();
    for t in &schema.constants.param_types {
        let (Some(b), Some(d)) = (len_bounds(&t.name), default_value(&t.name)) else {
            continue;
        };
        let v = ident(&camel(&t.name, "PT_"));
        bound_arms.push(match b {
            LenBounds::Fixed(n) => {
                let n = Literal::u32_unsuffixed(n);
                quote!(ParamType::#v => Some(LenBounds::Fixed(#n)))
            }
            LenBounds::Variable => quote!(ParamType::#v => Some(LenBounds::Variable)),
        });
        let bytes = d.iter().map(|b| Literal::u8_unsuffixed(*b));
        default_arms.push(quote!(ParamType::#v => Some(&[ #( #bytes ),* ])));
    }
    quote! {
        /// The lengths a parameter of type `t` may have, `None` for types libscap cannot size.
        pub const fn len_bounds(t: ParamType) -> Option<LenBounds> {
            match t { #( #bound_arms, )* _ => None }
        }

        /// The default value the converter pushes for a parameter of type `t`.
        pub const fn default_value(t: ParamType) -> Option<&'static [u8]> {
            match t { #( #default_arms, )* _ => None }
        }
    }
}
