//! A rule file (YAML with a CEL condition): loaded and checked like a user rule.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_rules::{RuleSet, RuleSource};

fuzz_target!(|text: &str| {
    let _ = RuleSet::from_sources(vec![RuleSource {
        path: "rules/custom/fuzzed.yaml".into(),
        text: text.to_owned(),
        fixtures: None,
    }]);
});
