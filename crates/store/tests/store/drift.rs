//! Drift: changes between successive inventories of an account.

use serde_json::json;
use vigil_inventory::{Gap, Resource};
use vigil_store::{ChangeFilter, ChangeKind, FieldChange, PageRequest, Store};

use crate::common::*;

const BUCKET: &str = "arn:aws:s3:::data";
const ROLE: &str = "arn:aws:iam::111111111111:role/admin";
const SG: &str = "arn:aws:ec2:us-east-1:111111111111:security-group/sg-1";
const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/k-1";

fn bucket(block_acls: bool) -> Resource {
    Resource::new(BUCKET, "aws.s3.bucket", ACCOUNT, "global").with_property(
        "public_access_block",
        json!({ "block_public_acls": block_acls, "ignore_public_acls": true }),
    )
}

fn role() -> Resource {
    Resource::new(ROLE, "aws.iam.role", ACCOUNT, "global").with_property(
        "trust_policy",
        json!({ "Statement": [{ "Effect": "Allow" }] }),
    )
}

fn sg() -> Resource {
    Resource::new(SG, "aws.ec2.security_group", ACCOUNT, "us-east-1")
        .with_property("ingress", json!([{ "cidr": "10.0.0.0/8", "port": 22 }]))
}

fn key() -> Resource {
    Resource::new(KEY, "aws.kms.key", ACCOUNT, "us-east-1").with_property("rotation", json!(true))
}

fn changes_between_scans(store: &dyn Store) {
    let inventory = |minutes: i64, resources: &[Resource], gaps: &[Gap]| {
        let scan = scan(store, ACCOUNT, minutes);
        store
            .record_inventory(scan, ACCOUNT, resources, gaps)
            .unwrap()
    };

    // The first inventory is the baseline: nothing "added".
    assert!(inventory(0, &[bucket(true), role(), sg()], &[]).is_empty());
    // Unchanged resources produce nothing.
    assert!(inventory(10, &[sg(), role(), bucket(true)], &[]).is_empty());

    let mut tagged = bucket(false);
    tagged
        .tags
        .insert("aws:cloudformation/stack-name".into(), "data".into());
    let changes = inventory(20, &[tagged, role(), key()], &[]);
    let summary: Vec<(&str, ChangeKind)> = changes
        .iter()
        .map(|c| (c.resource_id.as_str(), c.kind))
        .collect();
    assert_eq!(
        summary,
        [
            (BUCKET, ChangeKind::Modified),
            (KEY, ChangeKind::Added),
            (SG, ChangeKind::Removed),
        ]
    );
    assert_eq!(
        changes[0].fields,
        [
            FieldChange {
                path: "/properties/public_access_block/block_public_acls".into(),
                old: Some(json!(true)),
                new: Some(json!(false)),
            },
            FieldChange {
                path: "/tags".into(),
                old: None,
                new: Some(json!({ "aws:cloudformation/stack-name": "data" })),
            },
        ]
    );
    assert_eq!(changes[0].detected_at, at(20));
    assert_eq!(
        changes[1].snapshot.as_ref().unwrap()["properties"]["rotation"],
        json!(true)
    );
    assert_eq!(
        changes[2].snapshot.as_ref().unwrap()["properties"]["ingress"][0]["port"],
        json!(22),
        "a removed resource keeps its last known state"
    );

    // A tag changes value: the path escapes the slash in its key (RFC 6901).
    let mut retagged = bucket(false);
    retagged
        .tags
        .insert("aws:cloudformation/stack-name".into(), "other".into());
    let changes = inventory(30, &[retagged, role(), key()], &[]);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].fields[0].path,
        "/tags/aws:cloudformation~1stack-name"
    );

    // The listing returns what was recorded, newest first, and filters.
    let all = store
        .list_changes(&ChangeFilter::default(), &PageRequest::first(100))
        .unwrap();
    assert_eq!(all.items.len(), 4);
    assert_eq!(all.items[0].fields[0].new, Some(json!("other")));
    let of_bucket = store
        .list_changes(
            &ChangeFilter {
                resource_id: Some(BUCKET.into()),
                ..Default::default()
            },
            &PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(of_bucket.items.len(), 2);
    let recent = store
        .list_changes(
            &ChangeFilter {
                account: Some(ACCOUNT.into()),
                since: Some(at(25)),
                ..Default::default()
            },
            &PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(recent.items.len(), 1);
    let first = store
        .list_changes(&ChangeFilter::default(), &PageRequest::first(3))
        .unwrap();
    let rest = store
        .list_changes(
            &ChangeFilter::default(),
            &PageRequest::after(3, first.next.clone().unwrap()),
        )
        .unwrap();
    assert_eq!(first.items.len() + rest.items.len(), 4);
    assert_eq!(rest.next, None);
    assert_eq!(rest.items[0].resource_id, all.items[3].resource_id);
}

fn resources_hidden_by_a_gap_are_not_removed_or_modified(store: &dyn Store) {
    let inventory = |minutes: i64, resources: &[Resource], gaps: &[Gap]| {
        let scan = scan(store, ACCOUNT, minutes);
        store
            .record_inventory(scan, ACCOUNT, resources, gaps)
            .unwrap()
    };
    inventory(0, &[bucket(true), role(), sg()], &[]);

    // IAM could not be listed; the bucket's detail call failed, so its properties are
    // missing. Neither is a change.
    let list_gap = Gap {
        service: "iam".into(),
        operation: "ListRoles".into(),
        account: ACCOUNT.into(),
        region: "global".into(),
        resource_types: vec!["aws.iam.role".into()],
        resource: None,
        error_code: "AccessDenied".into(),
        message: String::new(),
    };
    let detail_gap = Gap {
        service: "s3".into(),
        operation: "GetPublicAccessBlock".into(),
        resource_types: Vec::new(),
        resource: Some(BUCKET.into()),
        ..list_gap.clone()
    };
    let bare_bucket = Resource::new(BUCKET, "aws.s3.bucket", ACCOUNT, "global");
    let changes = inventory(10, &[bare_bucket, sg()], &[list_gap, detail_gap]);
    assert!(changes.is_empty(), "{changes:?}");

    // Once visible again, the stored state is what the next scan compares against.
    let changes = inventory(20, &[bucket(false), role(), sg()], &[]);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].fields[0].old, Some(json!(true)));
}

fn another_accounts_resources_are_refused(store: &dyn Store) {
    let scan = scan(store, ACCOUNT, 0);
    let foreign = Resource::new("arn:x", "aws.s3.bucket", OTHER_ACCOUNT, "global");
    let err = store
        .record_inventory(scan, ACCOUNT, &[foreign], &[])
        .unwrap_err();
    assert!(err.to_string().contains(OTHER_ACCOUNT), "{err}");
}

conformance!(
    changes_between_scans,
    resources_hidden_by_a_gap_are_not_removed_or_modified,
    another_accounts_resources_are_refused,
);
