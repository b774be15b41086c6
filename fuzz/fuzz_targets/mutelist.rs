//! A mutelist file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_rules::Mutelist;

fuzz_target!(|text: &str| {
    let _ = Mutelist::parse(text, "fuzzed.yaml");
});
