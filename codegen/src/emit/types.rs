//! How each libscap parameter type is read from an event: the Rust type of its typed accessor.
//! Sizes follow libscap's encoder (`scap_event.c`): 1, 2, 4 or 8 bytes for the fixed types,
//! NUL-terminated strings for the path and string types, raw bytes for the rest.

use proc_macro2::TokenStream;
use quote::quote;

/// The accessor type of a `PT_*` parameter type, or `None` for a name the generator does not
/// know (a new upstream type: validation reports it so that this table gets extended).
pub fn accessor_type(ptype: &str) -> Option<TokenStream> {
    Some(match ptype {
        "PT_INT8" => quote!(i8),
        "PT_INT16" => quote!(i16),
        "PT_INT32" | "PT_FD32" | "PT_PID32" => quote!(i32),
        "PT_INT64" | "PT_ERRNO" | "PT_FD" | "PT_PID" => quote!(i64),
        "PT_UINT8" | "PT_FLAGS8" | "PT_SIGTYPE" | "PT_L4PROTO" | "PT_SOCKFAMILY"
        | "PT_ENUMFLAGS8" => quote!(u8),
        "PT_UINT16" | "PT_SYSCALLID" | "PT_PORT" | "PT_FLAGS16" | "PT_ENUMFLAGS16" => quote!(u16),
        "PT_UINT32" | "PT_BOOL" | "PT_IPV4ADDR" | "PT_UID" | "PT_GID" | "PT_FLAGS32"
        | "PT_SIGSET" | "PT_MODE" | "PT_ENUMFLAGS32" => quote!(u32),
        "PT_UINT64" | "PT_RELTIME" | "PT_ABSTIME" => quote!(u64),
        "PT_DOUBLE" => quote!(f64),
        "PT_CHARBUF" | "PT_FSPATH" | "PT_FSRELPATH" => quote!(crate::event::CStrParam<'a>),
        "PT_NONE"
        | "PT_BYTEBUF"
        | "PT_SOCKADDR"
        | "PT_SOCKTUPLE"
        | "PT_FDLIST"
        | "PT_DYN"
        | "PT_CHARBUFARRAY"
        | "PT_CHARBUF_PAIR_ARRAY"
        | "PT_IPV4NET"
        | "PT_IPV6ADDR"
        | "PT_IPV6NET"
        | "PT_IPADDR"
        | "PT_IPNET" => quote!(&'a [u8]),
        _ => return None,
    })
}

/// Fixed encoded size in bytes of a parameter type, `None` for variable-length types.
pub fn fixed_size(ptype: &str) -> Option<u8> {
    match ptype {
        "PT_INT8" | "PT_UINT8" | "PT_FLAGS8" | "PT_SIGTYPE" | "PT_L4PROTO" | "PT_SOCKFAMILY"
        | "PT_ENUMFLAGS8" => Some(1),
        "PT_INT16" | "PT_UINT16" | "PT_SYSCALLID" | "PT_PORT" | "PT_FLAGS16" | "PT_ENUMFLAGS16" => {
            Some(2)
        }
        "PT_INT32" | "PT_UINT32" | "PT_BOOL" | "PT_IPV4ADDR" | "PT_UID" | "PT_GID"
        | "PT_FLAGS32" | "PT_SIGSET" | "PT_MODE" | "PT_ENUMFLAGS32" | "PT_FD32" | "PT_PID32" => {
            Some(4)
        }
        "PT_INT64" | "PT_UINT64" | "PT_ERRNO" | "PT_FD" | "PT_PID" | "PT_RELTIME"
        | "PT_ABSTIME" | "PT_DOUBLE" => Some(8),
        _ => None,
    }
}
