//! The catalogue's fixtures (`rules/escalation/<id>.test.yaml`): each method has a
//! principal that escalates by it and near misses that do not (an explicit Deny, a
//! permissions boundary, a resource scope, a missing prerequisite; for some, an SCP),
//! each a small inventory. A case without an `aws.account` node is in an account
//! outside any organisation ([`standalone_accounts`]). One test runs them all and checks the edge of that method from that
//! principal, not merely some path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use vigil_inventory::{Inventory, Resource};

use super::{Analysis, BUILTIN};
use crate::access::Decision;
use crate::fixtures::{FIXTURE_ACCOUNT, FIXTURE_REGION};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Expect {
    /// A definite edge by the method.
    Escalates,
    /// Only a conditional edge by the method.
    Conditional,
    /// No edge by the method.
    Blocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
enum NearMiss {
    Deny,
    Boundary,
    ResourceScope,
    MissingPrerequisite,
    Condition,
    /// An SCP on the account's OU chain denies a call, or no level's SCPs allow it.
    Scp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    principal: String,
    expect: Expect,
    #[serde(default)]
    near_miss: Option<NearMiss>,
    resources: Vec<FixtureResource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureResource {
    #[serde(rename = "type")]
    resource_type: String,
    id: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/escalation")
}

fn inventory(resources: Vec<FixtureResource>) -> Inventory {
    let resources = resources
        .into_iter()
        .map(|r| {
            let global = vigil_inventory::resource_type(&r.resource_type)
                .is_some_and(|t| t.scope == vigil_inventory::Scope::Global);
            Resource {
                id: r.id,
                region: r.region.unwrap_or_else(|| {
                    if global {
                        vigil_inventory::GLOBAL_REGION.to_owned()
                    } else {
                        FIXTURE_REGION.to_owned()
                    }
                }),
                account: r.account.unwrap_or_else(|| FIXTURE_ACCOUNT.to_owned()),
                resource_type: r.resource_type,
                name: None,
                tags: r.tags,
                properties: serde_json::Value::Object(r.properties).into(),
            }
        })
        .collect();
    Inventory::new(standalone_accounts(resources), vec![], vec![]).expect("fixture inventory")
}

/// The resources with, for every account they are in that has no `aws.account` node,
/// one outside any organisation (`organization: null`), so that no SCP applies: the
/// fixtures and unit tests are about the method or the policies, and a missing account
/// node would leave every answer conditional on SCPs Vigil could not read. Cases about
/// SCPs bring their own account node.
pub(crate) fn standalone_accounts(mut resources: Vec<Resource>) -> Vec<Resource> {
    let has_node: BTreeSet<String> = resources
        .iter()
        .filter(|r| r.resource_type == "aws.account")
        .map(|r| r.account.clone())
        .collect();
    let accounts: BTreeSet<String> = resources
        .iter()
        .map(|r| r.account.clone())
        .filter(|a| !has_node.contains(a))
        .collect();
    for account in accounts {
        resources.push(
            Resource::new(
                format!("arn:aws::{account}:account"),
                "aws.account",
                &account,
                vigil_inventory::GLOBAL_REGION,
            )
            .with_property("organization", serde_json::Value::Null),
        );
    }
    resources
}

/// What the analysis says of one method from one principal.
fn observed(analysis: &Analysis, principal: &str, method: &str) -> Expect {
    let edges: Vec<Decision> = analysis
        .escalations(principal)
        .into_iter()
        .filter(|e| e.method == method)
        .map(|e| e.decision)
        .collect();
    if edges.contains(&Decision::Allowed) {
        Expect::Escalates
    } else if edges.contains(&Decision::Conditional) {
        Expect::Conditional
    } else {
        Expect::Blocked
    }
}

#[test]
fn every_method_escalates_in_its_fixture_and_its_near_misses_do_not() {
    let mut problems = Vec::new();
    let mut cases = 0;
    for (id, _) in BUILTIN {
        let path = dir().join(format!("{id}.test.yaml"));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{id}: no fixture file {}: {e}", path.display()));
                continue;
            }
        };
        let file: File = match serde_saphyr::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let expects: BTreeSet<Expect> = file.cases.iter().map(|c| c.expect).collect();
        if !expects.contains(&Expect::Escalates) && !expects.contains(&Expect::Conditional) {
            problems.push(format!("{id}: no case where the principal escalates"));
        }
        let misses: BTreeSet<NearMiss> = file.cases.iter().filter_map(|c| c.near_miss).collect();
        for kind in [
            NearMiss::Deny,
            NearMiss::Boundary,
            NearMiss::ResourceScope,
            NearMiss::MissingPrerequisite,
        ] {
            if !misses.contains(&kind) {
                problems.push(format!("{id}: no near miss of kind {kind:?}"));
            }
        }
        for case in file.cases {
            cases += 1;
            if (case.expect == Expect::Blocked) != case.near_miss.is_some() {
                problems.push(format!(
                    "{id} / {}: a blocked case says which near miss it is, and only it",
                    case.name
                ));
            }
            let analysis = match Analysis::new(&inventory(case.resources)) {
                Ok(a) => a,
                Err(e) => {
                    problems.push(format!("{id} / {}: {e}", case.name));
                    continue;
                }
            };
            let got = observed(&analysis, &case.principal, id);
            if got != case.expect {
                problems.push(format!(
                    "{id} / {}: expected {:?}, got {got:?} (edges: {:?}; error: {:?})",
                    case.name,
                    case.expect,
                    analysis.escalations(&case.principal),
                    analysis.error(&case.principal)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in {cases} cases:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(cases >= 4 * BUILTIN.len());
}

/// Every file in `rules/escalation/` is in the compiled-in list and the other way
/// round, and the list loads.
#[test]
fn the_builtin_list_is_the_directory() {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".yaml") && !n.ends_with(".test.yaml"))
        .map(|n| n.trim_end_matches(".yaml").to_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BUILTIN.iter().map(|(id, _)| (*id).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    let catalogue = super::Catalogue::builtin().unwrap_or_else(|e| panic!("{e}"));
    assert!(catalogue.len() >= 40, "{}", catalogue.len());
    for category in [
        super::method::Category::SelfEscalation,
        super::method::Category::PrincipalAccess,
        super::method::Category::PassRole,
        super::method::Category::ComputeModification,
    ] {
        assert!(
            catalogue.methods().iter().any(|m| m.category == category),
            "{category:?}"
        );
    }
}

/// Regenerate with `VIGIL_UPDATE_SCHEMAS=1 cargo nextest run -p vigil-rules`.
#[test]
fn committed_method_schema_is_current() {
    let path = dir().join("method.schema.json");
    let current = super::method_schema();
    if std::env::var_os("VIGIL_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "rules/escalation/method.schema.json is stale: run with VIGIL_UPDATE_SCHEMAS=1"
    );
}
