//! Enablers from Unaddressed to Completed on declarations, attestation files checked,
//! and each account judged on its own findings.

use super::*;

// ---------------------------------------------------------------------------------------
// 5. Enablers.

/// Enablers no API can show (strategy and playbooks now also accept observed
/// guardrails and runbooks).
const DECLARATION_ONLY_ENABLERS: &[&str] = &[
    "shared_responsibility_model",
    "security_epics_plan",
    "incident_response_simulation",
];

#[test]
fn declaration_only_enablers_are_unaddressed_without_attestations() {
    let card = run(empty_account(ACCOUNT), vec![], vec![], &none());
    for id in DECLARATION_ONLY_ENABLERS {
        let e = enabler(&card, id);
        assert_eq!(e.status, EnablerStatus::Unaddressed, "{e:#?}");
        assert!(!e.rests_on_declarations, "{e:#?}");
        assert!(
            e.engaged
                .iter()
                .chain(&e.completed)
                .all(|c| c.outcome == Outcome::NotMet && c.evidence == EvidenceKind::Declared),
            "{e:#?}"
        );
        let next = e.next_step.as_deref().unwrap();
        assert!(next.starts_with("to be Engaged: "), "{next}");
        assert!(next.contains(&e.engaged[0].description), "{next}");
    }
    // Cartography has nothing observed either: no Config recorder.
    assert_eq!(
        enabler(&card, "security_cartography").status,
        EnablerStatus::Unaddressed
    );
}

#[test]
fn declaring_the_engaged_key_makes_an_enabler_engaged_on_a_declaration() {
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&["enabler.cloud_security_strategy.drafted"]),
    );
    let e = enabler(&card, "cloud_security_strategy");
    assert_eq!(e.status, EnablerStatus::Engaged);
    assert!(e.rests_on_declarations);
    assert_eq!(e.engaged[0].evidence, EvidenceKind::Declared);
    let next = e.next_step.as_deref().unwrap();
    assert_eq!(
        next,
        "to be Completed: the strategy is approved by leadership and published"
    );
    // The others are untouched.
    assert_eq!(
        enabler(&card, "security_epics_plan").status,
        EnablerStatus::Unaddressed
    );
}

#[test]
fn declaring_engaged_and_completed_keys_makes_an_enabler_completed() {
    let attestations = Attestations::load(&data("attestations.yaml"), &pack().models)
        .unwrap_or_else(|e| panic!("{e}"));
    let card = run(empty_account(ACCOUNT), vec![], vec![], &attestations);
    let e = enabler(&card, "cloud_security_strategy");
    assert_eq!(e.status, EnablerStatus::Completed, "{e:#?}");
    assert!(e.rests_on_declarations);
    assert_eq!(e.next_step, None);
    // The same file declares the logging approach.
    assert_eq!(logging(&card).level, 1);
}

#[test]
fn declaring_only_the_completed_key_does_not_complete_an_enabler() {
    let card = run(
        empty_account(ACCOUNT),
        vec![],
        vec![],
        &declare(&["enabler.incident_response_simulation.held"]),
    );
    let e = enabler(&card, "incident_response_simulation");
    assert_eq!(e.status, EnablerStatus::Unaddressed, "{e:#?}");
    assert!(!e.rests_on_declarations);
    assert_eq!(
        e.next_step.as_deref(),
        Some("to be Engaged: a simulation is scheduled")
    );
}

#[test]
fn config_recorder_engages_security_cartography_by_observation() {
    let (resources, relations) = level_two_account(ACCOUNT);
    let card = run(resources, relations, vec![], &none());
    let e = enabler(&card, "security_cartography");
    assert_eq!(e.status, EnablerStatus::Engaged, "{e:#?}");
    assert!(!e.rests_on_declarations);
    assert_eq!(e.engaged[0].evidence, EvidenceKind::Observed);
    // Config everywhere is observed, the mapping is not declared.
    assert_eq!(e.completed[0].outcome, Outcome::Met);
    assert_eq!(e.completed[1].outcome, Outcome::NotMet);
    let next = e.next_step.as_deref().unwrap();
    assert_eq!(
        next,
        "to be Completed: compliance mapping, policy mapping and a threat model are complete"
    );

    let (resources, relations) = level_two_account(ACCOUNT);
    let card = run(
        resources,
        relations,
        vec![],
        &declare(&["enabler.security_cartography.completed"]),
    );
    let e = enabler(&card, "security_cartography");
    assert_eq!(e.status, EnablerStatus::Completed, "{e:#?}");
    assert!(e.rests_on_declarations, "the completed mapping is declared");
}

