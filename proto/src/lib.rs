//! The protect API as edera-falco speaks it: `protect.control.v1` messages and the
//! `ControlService` client and server (the subset the plugin and the stand-in daemon use,
//! wire-identical to Edera's), and edera-falco's extensions (`edera.falco.v1`).

/// Edera's API (the subset).
pub mod protect {
    pub mod control {
        pub mod v1 {
            tonic::include_proto!("protect.control.v1");
        }
    }
}

/// edera-falco's extensions: batched raw events and drop counters, asked for by a request
/// field a real daemon ignores.
pub mod edera {
    pub mod falco {
        pub mod v1 {
            tonic::include_proto!("edera.falco.v1");
        }
    }
}

pub use edera::falco::v1 as ext;
pub use protect::control::v1 as control;

pub mod batch;
pub mod events;
pub mod network;
pub mod snapshot;
