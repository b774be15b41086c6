//! `vigil explain`.

use super::*;

#[test]
fn explain_says_why_a_role_can_or_cannot_act_on_a_bucket() {
    let dir = TempDir::new().unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/app");
    let snapshot = json!({
        "format": "vigil.snapshot/v1",
        "resources": [
            {"id": role, "type": "aws.iam.role", "account": ACCOUNT, "region": "global",
             "properties": {"role_name": "app", "attached_policies": [], "inline_policies": [
                {"name": "s3-all", "document": {"Statement": [
                    {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}},
            {"id": "arn:aws:s3:::data", "type": "aws.s3.bucket", "account": ACCOUNT, "region": "global",
             "properties": {"policy": {"Statement": [
                {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                 "Resource": "arn:aws:s3:::data/*"}]}}},
            // Outside an organisation: no SCP applies.
            {"id": format!("arn:aws::{ACCOUNT}:account"), "type": "aws.account", "account": ACCOUNT,
             "region": "global", "properties": {"organization": null}}
        ]
    });
    let path = write(dir.path(), "iam.snapshot.json", &snapshot.to_string());
    let allowed = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &role,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/report.csv",
    ]);
    allowed.assert_code(0).assert_stdout_contains("S3");
    let denied = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &role,
        "--action",
        "s3:DeleteObject",
        "--resource",
        "arn:aws:s3:::data/report.csv",
        "--format",
        "json",
    ]);
    denied.assert_code(1);
    let answer: Value = serde_json::from_str(&denied.stdout).unwrap();
    assert_eq!(answer["decision"], "ExplicitlyDenied", "{answer}");
    assert!(denied.stdout.contains("NoDeletes"), "{}", denied.stdout);
    assert!(
        answer["not_applied"]
            .as_array()
            .is_some_and(|n| n.len() == 1)
    );
    // Not a principal: an input error naming it.
    vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        "arn:aws:s3:::data",
        "--action",
        "s3:GetObject",
    ])
    .assert_code(2)
    .assert_stderr_contains("is not an IAM user or role");
}

