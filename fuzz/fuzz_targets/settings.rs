//! A settings file, parsed and validated as `Settings::load` does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_rules::Settings;

fuzz_target!(|text: &str| {
    if let Ok(settings) = serde_saphyr::from_str::<Settings>(text) {
        let _ = settings.validate();
    }
});