// ---------------------------------------------------------------------------------------
// 6. Attestations.

fn parse(text: &str) -> Result<Attestations, AttestationError> {
    Attestations::parse(text, "attest.yaml", &pack().models)
}

fn problems(result: Result<Attestations, AttestationError>) -> Vec<String> {
    match result {
        Err(AttestationError::Invalid { path, problems }) => {
            assert_eq!(path, "attest.yaml");
            problems
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(a) => panic!("accepted: {a:?}"),
    }
}

#[test]
fn attestation_file_with_known_keys_parses() {
    let a = parse(
        "declarations:\n  logging.approach_defined:\n    statement: documented\n    by: alice\n    date: 2026-01-31\n    reference: https://wiki.example.com/logging\n  iam.architecture_documented:\n    statement: documented\n    by: bob\n    date: 2026-02-01\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.declarations.len(), 2);
    let d = &a.declarations["logging.approach_defined"];
    assert_eq!(d.by, "alice");
    assert_eq!(d.date.to_string(), "2026-01-31");
    assert_eq!(
        d.reference.as_deref(),
        Some("https://wiki.example.com/logging")
    );
    // An empty file declares nothing.
    assert!(parse("{}").unwrap().declarations.is_empty());
}

#[test]
fn attestation_with_an_unknown_key_is_rejected_naming_the_key() {
    let p = problems(parse(
        "declarations:\n  logging.approach_defined:\n    statement: ok\n    by: alice\n    date: 2026-01-31\n  logging.aproach_defined:\n    statement: typo\n    by: alice\n    date: 2026-01-31\n",
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(
            "declarations.logging.aproach_defined: no maturity model asks for this key"
        ),
        "{p:?}"
    );
    assert!(
        p[0].contains("logging.approach_defined"),
        "known keys listed: {p:?}"
    );
}

#[test]
fn attestation_with_an_empty_statement_or_author_is_rejected() {
    let p = problems(parse(
        "declarations:\n  logging.approach_defined:\n    statement: \"   \"\n    by: alice\n    date: 2026-01-31\n  iam.architecture_documented:\n    statement: documented\n    by: \"\"\n    date: 2026-01-31\n",
    ));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter().any(|m| m
            == "declarations.logging.approach_defined: `statement` and `by` must not be empty")
    );
    assert!(
        p.iter().any(|m| m
            == "declarations.iam.architecture_documented: `statement` and `by` must not be empty")
    );
}

#[test]
fn attestation_with_unknown_fields_or_a_bad_date_is_rejected() {
    let p = problems(parse(
        "declarations:\n  logging.approach_defined:\n    statement: ok\n    by: alice\n    date: 2026-01-31\n    approved: yes\n",
    ));
    assert!(p[0].contains("approved"), "{p:?}");
    let p = problems(parse(
        "declarations:\n  logging.approach_defined:\n    statement: ok\n    by: alice\n    date: last tuesday\n",
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    let p = problems(parse("declaration:\n  logging.approach_defined: {}\n"));
    assert!(p[0].contains("declaration"), "{p:?}");
}

#[test]
fn attestation_file_that_cannot_be_read_is_an_io_error() {
    let missing = data("no-such-attestations.yaml");
    match Attestations::load(&missing, &pack().models) {
        Err(AttestationError::Io { path, .. }) => {
            assert!(Path::new(&path).ends_with("no-such-attestations.yaml"))
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// 7. Multi-account.

#[test]
fn two_accounts_are_each_judged_on_their_own_findings() {
    let (mut resources, mut relations) = level_two_account(ACCOUNT);
    resources.extend(empty_account(OTHER));
    // OTHER has a single-region trail that delivers to ACCOUNT's private bucket.
    let other_trail = trail(OTHER, "regional", false, &format!("audit-logs-{ACCOUNT}"));
    relations.push(Relation::new(
        &other_trail.id,
        "delivers_to",
        bucket_arn(&format!("audit-logs-{ACCOUNT}")),
    ));
    resources.push(other_trail);
    let card = run(resources, relations, vec![], &none());

    let accounts: Vec<&str> = card.accounts.iter().map(|a| a.account.as_str()).collect();
    assert_eq!(accounts, [ACCOUNT, OTHER]);
    assert_eq!(epic(&card, ACCOUNT, "logging_and_monitoring").level, 2);

    let other = epic(&card, OTHER, "logging_and_monitoring");
    assert_eq!(other.level, 1, "{other:#?}");
    let c = criterion(other, "logging.multi_region_trail");
    assert_eq!(c.outcome, Outcome::NotMet, "{c:?}");
    assert!(
        c.detail
            .contains(&format!("fails on arn:aws:iam::{OTHER}:root")),
        "{c:?}"
    );
    assert!(!c.detail.contains(ACCOUNT), "{c:?}");
    // No Config in OTHER, even though ACCOUNT records everywhere.
    let c = criterion(other, "logging.config_everywhere");
    assert_eq!(c.outcome, Outcome::NotMet, "{c:?}");
    assert!(c.detail.contains(&format!("{OTHER}/eu-west-1")), "{c:?}");
    // OTHER's trail delivers to a private bucket with access logging: that holds.
    assert_eq!(
        criterion(other, "logging.centralised").outcome,
        Outcome::Met
    );
    assert_eq!(
        account(&card, OTHER)
            .enablers
            .iter()
            .find(|e| e.id == "security_cartography")
            .unwrap()
            .status,
        EnablerStatus::Unaddressed
    );
    assert_eq!(
        enabler(&card, "security_cartography").status,
        EnablerStatus::Engaged
    );
}

#[test]
fn gap_in_one_account_does_not_touch_another() {
    let (mut resources, relations) = level_two_account(ACCOUNT);
    resources.extend(empty_account(OTHER));
    let card = run(resources, relations, vec![trail_gap(OTHER, HOME)], &none());
    assert_eq!(epic(&card, ACCOUNT, "logging_and_monitoring").level, 2);
    let other = epic(&card, OTHER, "logging_and_monitoring");
    assert_eq!(other.level, 0);
    assert_eq!(
        criterion(other, "logging.approach").outcome,
        Outcome::Unknown
    );
}

#[test]
fn account_known_only_from_findings_is_scored_with_facts_unknown() {
    // Findings name an account that the inventory does not hold.
    let card = score_findings(&[finding(CRITICAL, "r1", OTHER, Status::Pass)]);
    let accounts: Vec<&str> = card.accounts.iter().map(|a| a.account.as_str()).collect();
    assert_eq!(accounts, [ACCOUNT, OTHER]);
    let e = epic(&card, OTHER, "logging_and_monitoring");
    assert_eq!(e.level, 0);
    let c = criterion(e, "logging.approach");
    assert_eq!(c.outcome, Outcome::Unknown, "{c:?}");
    assert!(
        c.detail.contains("the account itself was not collected"),
        "{c:?}"
    );
    assert_eq!(
        criterion(e, "logging.config_everywhere").outcome,
        Outcome::Met
    );
    // ACCOUNT's evidence does not include OTHER's finding.
    let mine = epic(&card, ACCOUNT, "logging_and_monitoring");
    let c = criterion(mine, "logging.config_everywhere");
    assert_eq!(c.outcome, Outcome::NotMet, "{c:?}");
    assert!(c.detail.contains("no resource evaluated"), "{c:?}");
}

// ---------------------------------------------------------------------------------------
// docs/maturity.md: the models in plain words, generated and kept current.

#[test]
fn maturity_page_is_current_and_explains_every_epic_and_enabler() {
    let p = pack();
    let page = vigil_score::maturity_markdown(&p.models, &p.rules);
    for epic in vigil_rules::Epic::ALL {
        assert!(
            page.contains(&format!("## {}\n", epic.title())),
            "{}",
            epic.title()
        );
    }
    for (_, title) in ENABLERS {
        assert!(page.contains(&format!("## {title}\n")), "{title}");
    }
    // The whitepaper's own examples are cited for IAM and Logging.
    assert!(page.contains("Automation of IAM lifecycle workflows."));
    assert!(page.contains("Platform-level and service-level logging is enabled and centralized."));
    // Every level says what decides it: observed rules, or declarations only.
    assert!(page.contains("declared only: `incident_response.simulations_run`"));
    assert!(page.contains("observed: every finding of `ssm_automation_runbooks_exist`"));
    let path = root().join("docs/maturity.md");
    let text = format!("{page}\n");
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/maturity.md is stale: run VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-score"
    );
}

// ---------------------------------------------------------------------------------------
// Organisation-wide evidence counts once.

const ORG: &str = "o-exampleorg1";

/// An account node in organisation `ORG`, managed by `ACCOUNT`.
fn org_account_node(account: &str) -> Resource {
    with_properties(
        account_node(account),
        json!({"organization": {"id": ORG, "master_account_id": ACCOUNT, "is_management_account": account == ACCOUNT}}),
    )
}

/// A service control policy attached to the root that denies root users everything.
fn root_scp() -> Resource {
    with_properties(
        Resource::new(
            format!(
                "arn:aws:organizations::{ACCOUNT}:policy/{ORG}/service_control_policy/p-deny-root"
            ),
            "aws.organizations.policy",
            ACCOUNT,
            GLOBAL_REGION,
        ),
        json!({
            "id": "p-deny-root", "arn": "arn", "name": "deny-root", "type": "SERVICE_CONTROL_POLICY",
            "aws_managed": false, "attached_to_root": true,
            "targets": [{"target_id": "r-abcd", "type": "ROOT", "name": "Root"}],
            "document": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
        }),
    )
}

/// What a member account sees: Organizations policies are not listed there.
fn not_management_gap(account: &str) -> Gap {
    Gap {
        service: "organizations".into(),
        operation: "ListPolicies".into(),
        account: account.into(),
        region: GLOBAL_REGION.into(),
        resource_types: vec![
            "aws.organizations.policy".into(),
            "aws.organizations.delegated_administrator".into(),
        ],
        resource: None,
        error_code: "NotManagementAccount".into(),
        message: format!("the evidence lives in the management account {ACCOUNT}"),
    }
}

fn guardrails(card: &Scorecard, account: &str) -> CriterionResult {
    let iam = epic(card, account, "identity_and_access_management");
    criterion(iam, "iam.guardrails").clone()
}

#[test]
fn an_scp_on_the_root_counts_for_every_member_and_names_where_it_lives() {
    // Management and member scanned together: the member cannot see the SCP itself.
    let resources = vec![
        org_account_node(ACCOUNT),
        root_scp(),
        org_account_node(OTHER),
    ];
    let card = run(resources, vec![], vec![not_management_gap(OTHER)], &none());
    let here = guardrails(&card, ACCOUNT);
    assert_eq!(here.outcome, Outcome::Met, "{}", here.detail);
    assert_eq!(here.evidence_account, None);
    let member = guardrails(&card, OTHER);
    assert_eq!(member.outcome, Outcome::Met, "{}", member.detail);
    assert_eq!(member.evidence_account.as_deref(), Some(ACCOUNT));
    assert!(member.detail.contains(ACCOUNT), "{}", member.detail);

    // An account of another organisation gains nothing from it.
    let mut stranger = org_account_node("333333333333");
    stranger = stranger.with_property(
        "organization",
        json!({"id": "o-someoneelse", "master_account_id": "444444444444", "is_management_account": false}),
    );
    let resources = vec![org_account_node(ACCOUNT), root_scp(), stranger];
    let card = run(
        resources,
        vec![],
        vec![not_management_gap("333333333333")],
        &none(),
    );
    assert_ne!(guardrails(&card, "333333333333").outcome, Outcome::Met);
}

#[test]
fn management_results_kept_from_an_earlier_scan_count_for_a_member_scanned_alone() {
    let pack = pack();
    // The management account's scan, as the daemon keeps it.
    let inventory = Inventory::new(vec![org_account_node(ACCOUNT), root_scp()], vec![], vec![])
        .expect("valid inventory");
    let ctx = EvalContext::new(Arc::new(inventory), now());
    let (management, _) = evaluate(&pack.rules, &ctx);
    let kept: Vec<vigil_score::OrgFinding> = management
        .into_iter()
        .filter(|f| f.rule.organization_wide)
        .map(|finding| vigil_score::OrgFinding {
            organization_id: ORG.into(),
            finding,
        })
        .collect();
    assert!(!kept.is_empty(), "some organisation-wide rule evaluated");

    // The member alone: unknown without the kept results, met with them.
    let member = || {
        Inventory::new(
            vec![org_account_node(OTHER)],
            vec![],
            vec![not_management_gap(OTHER)],
        )
        .expect("valid inventory")
    };
    let ctx = EvalContext::new(Arc::new(member()), now());
    let (findings, _) = evaluate(&pack.rules, &ctx);
    let alone = score(&findings, &ctx, &pack.models, &none());
    assert_ne!(guardrails(&alone, OTHER).outcome, Outcome::Met);
    let with_org =
        vigil_score::score_in_organization(&findings, &ctx, &pack.models, &none(), &kept);
    let met = guardrails(&with_org, OTHER);
    assert_eq!(met.outcome, Outcome::Met, "{}", met.detail);
    assert_eq!(met.evidence_account.as_deref(), Some(ACCOUNT));
}

#[test]
fn an_organisation_trail_seen_from_a_member_names_the_management_account() {
    // The member sees the organisation trail (a shadow trail) owned by the management
    // account: the logging criteria pass, and say where the trail lives.
    let (mut resources, relations) = level_two_account(ACCOUNT);
    for r in &mut resources {
        r.account = OTHER.to_owned();
    }
    resources.retain(|r| r.resource_type != "aws.account" && r.resource_type != "aws.region");
    resources.extend(empty_account(OTHER));
    let card = run(resources, relations, vec![], &none());
    let logging = epic(&card, OTHER, "logging_and_monitoring");
    let trail = criterion(logging, "logging.multi_region_trail");
    assert_eq!(trail.outcome, Outcome::Met, "{}", trail.detail);
    assert_eq!(
        trail.evidence_account.as_deref(),
        Some(ACCOUNT),
        "{}",
        trail.detail
    );
}

#[test]
fn classification_coverage_counts_tagged_untagged_and_unread_stores() {
    let bucket = |name: &str, tags: &[(&str, &str)]| {
        let mut r = with_properties(
            Resource::new(bucket_arn(name), "aws.s3.bucket", ACCOUNT, HOME),
            json!({"bucket_region": HOME}),
        );
        r.tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        r
    };
    let mut resources = empty_account(ACCOUNT);
    resources.push(bucket("classified", &[("data-classification", "internal")]));
    resources.push(bucket("unclassified", &[("owner", "team-a")]));
    resources.push(bucket("unreadable", &[]));
    let gap = Gap {
        service: "s3".into(),
        operation: "GetBucketTagging".into(),
        account: ACCOUNT.into(),
        region: GLOBAL_REGION.into(),
        resource_types: vec![],
        resource: Some(bucket_arn("unreadable")),
        error_code: "AccessDenied".into(),
        message: String::new(),
    };
    let card = run(resources, vec![], vec![gap], &none());
    let c = &account(&card, ACCOUNT).data_classification;
    assert_eq!((c.tagged, c.untagged, c.unknown), (1, 1, 1), "{c:?}");
    assert_eq!(c.percent(), Some(50.0));
}