/// `vigil explain --paths`: the escalation analysis for one principal. A developer may
/// assume a deployer role that may write its own inline policy: two hops to
/// administrator, each named by its method and calls. The deployer is reached from the
/// developer; an intern with no permissions has no path (exit status 1).
#[test]
fn explain_paths_shows_the_way_to_administrator_hop_by_hop() {
    let dir = TempDir::new().unwrap();
    let dev = format!("arn:aws:iam::{ACCOUNT}:user/dev");
    let intern = format!("arn:aws:iam::{ACCOUNT}:user/intern");
    let deployer = format!("arn:aws:iam::{ACCOUNT}:role/deployer");
    let user = |name: &str, statements: Value| {
        json!({"id": format!("arn:aws:iam::{ACCOUNT}:user/{name}"), "type": "aws.iam.user",
               "account": ACCOUNT, "region": "global",
               "properties": {"user_name": name, "attached_policies": [], "groups": [],
                              "access_keys": [], "password_enabled": false,
                              "permissions_boundary": null,
                              "inline_policies": [{"name": "p", "document": {"Statement": statements}}]}})
    };
    let snapshot = json!({
        "format": "vigil.snapshot/v1",
        "resources": [
            user("dev", json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": deployer}])),
            user("intern", json!([])),
            {"id": deployer, "type": "aws.iam.role", "account": ACCOUNT, "region": "global",
             "properties": {"role_name": "deployer", "attached_policies": [], "instance_profiles": [],
                            "is_service_linked": false, "permissions_boundary": null,
                            "assume_role_policy": {"Statement": [{"Effect": "Allow",
                                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                                "Action": "sts:AssumeRole"}]},
                            "inline_policies": [{"name": "self", "document": {"Statement": [
                                {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": deployer}]}}]}},
            // Outside an organisation: no SCP applies (SCPs not known would make the
            // paths conditional).
            {"id": format!("arn:aws::{ACCOUNT}:account"), "type": "aws.account", "account": ACCOUNT,
             "region": "global", "properties": {"organization": null}}
        ]
    });
    let path = write(dir.path(), "iam.snapshot.json", &snapshot.to_string());
    let text = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &dev,
        "--paths",
    ]);
    text.assert_code(0)
        .assert_stdout_contains("can become administrator in 2 step(s)")
        .assert_stdout_contains("--[sts_assume_role: sts:AssumeRole on")
        .assert_stdout_contains("--[iam_put_role_policy: iam:PutRolePolicy on");

    let json_run = vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &deployer,
        "--paths",
        "--format",
        "json",
    ]);
    json_run.assert_code(0);
    let answer: Value = serde_json::from_str(&json_run.stdout).unwrap();
    let hops = answer["path_to_administrator"]["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 1, "{answer}");
    assert_eq!(hops[0]["method"], "iam_put_role_policy");
    assert_eq!(hops[0]["becomes"], "administrator");
    let assumed_by: Vec<&str> = answer["can_be_assumed_by"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["principal"].as_str())
        .collect();
    assert!(assumed_by.contains(&dev.as_str()), "{answer}");
    assert!(!assumed_by.contains(&intern.as_str()), "{answer}");

    vigil(&[
        "explain",
        "--snapshot",
        &path,
        "--principal",
        &intern,
        "--paths",
    ])
    .assert_code(1)
    .assert_stdout_contains("No path to administrator was found.");
    // --paths and --action are one or the other.
    vigil(&["explain", "--snapshot", &path, "--principal", &dev]).assert_code(2);
}

/// `vigil scan --format scan` saves the scan; `vigil report --from` renders every other
/// format from it without the snapshot, and they say what the scan itself says.
#[test]
fn report_renders_every_format_from_a_saved_scan() {
    let dir = TempDir::new().unwrap();
    let saved = path_str(&dir.path().join("scan.json"));
    let attestations = write(
        dir.path(),
        "attest.yaml",
        "requirements:\n  \"cis_aws_v5:1.1\":\n    statement: Contacts are reviewed every quarter\n    by: secops\n    date: 2026-04-01\n",
    );
    scan(
        &example_snapshot(),
        &[
            "--format",
            "scan",
            "-o",
            &saved,
            "--attestations",
            &attestations,
        ],
    )
    .assert_code(0);
    let direct = path_str(&dir.path().join("direct.csv"));
    scan(&example_snapshot(), &["--format", "csv", "-o", &direct]).assert_code(0);
    // Nothing of the snapshot is needed any more.
    let from = |format: &str, extra: &[&str]| -> String {
        let out = path_str(&dir.path().join(format!("out.{format}")));
        let mut args = vec!["report", "--from", &saved, "--format", format, "-o", &out];
        args.extend_from_slice(extra);
        vigil(&args).assert_code(0);
        std::fs::read_to_string(&out).unwrap()
    };
    assert_eq!(
        from("csv", &[]),
        std::fs::read_to_string(&direct).unwrap(),
        "the CSV from the saved scan is the scan's own"
    );
    let events: Vec<Value> = serde_json::from_str(&from("ocsf", &[])).unwrap();
    assert_eq!(events.len(), from("csv", &[]).lines().count() - 1);

    let html = from("html", &[]);
    for id in [
        "scan",
        "scores",
        "maturity",
        "compliance",
        "findings",
        "inventory",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "no section {id}"
        );
    }
    assert!(html.contains(EXAMPLE_ACCOUNT));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));

    let csv = from("compliance-csv", &["--framework", "cis_aws_v5"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cis = std::fs::read_to_string(workspace().join("rules/standards/cis_aws.yaml")).unwrap();
    let v5 = cis.split("field: cis_aws_v5").nth(1).unwrap();
    assert_eq!(
        rows.len(),
        v5.matches("{id:").count(),
        "one row per v5 recommendation"
    );
    assert!(rows.iter().all(|r| &r[0] == "cis_aws_v5"));
    let row = |id: &str| rows.iter().find(|r| &r[1] == id).unwrap().clone();
    assert_eq!(
        &row("1.1")[5],
        "declared",
        "the attestation travels in the saved scan"
    );
    assert!(row("1.1")[12].contains("Contacts are reviewed every quarter"));
    assert!(["pass", "fail", "unknown", "muted", "not_applicable"].contains(&&row("2.1.1")[5]));

    let json: Value = serde_json::from_str(&from("compliance-json", &[])).unwrap();
    let ids: Vec<&str> = json["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cis_aws_v3",
            "cis_aws_v4",
            "cis_aws_v5",
            "fsbp",
            "waf",
            "caf",
            "epics"
        ]
    );

    let table = vigil(&["report", "--from", &saved, "--format", "table"]);
    table
        .assert_code(0)
        .assert_stdout_contains("Security epics maturity, account 111122223333");
}

#[test]
fn report_refuses_what_is_not_a_saved_scan_and_unknown_frameworks() {
    vigil(&["report", "--from", &example_snapshot()])
        .assert_code(2)
        .assert_stderr_contains("vigil.scan/v1");
    scan(
        &example_snapshot(),
        &["--format", "compliance-csv", "--framework", "cis"],
    )
    .assert_code(2)
    .assert_stderr_contains("cis_aws_v3, cis_aws_v4, cis_aws_v5, fsbp, waf, caf, epics");
}
