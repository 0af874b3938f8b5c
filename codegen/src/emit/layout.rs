//! Emits the records the agent's kernel side and user side share ([`crate::capture::layout`])
//! from one computed layout: C definitions for `capture_plan.h`, each struct followed by
//! `_Static_assert`s on its size and field offsets; and for `capture_plan.rs` the sizes, a
//! `#[repr(C)]` struct with `const` assertions for a record the agent writes, and a module of
//! byte offsets for a record it reads. The ring buffers' maps are named for both sides: the
//! `RINGS` X-macro the kernel side declares and selects them with, `RING_NAMES` for the agent.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{GenError, Problem};
use crate::capture::layout::{
    Field, Layout, Len, PROCEXIT_NR, RECORD_FLAGS, SIZES, STRUCTS, Struct, Ty, Use, layout,
    ring_maps,
};

/// Where the records are described, for errors.
const DESCRIPTION: &str = "codegen/src/capture/layout.rs";

/// Every shared struct with its layout, in definition order.
fn laid_out() -> Result<Vec<(&'static Struct, Layout)>, GenError> {
    STRUCTS
        .iter()
        .map(|s| layout(s).map(|l| (*s, l)))
        .collect::<Result<_, _>>()
        .map_err(|message| {
            GenError::Invalid(vec![Problem {
                file: DESCRIPTION.into(),
                entry: String::new(),
                message,
            }])
        })
}

fn usize_lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

