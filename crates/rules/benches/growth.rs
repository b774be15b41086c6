//! Benchmark: how the cost of each parser and helper that takes untrusted input grows
//! with its size. Each one is fed inputs of 1x, 4x and 16x a base size (hostile shapes:
//! long names, many statements, patterns built to backtrack, long region ids) and the
//! time is printed with the growth factor against 1x. Linear work grows about 4x and
//! 16x; O(n log n) a little more; anything quadratic shows as ~16x and ~256x.
//! Run with `cargo bench -p vigil-rules --bench growth`.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use serde_json::json;
use vigil_inventory::Snapshot;
use vigil_rules::Mutelist;
use vigil_rules::helpers::iam::{Policy, wildcard_match};

/// Best of three runs, so that a scheduling hiccup does not read as growth.
fn time(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .expect("three runs")
}

fn report(name: &str, base: usize, run: impl Fn(usize) -> Duration) {
    let one = run(base);
    let four = run(base * 4);
    let sixteen = run(base * 16);
    let ratio = |d: Duration| d.as_secs_f64() / one.as_secs_f64().max(1e-9);
    println!(
        "{name:<44} n={base:>8}: {:>9.3} ms | 4n: {:>9.3} ms ({:>5.1}x) | 16n: {:>9.3} ms ({:>6.1}x)",
        one.as_secs_f64() * 1e3,
        four.as_secs_f64() * 1e3,
        ratio(four),
        sixteen.as_secs_f64() * 1e3,
        ratio(sixteen),
    );
}

fn snapshot_with_name(n: usize) -> String {
    json!({
        "format": "vigil.snapshot/v1",
        "resources": [{"id": "a", "type": "aws.s3.bucket", "account": "111111111111",
                       "region": "global", "name": "n".repeat(n)}],
    })
    .to_string()
}

fn snapshot_with_resources(n: usize) -> String {
    let resources: Vec<_> = (0..n)
        .map(|i| {
            json!({"id": format!("arn:aws:s3:::b{i}"), "type": "aws.s3.bucket",
                        "account": "111111111111", "region": "global"})
        })
        .collect();
    json!({"format": "vigil.snapshot/v1", "resources": resources}).to_string()
}

fn policy_with_statements(n: usize) -> String {
    let statements: Vec<_> = (0..n)
        .map(|i| {
            json!({"Effect": "Allow", "Action": format!("s3:Get{i}*"),
                        "Resource": format!("arn:aws:s3:::b{i}/*"),
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn mutelist_with_entries(n: usize) -> String {
    let mut text = String::from("mutes:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - rule: rule_{i}\n    resource: \"arn:aws:s3:::bucket-{i}-*\"\n    reason: accepted\n    expires: 2099-01-01\n"
        ));
    }
    text
}

fn main() {
    println!("growth of parsers and helpers over untrusted input (best of 3)");
    report("snapshot: one resource name of n chars", 250_000, |n| {
        let text = snapshot_with_name(n);
        time(|| {
            Snapshot::from_json(&text).unwrap();
        })
    });
    report("snapshot: n resources", 5_000, |n| {
        let text = snapshot_with_resources(n);
        time(|| {
            Snapshot::from_json(&text).unwrap();
        })
    });
    report("snapshot: region id of n chars (refused)", 250_000, |n| {
        let text = json!({"format": "vigil.snapshot/v1", "resources": [{"id": "a",
            "type": "aws.s3.bucket", "account": "111111111111", "region": "r".repeat(n)}]})
        .to_string();
        time(|| {
            assert!(Snapshot::from_json(&text).is_err());
        })
    });
    report("policy: n statements, parse + is_public", 1_000, |n| {
        let text = policy_with_statements(n);
        time(|| {
            let policy = Policy::from_text(&text).unwrap();
            assert!(!policy.is_public());
        })
    });
    report("policy: allows over n statements", 1_000, |n| {
        let policy = Policy::from_text(&policy_with_statements(n)).unwrap();
        time(|| {
            assert!(!policy.allows("ec2:RunInstances", "*"));
        })
    });
    report("wildcard: `*` + n/2 chars vs n chars", 100_000, |n| {
        let text = "a".repeat(n);
        let pattern = format!("*{}b", "a".repeat(n / 2));
        time(|| {
            assert!(!wildcard_match(&pattern, &text, true));
        })
    });
    report("wildcard: n/8 stars and letters vs n chars", 40_000, |n| {
        let text = "ab".repeat(n / 2);
        let pattern = "*a".repeat(n / 8) + "c";
        time(|| {
            assert!(!wildcard_match(&pattern, &text, true));
        })
    });
    report("mutelist: n entries, parse", 1_000, |n| {
        let text = mutelist_with_entries(n);
        time(|| {
            Mutelist::parse(&text, "bench.yaml").unwrap();
        })
    });
}
