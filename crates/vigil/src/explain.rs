//! `vigil explain`: the IAM evaluation engine over a snapshot, for one principal, action
//! and resource. Prints the decision and, policy by policy, which statements matched and
//! why; says what the snapshot could not supply (boundaries, SCPs) rather than assume.
//! With `--paths`, the privilege-escalation analysis instead: the principal's shortest
//! path to administrator hop by hop, whom it can become, and who can become it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vigil_inventory::Inventory;
use vigil_rules::access::{self, Decision, Request, RequestContext};
use vigil_rules::escalation::{Analysis, Assumption, Escalation};

use crate::cli::ExplainArgs;

pub fn run(args: ExplainArgs) -> Result<ExitCode> {
    let snapshot = crate::scan::load_snapshots(&args.snapshot)?;
    let inventory = Inventory::from_snapshot(snapshot).context("inventory")?;
    let Some(action) = args.action.as_deref() else {
        return paths(&inventory, &args.principal, &args.format);
    };
    let principal = access::inventory::principal(&inventory, &args.principal)?;
    let resource_policy = access::inventory::resource_policy(&inventory, &args.resource)?;
    let mut context = RequestContext::new();
    for pair in &args.context {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--context {pair:?}: expected KEY=VALUE");
        };
        context = context.with(key.trim(), value.trim());
    }
    let mut request = Request::new(action, &args.resource).with_context(&context);
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

/// `--paths`: what the escalation analysis says about one principal.
fn paths(inventory: &Inventory, arn: &str, format: &str) -> Result<ExitCode> {
    let analysis = Analysis::new(inventory).map_err(anyhow::Error::msg)?;
    let Some(admin) = analysis.admin(arn) else {
        bail!("{arn} is not an IAM user or role of the snapshot");
    };
    if let Some(err) = analysis.error(arn) {
        bail!("{arn} could not be analysed: {err}");
    }
    let path = analysis.path_to_admin(arn);
    let becomes = analysis.escalations(arn);
    let assumes = analysis.assumes(arn);
    let mut reached_by = analysis.escalations_to(arn);
    let assumed_by = analysis.assumable_by(arn);
    reached_by.sort_by(|a, b| (&a.principal, &a.method).cmp(&(&b.principal, &b.method)));
    let mut out = std::io::stdout().lock();
    match format {
        "json" => {
            let value = serde_json::json!({
                "principal": arn,
                "administrator": admin,
                "path_to_administrator": path,
                "can_become": becomes,
                "can_assume": assumes,
                "can_be_become_by": reached_by,
                "can_be_assumed_by": assumed_by,
                "not_applied": access::inventory::NOT_APPLIED,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        "text" => {
            match admin {
                Decision::Allowed => writeln!(out, "{arn} is an administrator.")?,
                Decision::Conditional => writeln!(
                    out,
                    "{arn} may be an administrator (it depends on conditions Vigil cannot decide)."
                )?,
                _ => writeln!(out, "{arn} is not an administrator.")?,
            }
            match &path {
                Some(path) => write!(out, "{path}")?,
                None if admin != Decision::Allowed => {
                    writeln!(out, "No path to administrator was found.")?;
                }
                None => {}
            }
            section(&mut out, "It can become (one step)", &becomes, |e| {
                format!("{} by {} on {}", e.becomes, e.method, e.resource)
            })?;
            section(&mut out, "It can assume", &assumes, |a| a.role.clone())?;
            section(&mut out, "Who can become it (one step)", &reached_by, |e| {
                format!("{} by {} on {}", e.principal, e.method, e.resource)
            })?;
            section(&mut out, "Who can assume it", &assumed_by, |a| {
                a.principal.clone()
            })?;
            for note in access::inventory::NOT_APPLIED {
                writeln!(out, "note: {note}")?;
            }
        }
        other => bail!("--format {other:?}: expected text or json"),
    }
    let reaches_admin = admin == Decision::Allowed || path.as_ref().is_some_and(|p| !p.conditional);
    Ok(if reaches_admin {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Something an edge or an assumption can say about its decision.
trait Decided {
    fn decision(&self) -> Decision;
    fn depends_on(&self) -> &[String];
}

impl Decided for Escalation {
    fn decision(&self) -> Decision {
        self.decision
    }
    fn depends_on(&self) -> &[String] {
        &self.depends_on
    }
}

impl Decided for Assumption {
    fn decision(&self) -> Decision {
        self.decision
    }
    fn depends_on(&self) -> &[String] {
        &self.depends_on
    }
}

/// A titled list; conditional entries say what they depend on.
fn section<T: Decided>(
    out: &mut impl Write,
    title: &str,
    items: &[T],
    line: impl Fn(&T) -> String,
) -> Result<()> {
    if items.is_empty() {
        writeln!(out, "{title}: none")?;
        return Ok(());
    }
    writeln!(out, "{title}:")?;
    for item in items {
        write!(out, "  - {}", line(item))?;
        if item.decision() != Decision::Allowed {
            write!(
                out,
                " ({}: {})",
                item.decision(),
                item.depends_on().join(", ")
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
