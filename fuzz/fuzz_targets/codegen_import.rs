//! Arbitrary text as a `driver/` file through codegen's importer. An even first byte: the rest
//! is `ppm_events_public.h` (lexer, preprocessor, header parser, constants). An odd one: the
//! rest is a table file (`flags_table.c`, `dynamic_params_table.c`, `event_table.c`,
//! `syscall_table.c` or a `syscall_compat_<arch>.h`) read against the real header of the
//! imported driver (read from `../shared/libscap/schema-4.5.1` at the first such input and
//! parsed once; never copied into the repository): its table parsers and the syscall map.
//! Invariant: errors, never panics.

#![no_main]

use codegen::import::header::{HEADER_FILE, Header};
use codegen::import::lexer::tokenize;
use codegen::import::macros::MacroTable;
use codegen::import::preproc::{preprocess, userspace_macros};
use codegen::import::{constants, decl, dyn_params, events, flags, syscalls};
use libfuzzer_sys::fuzz_target;
use std::cell::OnceCell;

/// The header of the driver the schema was imported from.
const DRIVER_HEADER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/libscap/schema-4.5.1/ppm_events_public.h"
);

fn driver() -> Driver {
    let text = std::fs::read(DRIVER_HEADER).unwrap_or_else(|e| {
        panic!("table files are read against the driver header {DRIVER_HEADER}: {e}")
    });
    let header = header(&text).expect("the driver's header parses");
    let consts = constants::constants(&header).ok();
    Driver { header, consts }
}

fn header(text: &[u8]) -> Option<Header> {
    let tokens = tokenize(HEADER_FILE, text).ok()?;
    let pre = preprocess(&tokens, userspace_macros()).ok()?;
    Header::parse(&pre.tokens, &userspace_macros()).ok()
}

/// The driver header and its constants, made once.
struct Driver {
    header: Header,
    consts: Option<codegen::model::Constants>,
}

fn tables(driver: &Driver, text: &[u8]) {
    let header = &driver.header;
    let Ok(tokens) = tokenize("fuzz.c", text) else {
        return;
    };
    let Ok(pre) = preprocess(&tokens, MacroTable::over(&header.macros)) else {
        return;
    };
    let defs = decl::parse_array_defs(&pre.tokens, "fuzz.c").unwrap_or_default();
    let flag_tables = flags::flag_tables(&defs, header).unwrap_or_default();
    let dyn_tables = dyn_params::dyn_tables(&defs, header).unwrap_or_default();
    let refs = events::Refs {
        flags: &flag_tables,
        dyns: &dyn_tables,
    };
    let evs = events::events(&defs, header, &refs).unwrap_or_default();
    // The file as an architecture's `syscall_compat_<arch>.h` too, preprocessed on its own as
    // the importer does.
    if let (Some(consts), Ok(compat)) = (&driver.consts, preprocess(&tokens, userspace_macros())) {
        let known = syscalls::Known {
            header,
            events: &evs,
            ppm_sc: &consts.ppm_sc,
        };
        for arch in syscalls::ARCHES {
            let _ = syscalls::syscall_map(arch, &compat.macros, &tokens, &known);
        }
    }
}

thread_local! {
    static DRIVER: OnceCell<Driver> = const { OnceCell::new() };
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, text)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Some(h) = header(text) {
            let _ = constants::constants(&h);
        }
    } else {
        DRIVER.with(|d| {
            tables(d.get_or_init(driver), text);
        });
    }
});
