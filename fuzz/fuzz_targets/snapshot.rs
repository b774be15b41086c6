//! A snapshot file: parsed, validated, and, when accepted, built into the graph.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_inventory::{Inventory, Snapshot};

fuzz_target!(|text: &str| {
    if let Ok(snapshot) = Snapshot::from_json(text) {
        let _ = Inventory::from_snapshot(snapshot);
    }
});
