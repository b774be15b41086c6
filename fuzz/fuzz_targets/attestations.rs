//! An attestations file, checked against the real maturity models.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigil_rules::RuleSet;
use vigil_score::{Attestations, Models};

fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
        let rules = RuleSet::load_dirs(&[root.clone()]).expect("the built-in rules load");
        let sources = Models::read_dir(&root.join("maturity")).expect("the models read");
        Models::from_sources(&sources, &rules).expect("the models load")
    })
}

fuzz_target!(|text: &str| {
    let _ = Attestations::parse(text, "fuzzed.yaml", models());
});
