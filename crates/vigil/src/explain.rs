//! `vigil explain`: the IAM evaluation engine over a snapshot, for one principal, action
//! and resource. Prints the decision and, policy by policy, which statements matched and
//! why; says what the snapshot could not supply (boundaries, SCPs) rather than assume.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vigil_inventory::Inventory;
use vigil_rules::access::{self, Request, RequestContext};

use crate::cli::ExplainArgs;

pub fn run(args: ExplainArgs) -> Result<ExitCode> {
    let snapshot = crate::scan::load_snapshots(&args.snapshot)?;
    let inventory = Inventory::from_snapshot(snapshot).context("inventory")?;
    let principal = access::inventory::principal(&inventory, &args.principal)?;
    let resource_policy = access::inventory::resource_policy(&inventory, &args.resource)?;
    let mut context = RequestContext::new();
    for pair in &args.context {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--context {pair:?}: expected KEY=VALUE");
        };
        context = context.with(key.trim(), value.trim());
    }
    let mut request = Request::new(&args.action, &args.resource).with_context(&context);
    if let Some((policy, kind, account)) = &resource_policy {
        request = request
            .with_resource_policy(policy)
            .of_kind(*kind)
            .in_account(account);
    }
    let answer = access::evaluate(&principal, &request);
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => {
            let mut value = serde_json::to_value(&answer)?;
            value["not_applied"] = serde_json::json!(access::inventory::NOT_APPLIED);
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        "text" => {
            writeln!(out, "{answer}")?;
            for note in access::inventory::NOT_APPLIED {
                writeln!(out, "note: {note}")?;
            }
        }
        other => bail!("--format {other:?}: expected text or json"),
    }
    Ok(if answer.decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
