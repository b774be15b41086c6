//! The contract that lets a scan say what it did not look at: every resource type and
//! every property of the account and region nodes has an owning collector, named as
//! `--services` takes it, so a service left out of a scan leaves exactly its own
//! resources and properties unjudged.

use std::collections::BTreeSet;
use std::path::PathBuf;

use vigil_collect::COLLECTORS;
use vigil_inventory::{RESOURCE_TYPES, SCOPE_PROPERTIES, service_of_type};

/// `(key, setter)` for every `set_account("key"` / `set_region("key"` call in a source.
fn scope_keys(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for (setter, node) in [
        ("set_account(", "aws.account"),
        ("set_region(", "aws.region"),
    ] {
        for (at, _) in text.match_indices(setter) {
            let rest = text[at + setter.len()..].trim_start();
            if let Some(rest) = rest.strip_prefix('"')
                && let Some(end) = rest.find('"')
            {
                out.push((rest[..end].to_owned(), node));
            }
        }
    }
    out
}

fn literal_services(text: &str) -> BTreeSet<String> {
    text.match_indices("service: \"")
        .filter_map(|(at, m)| {
            let rest = &text[at + m.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_resource_type_belongs_to_a_collector() {
    let services: BTreeSet<&str> = COLLECTORS.iter().map(|c| c.service).collect();
    for t in RESOURCE_TYPES {
        if let Some(service) = service_of_type(t.name) {
            assert!(
                services.contains(service),
                "{} maps to `{service}`, which is no collector",
                t.name
            );
        }
    }
}

#[test]
fn scope_properties_name_the_collector_that_writes_them() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let mut written = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        // A collector is one file, or a folder of files (ec2/) read as one text.
        let text = if entry.path().is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(entry.path())
                .unwrap()
                .flatten()
                .map(|f| f.path())
                .collect();
            files.sort();
            files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            std::fs::read_to_string(entry.path()).unwrap()
        };
        let services = literal_services(&text);
        for (key, node) in scope_keys(&text) {
            let owner = SCOPE_PROPERTIES
                .iter()
                .find(|(t, k, _)| *t == node && *k == key)
                .map(|(_, _, s)| *s)
                .unwrap_or_else(|| {
                    panic!(
                        "{} writes {node}.{key}, which SCOPE_PROPERTIES does not list",
                        entry.path().display()
                    )
                });
            assert!(
                services.contains(owner),
                "{node}.{key} is written in {} (services {services:?}), listed as `{owner}`",
                entry.path().display()
            );
            written.insert((node, key));
        }
    }
    for (node, key, _) in SCOPE_PROPERTIES {
        assert!(
            written.contains(&(*node, key.to_string())),
            "SCOPE_PROPERTIES lists {node}.{key}, which no collector writes"
        );
    }
}
