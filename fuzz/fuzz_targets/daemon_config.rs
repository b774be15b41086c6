//! A daemon configuration (`vigil.toml`), parsed and validated as `vigil daemon` and
//! `vigil config validate` do. The daemon lives in the binary crate, which links the
//! AWS SDK; its configuration module depends on no SDK, so it is compiled here as it is.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/vigil/src/daemon/config.rs"]
mod config;

fuzz_target!(|text: &str| {
    // Environment lookups answer for some names only, as a real environment does.
    let env = |name: &str| (name.len() % 2 == 0).then(|| "value".to_owned());
    let _ = config::parse(
        Path::new("fuzz/vigil.toml"),
        text,
        &env,
        &["iam", "s3", "ec2"],
    );
});
