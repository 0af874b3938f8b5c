//! Facts about parameter types that the converter needs: the lengths a value of each type may
//! have, and the default value the converter pushes for it. They follow libscap's
//! `ppm_param_min_len_from_type` / `ppm_param_max_len_from_type` (driver/ppm_param_helpers.h)
//! and the converter's default value (`UINT32_MAX` for uid and gid, zero otherwise, written in
//! the type's minimum length). Types not listed have no bounds: libscap fails on them, so an
//! entry that would copy, default or compute such a parameter is rejected by validation.

/// The lengths a parameter of a type may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenBounds {
    /// Exactly this many bytes.
    Fixed(u32),
    /// 0 up to the largest length the event's length width can express (u16 or u32).
    Variable,
}

/// Length bounds of a `PT_*` type, `None` for types libscap gives none.
pub fn len_bounds(ptype: &str) -> Option<LenBounds> {
    Some(match ptype {
        "PT_INT8" | "PT_UINT8" | "PT_FLAGS8" | "PT_ENUMFLAGS8" | "PT_SIGTYPE" => {
            LenBounds::Fixed(1)
        }
        "PT_INT16" | "PT_UINT16" | "PT_FLAGS16" | "PT_ENUMFLAGS16" | "PT_SYSCALLID" | "PT_PORT" => {
            LenBounds::Fixed(2)
        }
        "PT_INT32" | "PT_UINT32" | "PT_FLAGS32" | "PT_ENUMFLAGS32" | "PT_UID" | "PT_GID"
        | "PT_MODE" | "PT_SIGSET" | "PT_FD32" | "PT_PID32" | "PT_IPV4ADDR" => LenBounds::Fixed(4),
        "PT_INT64" | "PT_UINT64" | "PT_RELTIME" | "PT_ABSTIME" | "PT_ERRNO" | "PT_FD"
        | "PT_PID" => LenBounds::Fixed(8),
        "PT_IPV6ADDR" => LenBounds::Fixed(16),
        "PT_BYTEBUF"
        | "PT_CHARBUF"
        | "PT_SOCKTUPLE"
        | "PT_FDLIST"
        | "PT_FSPATH"
        | "PT_CHARBUFARRAY"
        | "PT_CHARBUF_PAIR_ARRAY"
        | "PT_FSRELPATH"
        | "PT_DYN"
        | "PT_SOCKADDR" => LenBounds::Variable,
        _ => return None,
    })
}

/// The default value of a type as the converter writes it (little endian), `None` for types
/// without bounds.
pub fn default_value(ptype: &str) -> Option<Vec<u8>> {
    let len = match len_bounds(ptype)? {
        LenBounds::Fixed(n) => n as usize,
        LenBounds::Variable => 0,
    };
    let fill = if matches!(ptype, "PT_UID" | "PT_GID") {
        0xff
    } else {
        0
    };
    Some(vec![fill; len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(default_value("PT_UID"), Some(vec![0xff; 4]));
        assert_eq!(default_value("PT_FD"), Some(vec![0; 8]));
        assert_eq!(default_value("PT_CHARBUF"), Some(vec![]));
        assert_eq!(default_value("PT_BOOL"), None);
        assert_eq!(len_bounds("PT_IPV6ADDR"), Some(LenBounds::Fixed(16)));
    }
}
