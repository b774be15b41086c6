//! Writes HTML reports for the browser test (tests/browser/) and prints their size and
//! render time:
//! - `report.html`: the built-in rules over the example account (examples/), scored
//!   with its attestations, one bucket renamed and tagged with markup an attacker
//!   could put in a name or a tag;
//! - `report-50k.html` (with `--findings N`): the same findings repeated over made-up
//!   resources, accounts and regions up to N findings, for the figures and the
//!   filter-at-scale checks.
//!
//! `cargo run -p vigil-report --example html_report -- OUT_DIR [--findings 50000]`

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use vigil_inventory::{Inventory, Snapshot};
use vigil_report::compliance::{Catalogue, ComplianceInput, reports};
use vigil_report::html::{HtmlInput, render_html};
use vigil_report::saved::ScanFacts;
use vigil_report::{ScanInfo, coverage};
use vigil_rules::{EvalContext, Finding, Mutelist, RuleSet, evaluate, read_dir};
use vigil_score::{Attestations, Models, score};

/// What the browser test injects: a closing script tag, an event-handler attribute and
/// an element, in a resource name and in a tag key and value.
pub const HOSTILE_NAME: &str =
    "</script><script>window.__pwned=1</script>\"onerror=\"window.__pwned=2";
pub const HOSTILE_TAG: &str = "\"><img src=x onerror=\"window.__pwned=3\">";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: html_report OUT_DIR [--findings N]")?,
    );
    let mut many = None;
    while let Some(arg) = args.next() {
        if arg == "--findings" {
            many = Some(args.next().ok_or("--findings N")?.parse::<usize>()?);
        }
    }
    std::fs::create_dir_all(&out)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let now = Utc
        .with_ymd_and_hms(2026, 10, 1, 12, 0, 0)
        .single()
        .ok_or("time")?;

    let rules = RuleSet::from_sources(read_dir(&root.join("rules")).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let models = Models::from_sources(
        &Models::read_dir(&root.join("rules/maturity")).map_err(|e| e.to_string())?,
        &rules,
    )
    .map_err(|e| e.to_string())?;
    let attestations = Attestations::load(&root.join("examples/attestations.yaml"), &models)?;
    let catalogue = Catalogue::load(&root.join("rules/standards"))?;

    let text = std::fs::read_to_string(root.join("examples/acme-dev.snapshot.json"))?;
    let mut snapshot = Snapshot::from_json(&text)?;
    let bucket = snapshot
        .resources
        .iter_mut()
        .find(|r| r.resource_type == "aws.s3.bucket")
        .ok_or("the example has a bucket")?;
    bucket.name = Some(HOSTILE_NAME.into());
    bucket.tags.insert(HOSTILE_TAG.into(), HOSTILE_TAG.into());
    let coverage = coverage::by_account(&snapshot.coverage);
    let inventory = Inventory::from_snapshot(snapshot)?;
    let mut facts = ScanFacts::from_inventory(&inventory);
    facts.coverage = coverage;
    facts.gaps = inventory.gaps().iter().map(|g| g.summary()).collect();
    facts.rules = rules.len();
    let ctx = EvalContext::new(Arc::new(inventory), now);
    let (mut findings, stats) = evaluate(&rules, &ctx);
    facts.evaluations = stats.evaluations;
    Mutelist::load(&root.join("examples/mutelist.yaml"))?.apply(&mut findings, now.date_naive());
    // The example account has no path to administrator; one failure gets the evidence
    // an escalation finding carries, so the attack-path view has something to show.
    if !findings
        .iter()
        .any(|f| !vigil_report::html::attack_path(f).is_empty())
    {
        let first_fail = findings
            .iter_mut()
            .filter(|f| f.status == vigil_rules::Status::Fail)
            .max_by_key(|f| f.resource.resource_type.starts_with("aws.iam."))
            .ok_or("the example has a failure")?;
        first_fail.evidence.insert_property(
            "escalation_path_text",
            serde_json::json!(
                "ci-deployer can become administrator in 2 step(s):\n  1. ci-deployer --[sts_assume_role]--> deployer\n  2. deployer --[iam_put_role_policy]--> administrator"
            ),
        );
    }
    let scorecard = score(&findings, &ctx, &models, &attestations);
    let all_rules: Vec<_> = rules.rules().iter().map(|r| r.meta.clone()).collect();
    let scan = ScanInfo {
        scan_id: "vigil-20261001T120000.000Z".into(),
        started_at: now,
        finished_at: now + chrono::Duration::seconds(42),
        product_version: env!("CARGO_PKG_VERSION").into(),
    };

    let write = |name: &str,
                 findings: &[Finding],
                 facts: &ScanFacts|
     -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let compliance = reports(&ComplianceInput {
            catalogue: &catalogue,
            rules: &all_rules,
            findings,
            scorecard: &scorecard,
            attestations: &attestations,
        });
        let html = render_html(&HtmlInput {
            scan: &scan,
            facts,
            findings,
            scorecard: &scorecard,
            compliance: &compliance,
        })?;
        let elapsed = started.elapsed();
        let path = out.join(name);
        std::fs::write(&path, &html)?;
        println!(
            "{}: {} findings, {:.1} MiB, rendered in {} ms",
            path.display(),
            findings.len(),
            html.len() as f64 / (1024.0 * 1024.0),
            elapsed.as_millis()
        );
        Ok(())
    };
    write("report.html", &findings, &facts)?;

    if let Some(n) = many {
        let regions = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"];
        let accounts = ["111122223333", "444455556666", "777788889999"];
        let mut big = Vec::with_capacity(n);
        let mut round = 0usize;
        while big.len() < n {
            for f in &findings {
                if big.len() == n {
                    break;
                }
                let mut copy = f.clone();
                let mut resource = (*f.resource).clone();
                resource.id = format!("{}#{round}", resource.id);
                resource.account = accounts[round % accounts.len()].into();
                if resource.region != "global" {
                    resource.region = regions[round % regions.len()].into();
                }
                copy.resource = Arc::new(resource);
                big.push(copy);
            }
            round += 1;
        }
        let mut facts = facts.clone();
        facts.accounts = accounts.iter().map(|a| (*a).to_owned()).collect();
        facts.regions = regions.iter().map(|r| (*r).to_owned()).collect();
        write("report-50k.html", &big, &facts)?;
    }
    Ok(())
}