fn doc(text: &str) -> TokenStream {
    if text.is_empty() {
        quote! {}
    } else {
        quote! { #[doc = #text] }
    }
}

/// The Rust side: the sizes, `RF_*`, `PROCEXIT_NR` and `RING_NAMES`, and each struct.
pub fn rust() -> Result<TokenStream, GenError> {
    let sizes = SIZES.iter().map(|s| {
        let (name, v, d) = (format_ident!("{}", s.name), usize_lit(s.value), doc(s.doc));
        quote! { #d pub const #name: usize = #v; }
    });
    let flags = RECORD_FLAGS.iter().map(|(name, v, d)| {
        let (name, v, d) = (
            format_ident!("{name}"),
            Literal::u32_unsuffixed(u32::from(*v)),
            doc(&format!("`record_head.flags`: {d}")),
        );
        quote! { #d pub const #name: u32 = #v; }
    });
    let procexit = Literal::u32_unsuffixed(PROCEXIT_NR);
    let rings = ring_maps();
    let structs = laid_out()?
        .into_iter()
        .map(|(s, l)| match s.used {
            Use::Written { rust } => written(s, &l, rust),
            Use::Read => Ok(offsets(s, &l)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        #(#sizes)*
        #(#flags)*
        /// `record_head.nr` of a process exit.
        pub const PROCEXIT_NR: u32 = #procexit;
        /// The ring buffer maps by name, ring n's at n (the kernel side's `RINGS`).
        pub const RING_NAMES: [&str; NRINGS] = [#(#rings),*];
        #(#structs)*
    })
}

/// The Rust type of a field of a written struct: a scalar or an array of them.
fn rust_type(s: &Struct, f: &Field) -> Result<TokenStream, GenError> {
    let Ty::Scalar(scalar) = f.ty else {
        return Err(GenError::Invalid(vec![Problem {
            file: DESCRIPTION.into(),
            entry: s.name.into(),
            message: format!(
                "field `{}`: a struct the agent writes holds scalars and arrays of them",
                f.name
            ),
        }]));
    };
    let item = format_ident!("{}", scalar.rust());
    Ok(f.dims.iter().rev().fold(quote! { #item }, |inner, d| {
        let n = rust_len(*d);
        quote! { [#inner; #n] }
    }))
}

fn rust_len(d: Len) -> TokenStream {
    match d {
        Len::Bytes(n) => {
            let n = usize_lit(n);
            quote! { #n }
        }
        Len::Of(s) => {
            let s = format_ident!("{}", s.name);
            quote! { #s }
        }
        Len::Sum(a, b) => {
            let (a, b) = (format_ident!("{}", a.name), format_ident!("{}", b.name));
            quote! { #a + #b }
        }
    }
}

/// A struct the agent writes: `#[repr(C)]`, `aya::Pod` (integers without padding: [`layout`]
/// refuses gaps), and its size and every offset asserted against rustc's layout.
fn written(s: &Struct, l: &Layout, rust: &str) -> Result<TokenStream, GenError> {
    let name = format_ident!("{rust}");
    let d = doc(&format!(
        "`struct {}` of the kernel side: {} Plain integers without padding.",
        s.name, s.doc
    ));
    let fields = s
        .fields
        .iter()
        .map(|f| {
            let (fname, ty, d) = (format_ident!("{}", f.name), rust_type(s, f)?, doc(f.doc));
            Ok(quote! { #d pub #fname: #ty, })
        })
        .collect::<Result<Vec<_>, GenError>>()?;
    let size = usize_lit(l.size);
    let at = s.fields.iter().zip(&l.offsets).map(|(f, at)| {
        let (fname, at) = (format_ident!("{}", f.name), usize_lit(*at));
        quote! { const _: () = assert!(::core::mem::offset_of!(#name, #fname) == #at); }
    });
    Ok(quote! {
        #d
        #[repr(C)]
        #[derive(Clone, Copy)]
        pub struct #name { #(#fields)* }
        unsafe impl aya::Pod for #name {}
        const _: () = {
            let size = ::core::mem::size_of::<#name>();
            assert!(size == #size);
        };
        #(#at)*
    })
}

/// A struct the agent reads: its size and its fields' byte offsets (padding left out).
fn offsets(s: &Struct, l: &Layout) -> TokenStream {
    let module = format_ident!("{}", s.name);
    let d = doc(&format!(
        "Byte offsets of the fields of `struct {}`, and its size: {}",
        s.name, s.doc
    ));
    let size = usize_lit(l.size);
    let fields = s
        .fields
        .iter()
        .zip(&l.offsets)
        .filter(|(f, _)| f.name != "pad")
        .map(|(f, at)| {
            let name = format_ident!("{}", f.name.to_ascii_uppercase());
            let d = doc(&if f.doc.is_empty() {
                format!("`{}`.", f.name)
            } else {
                format!("`{}`: {}", f.name, f.doc)
            });
            let at = usize_lit(*at);
            quote! { #d pub const #name: usize = #at; }
        });
    quote! {
        #d
        pub mod #module {
            /// Its size in bytes.
            pub const SIZE: usize = #size;
            #(#fields)*
        }
    }
}

/// The C side: the sizes, `RF_*`, `PROCEXIT_NR` and `RINGS` as `#define`s, then each struct with
/// its assertions.
pub fn c() -> Result<String, GenError> {
    let mut s = String::new();
    for size in SIZES {
        s += &format!("#define {} {} /* {} */\n", size.name, size.value, size.doc);
    }
    s += "\n/* record_head.flags */\n";
    for (name, v, d) in RECORD_FLAGS {
        s += &format!("#define {name} {v} /* {d} */\n");
    }
    s += &format!("#define PROCEXIT_NR {PROCEXIT_NR:#x} /* record_head.nr of a process exit */\n");
    s += &c_rings(&ring_maps());
    s += "\n/* Each struct's size and field offsets as the agent reads and writes them. */\n";
    s += "#define LAYOUT_SIZE(s, n) _Static_assert(sizeof(struct s) == (n), \"struct \" #s \": the agent's layout\")\n";
    s += "#define LAYOUT_AT(s, f, n) \\\n    _Static_assert(__builtin_offsetof(struct s, f) == (n), #s \".\" #f \": the agent's layout\")\n";
    for (st, l) in laid_out()? {
        s += "\n";
        s += &c_struct(st, &l);
    }
    Ok(s)
}

/// `RINGS(RING, LAST)`, the ring buffer maps as an X-macro: `RING(n, map)` for each ring but
/// the last, `LAST(n, map)` for the last (a `switch (cpu % NRINGS)`'s default).
fn c_rings(maps: &[String]) -> String {
    let (last, each) = maps
        .split_last()
        .expect("one ring at least (asserted in capture::layout)");
    let mut s = String::from(
        "\n/* The ring buffer maps, ring n at n (RING_NAMES of the agent): RING(n, map) for each but the\n * last, LAST(n, map) for the last (the default of a switch on cpu % NRINGS). */\n#define RINGS(RING, LAST)",
    );
    for (n, map) in each.iter().enumerate() {
        s += &format!(" \\\n    RING({n}, {map})");
    }
    s + &format!(" \\\n    LAST({}, {last})\n", each.len())
}

/// A C comment of `text` at `indent`, words wrapped to 100 columns.
fn c_comment(text: &str, indent: &str) -> String {
    let mut lines = vec![format!("{indent}/*")];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if last.len() + 1 + word.len() > 97 {
            lines.push(format!("{indent} * {word}"));
        } else {
            *last += " ";
            *last += word;
        }
    }
    lines.join("\n") + " */\n"
}

fn c_len(d: Len) -> String {
    match d {
        Len::Bytes(n) => n.to_string(),
        Len::Of(s) => s.name.into(),
        Len::Sum(a, b) => format!("{} + {}", a.name, b.name),
    }
}

fn c_struct(st: &Struct, l: &Layout) -> String {
    let mut s = c_comment(st.doc, "");
    s += &format!("struct {} {{\n", st.name);
    for f in st.fields {
        let ty = match f.ty {
            Ty::Scalar(x) => x.c().to_string(),
            Ty::Struct(inner) => format!("struct {}", inner.name),
        };
        let dims: String = f.dims.iter().map(|d| format!("[{}]", c_len(*d))).collect();
        let decl = format!("    {ty} {}{dims};", f.name);
        if f.doc.is_empty() {
            s += &format!("{decl}\n");
        } else if decl.len() + f.doc.len() + 7 <= 100 {
            s += &format!("{decl} /* {} */\n", f.doc);
        } else {
            s += &c_comment(f.doc, "    ");
            s += &format!("{decl}\n");
        }
    }
    s += "};\n";
    s += &format!("LAYOUT_SIZE({}, {});\n", st.name, l.size);
    for (f, at) in st.fields.iter().zip(&l.offsets) {
        s += &format!("LAYOUT_AT({}, {}, {at});\n", st.name, f.name);
    }
    s
}
