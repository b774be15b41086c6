//! Organisation-wide evidence, settings and the maturity models in plain words.

use super::*;

const MEMBER: &str = "222233334444";
const ORG: &str = "o-vigiltest01";

fn org_account(account: &str) -> Value {
    json!({
        "id": format!("arn:aws::{account}:account"),
        "type": "aws.account",
        "account": account,
        "region": "global",
        "properties": {"account_id": account, "organization": {
            "id": ORG, "master_account_id": ACCOUNT, "is_management_account": account == ACCOUNT}},
    })
}

#[test]
fn an_scp_seen_in_the_management_snapshot_counts_for_a_member_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let management = snapshot_doc(
        json!([org_account(ACCOUNT), {
            "id": format!("arn:aws:organizations::{ACCOUNT}:policy/{ORG}/service_control_policy/p-root"),
            "type": "aws.organizations.policy",
            "account": ACCOUNT,
            "region": "global",
            "properties": {"id": "p-root", "arn": "arn", "name": "deny-root", "type": "SERVICE_CONTROL_POLICY",
                "aws_managed": false, "attached_to_root": true,
                "targets": [{"target_id": "r-1", "type": "ROOT", "name": "Root"}],
                "document": {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}},
        }]),
        json!([]),
    );
    let mut member = snapshot_doc(
        json!([org_account(MEMBER)]),
        json!([{"service": "organizations", "operation": "ListPolicies", "account": MEMBER,
                "region": "global", "resource_types": ["aws.organizations.policy", "aws.organizations.delegated_administrator"],
                "error_code": "NotManagementAccount", "message": "evidence lives in the management account"}]),
    );
    member["accounts"] = json!([MEMBER]);
    let (m, s) = (
        dir.path().join("management.json"),
        dir.path().join("member.json"),
    );
    std::fs::write(&m, management.to_string()).unwrap();
    std::fs::write(&s, member.to_string()).unwrap();
    let card_path = dir.path().join("card.json");
    let member_guardrails = |snapshots: &[&Path]| -> Value {
        let mut args: Vec<String> = Vec::new();
        for p in snapshots {
            args.extend(["--snapshot".into(), path_str(p)]);
        }
        args.extend(["--now".into(), "2026-11-23T12:00:00Z".into()]);
        args.extend(["--scorecard".into(), path_str(&card_path)]);
        let mut full = vec!["scan".to_owned()];
        full.extend(args);
        vigil(&full).assert_code(0);
        let card: Value =
            serde_json::from_str(&std::fs::read_to_string(&card_path).unwrap()).unwrap();
        let account = card["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == MEMBER)
            .unwrap()
            .clone();
        let iam = account["epics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["epic"] == "identity_and_access_management")
            .unwrap()
            .clone();
        iam["levels"][2]["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "iam.guardrails")
            .unwrap()
            .clone()
    };
    // The member alone cannot see SCPs: unknown, never met.
    let alone = member_guardrails(&[&s]);
    assert_eq!(alone["outcome"], "unknown", "{alone}");
    // Scanned with the management account's snapshot, the root SCP counts for it and
    // the scorecard names the account the evidence lives in.
    let together = member_guardrails(&[&m, &s]);
    assert_eq!(together["outcome"], "met", "{together}");
    assert_eq!(together["evidence_account"], ACCOUNT, "{together}");
}

#[test]
fn settings_decide_data_locality_and_a_bad_settings_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.json");
    let mut bucket = bucket_resource("eu-data", json!({}));
    bucket["properties"] = json!({"bucket_region": "eu-central-1"});
    bucket["region"] = json!("eu-central-1");
    std::fs::write(
        &snap,
        snapshot_doc(json!([account_resource(), bucket]), json!([])).to_string(),
    )
    .unwrap();
    let locality = |extra: &[String]| -> Vec<String> {
        let (_, events) = scan_ocsf(&path_str(&snap), extra);
        events
            .iter()
            .filter(|e| str_at(e, "/metadata/event_code") == "s3_bucket_in_allowed_region")
            .map(|e| str_at(e, "/status_code").to_owned())
            .collect()
    };
    // Not configured: the locality rule makes no finding rather than guessing.
    assert!(locality(&[]).is_empty());
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "allowed_regions: [eu-west-1]\n").unwrap();
    assert_eq!(
        locality(&["--settings".into(), path_str(&settings)]),
        ["FAIL"]
    );
    std::fs::write(&settings, "allowed_regions: [eu-west-1, eu-central-1]\n").unwrap();
    assert_eq!(
        locality(&["--settings".into(), path_str(&settings)]),
        ["PASS"]
    );
    std::fs::write(
        &settings,
        "allowed_regions: [eu-west-1]\nallowed_region: []\n",
    )
    .unwrap();
    vigil(&[
        "scan".to_owned(),
        "--snapshot".into(),
        path_str(&snap),
        "--settings".into(),
        path_str(&settings),
    ])
    .assert_code(2)
    .assert_stderr_contains("settings.yaml")
    .assert_stderr_contains("line 2");
}

#[test]
fn rules_show_explains_an_epic_level_by_level() {
    vigil(&["rules", "show", "incident_response"])
        .assert_code(0)
        .assert_stdout_contains("### Level 2: minimal viable implementation")
        .assert_stdout_contains("declared only: `incident_response.simulations_run`")
        .assert_stdout_contains("iam_incident_response_role_trust_restricted");
    vigil(&["rules", "show", "logging_and_monitoring"])
        .assert_code(0)
        .assert_stdout_contains(
            "Platform-level and service-level logging is enabled and centralized.",
        );
    vigil(&["rules", "show", "playbooks_and_runbooks"])
        .assert_code(0)
        .assert_stdout_contains("ssm_automation_runbooks_exist");
    vigil(&["rules", "show", "no_such_thing"]).assert_code(2);
}
