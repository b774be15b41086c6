//! The least-privilege IAM policy Vigil needs: exactly the actions the collectors call.
//! `vigil policy` prints it and `deploy/iam-policy.json` is a committed copy that a test
//! keeps in step.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::discover::DISCOVERY_ACTIONS;
use crate::registry::COLLECTORS;

/// Verbs of read-only actions (`BatchGet` reads several resources in one call:
/// `codebuild:BatchGetProjects`, `inspector2:BatchGetAccountStatus`).
/// `GenerateCredentialReport` only asks IAM to build the report that
/// `GetCredentialReport` reads; it changes nothing in the account.
pub const READ_ONLY_PREFIXES: &[&str] = &["Describe", "List", "Get", "BatchGet"];
/// API Gateway authorises its management API by HTTP verb: `apigateway:GET` is every
/// read of APIs, stages, routes and integrations, and nothing else.
pub const READ_ONLY_EXCEPTIONS: &[&str] = &["iam:GenerateCredentialReport", "apigateway:GET"];

/// Is this IAM action read-only by Vigil's definition?
pub fn is_read_only(action: &str) -> bool {
    let verb = action.split_once(':').map_or(action, |(_, v)| v);
    READ_ONLY_PREFIXES.iter().any(|p| verb.starts_with(p)) || READ_ONLY_EXCEPTIONS.contains(&action)
}

/// Every action the collectors call, sorted.
pub fn required_actions() -> BTreeSet<&'static str> {
    COLLECTORS
        .iter()
        .flat_map(|c| c.actions.iter().copied())
        .collect()
}

/// Every action Vigil calls: the collectors' and Organizations discovery's.
pub fn all_actions() -> BTreeSet<&'static str> {
    let mut all = required_actions();
    all.extend(DISCOVERY_ACTIONS.iter().copied());
    all
}

/// The policy document, pretty-printed with a trailing newline. The second statement
/// is only needed where the daemon discovers accounts (the management account or a
/// delegated administrator); member accounts can leave it out.
pub fn policy_document() -> String {
    let actions: Vec<&str> = required_actions().into_iter().collect();
    let doc: Value = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "VigilReadOnlyPostureScan",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*"
        }, {
            "Sid": "VigilOrganizationsDiscovery",
            "Effect": "Allow",
            "Action": DISCOVERY_ACTIONS,
            "Resource": "*"
        }]
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("policy serialises");
    text.push('\n');
    text
}

/// The Security Hub sink's own policy: the only writes Vigil makes, for the sink's own
/// credentials (never the scanner's), exactly [`crate::SINK_ACTIONS`]. `Resource` is
/// `*` on purpose: an identity policy reaches only its own account's hub, and the one
/// product a customer may import into is that account's `product/<account>/default`,
/// so naming ARNs would grant nothing less and break in another partition.
pub fn sink_policy_document() -> String {
    let doc: Value = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "VigilSecurityHubSink",
            "Effect": "Allow",
            "Action": crate::SINK_ACTIONS,
            "Resource": "*"
        }]
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("policy serialises");
    text.push('\n');
    text
}
