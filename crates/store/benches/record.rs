//! Benchmark: the store's two big writes at fleet scale, on a real file.
//!
//! Records an inventory of 100,000 resources three times (the baseline; again with 1%
//! of them modified; again unchanged), then 100,000 findings twice (first sight; again
//! with 1% changing result), then a filtered findings query, and prints wall times and
//! the file size. Run with `cargo bench -p vigil-store` (`VIGIL_BENCH_RESOURCES=N` to
//! change the size). Every write is one transaction with `synchronous=FULL`, as in the
//! daemon.

#![allow(clippy::print_stdout)]

/// The daemon's allocator, so the figures are the daemon's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;
use serde_json::json;
use vigil_inventory::Resource;
use vigil_store::{
    FindingFilter, FindingRecord, NewEvent, PageRequest, ResultStatus, ScanTrigger, SqliteStore,
    StatusFilter, Store, Transition,
};

const ACCOUNT: &str = "123456789012";

fn resource(i: usize, variant: u32) -> Resource {
    let id = format!("arn:aws:s3:::bucket-{i:06}");
    let mut r = Resource::new(id, "aws.s3.bucket", ACCOUNT, "global")
        .with_property(
            "public_access_block",
            json!({
                "block_public_acls": variant == 0,
                "ignore_public_acls": true,
                "block_public_policy": true,
                "restrict_public_buckets": true,
            }),
        )
        .with_property(
            "encryption",
            json!({ "algorithm": "aws:kms", "kms_key_id": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{i}"), "bucket_key": true }),
        )
        .with_property("versioning", json!({ "status": "Enabled", "mfa_delete": null }))
        .with_property("logging", json!({ "target_bucket": "logs", "prefix": format!("s3/{i}/") }))
        .with_property(
            "policy",
            json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Deny", "Principal": "*",
                "Action": "s3:*", "Condition": { "Bool": { "aws:SecureTransport": "false" } } }] }),
        )
        .with_property("object_lock", json!(null));
    r.name = Some(format!("bucket-{i:06}"));
    r.tags.insert("owner".into(), format!("team-{}", i % 40));
    r
}

fn finding(i: usize, fail: bool) -> FindingRecord {
    let uid = format!("vigil:s3_bucket_block_public_acls:arn:aws:s3:::bucket-{i:06}");
    let status = if fail {
        ResultStatus::Fail
    } else {
        ResultStatus::Pass
    };
    FindingRecord {
        body: json!({
            "class_uid": 2003, "activity_id": 1, "severity": "High", "status": status.as_str(),
            "finding_info": { "uid": uid, "title": "S3 bucket blocks public ACLs",
                "desc": "Block public ACLs on the bucket so that no ACL can grant public access." },
            "resources": [{ "uid": format!("arn:aws:s3:::bucket-{i:06}"), "type": "aws.s3.bucket",
                "region": "global", "owner": { "account": { "uid": ACCOUNT } } }],
            "compliance": { "control": "s3_bucket_block_public_acls", "standards": ["CIS AWS 2.1.4"],
                "status": status.as_str() },
            "evidences": [{ "data": { "public_access_block.block_public_acls": !fail } }],
            "metadata": { "product": { "name": "Vigil" }, "version": "1.1.0" },
        }),
        uid,
        rule_id: "s3_bucket_block_public_acls".into(),
        resource_id: format!("arn:aws:s3:::bucket-{i:06}"),
        resource_type: "aws.s3.bucket".into(),
        account: ACCOUNT.into(),
        region: "global".into(),
        status,
        status_detail: None,
        severity: "high".into(),
        title: "S3 bucket blocks public ACLs".into(),
        caf_component: "Preventive".into(),
        waf_area: "Data".into(),
        epics: vec!["data_protection".into(), "infrastructure_security".into()],
    }
}

fn one_event(t: &Transition) -> Vec<NewEvent> {
    vec![NewEvent {
        sink: "siem".into(),
        event_id: t.event_id(),
        kind: format!("finding.{}", t.to.as_str().to_ascii_lowercase()),
        payload: t.finding.body.clone(),
    }]
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("{label:<58} {:>8.2} s", start.elapsed().as_secs_f64());
    out
}

fn main() {
    let n: usize = std::env::var("VIGIL_BENCH_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(&path).unwrap();
    let scan = || {
        store
            .begin_scan(ACCOUNT, ScanTrigger::Schedule, Utc::now())
            .unwrap()
    };
    println!(
        "vigil-store bench: {n} resources, {n} findings, file {}",
        path.display()
    );

    let baseline: Vec<Resource> = (0..n).map(|i| resource(i, 0)).collect();
    let changes = timed(&format!("inventory: baseline of {n} resources"), || {
        store
            .record_inventory(scan(), ACCOUNT, &baseline, &[])
            .unwrap()
    });
    assert!(changes.is_empty());

    let modified: Vec<Resource> = (0..n)
        .map(|i| resource(i, u32::from(i % 100 == 0)))
        .collect();
    let changes = timed("inventory: again, 1% modified", || {
        store
            .record_inventory(scan(), ACCOUNT, &modified, &[])
            .unwrap()
    });
    assert_eq!(changes.len(), n.div_ceil(100));
    let changes = timed("inventory: again, unchanged", || {
        store
            .record_inventory(scan(), ACCOUNT, &modified, &[])
            .unwrap()
    });
    assert!(changes.is_empty());

    let present: HashSet<String> = baseline.iter().map(|r| r.id.clone()).collect();
    let first: Vec<FindingRecord> = (0..n).map(|i| finding(i, i % 10 == 0)).collect();
    let transitions = timed(&format!("findings: {n} first seen (10% failing)"), || {
        store
            .record_results(scan(), ACCOUNT, &first, &present, &mut one_event)
            .unwrap()
    });
    assert_eq!(transitions.len(), n.div_ceil(10));
    let second: Vec<FindingRecord> = (0..n)
        .map(|i| finding(i, (i % 10 == 0) != (i % 100 == 1)))
        .collect();
    let transitions = timed("findings: again, 1% changing result", || {
        store
            .record_results(scan(), ACCOUNT, &second, &present, &mut one_event)
            .unwrap()
    });
    println!("  transitions in the second scan: {}", transitions.len());

    let page = timed("query: first 100 NEW findings of the account", || {
        store
            .list_findings(
                &FindingFilter {
                    account: Some(ACCOUNT.into()),
                    status: Some(StatusFilter::State(vigil_store::LifecycleState::New)),
                    epic: Some("data_protection".into()),
                    ..Default::default()
                },
                &PageRequest::first(100),
            )
            .unwrap()
    });
    assert_eq!(page.items.len(), 100);
    timed("outbox: stats", || store.outbox_stats().unwrap());

    drop(store);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = path.with_extension("db-wal");
    println!(
        "file size: {:.1} MiB (+ WAL {:.1} MiB)",
        size(&path) as f64 / 1048576.0,
        size(&wal) as f64 / 1048576.0
    );
}
