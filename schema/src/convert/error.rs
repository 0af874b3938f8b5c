//! Why an event could not be converted. libscap stops reading the capture on each of these; the
//! converter reports them per event so that the caller can count the event and go on.

/// A conversion failure. Event types are codes of the current table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("event of {0} bytes is shorter than the 26-byte header")]
    ShortHeader(usize),
    #[error("event header claims {claimed} bytes but {available} are available")]
    LengthPastEnd { claimed: u32, available: usize },
    #[error("event len {0} is smaller than the 26-byte header")]
    LengthTooSmall(u32),
    #[error("event type {etype}: nparams {nparams} does not fit in event len {len}")]
    ParamsDoNotFit { etype: u16, nparams: u32, len: u32 },
    #[error("event type {etype}: parameter {param} runs past the event's end")]
    ParamPastEnd { etype: u16, param: u32 },
    #[error("event len {0} is larger than the 65536-byte conversion buffer")]
    TooLarge(u32),
    #[error("event type {0} is an old exit layout that the converter does not manage (table bug)")]
    OldExitNotManaged(u16),
    #[error("event type {etype} has {nparams} parameters, more than the {expected} expected")]
    TooManyParams {
        etype: u16,
        nparams: u32,
        expected: usize,
    },
    #[error("event type {etype} with {nparams} parameters needs a conversion the table lacks")]
    NoRule { etype: u16, nparams: u32 },
    #[error("the pending enter event of type {found} does not belong to exit type {etype}")]
    WrongEnter { etype: u16, found: u16 },
    #[error("event type {etype} has {nparams} parameters; parameter {param} was asked for")]
    MissingParam { etype: u16, param: u8, nparams: u32 },
    #[error("event type {etype} has no parameter {param} in its layout")]
    NotInLayout { etype: u16, param: u32 },
    #[error("parameter {param} of event type {etype} has a type libscap cannot size")]
    UnsizedType { etype: u16, param: u32 },
    #[error("converted event would exceed the 65536-byte conversion buffer")]
    Overflow,
    #[error("converted event would have more than u32::MAX parameters")]
    TooManyNewParams,
    #[error(
        "computed parameter {param} of event type {etype} has {len} bytes, outside {min}..={max}"
    )]
    CallbackLength {
        etype: u16,
        param: u32,
        len: usize,
        min: u32,
        max: u32,
    },
    #[error("event type {etype} with {nparams} parameters reached 50 conversions")]
    TooManyConversions { etype: u16, nparams: u32 },
}
