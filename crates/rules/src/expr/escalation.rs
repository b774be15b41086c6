//! The escalation helpers: rules ask the privilege-escalation analysis
//! ([`crate::escalation`]) about one user or role. The analysis runs once per
//! evaluation context, over the whole inventory, the first time a rule asks.
//! `admin_escalation` records the path it returns as the finding's evidence, hop by
//! hop, and the principals on it as related resources.

use std::sync::Arc;

use cel::{ExecutionError, Value};

use super::convert::json_to_cel as to_cel;
use super::functions::{Shared, arg, record_fact, touch};
use crate::escalation::Analysis;

/// The IAM types the analysis reads: a gap over any of them in the principal's account
/// means a path (or its absence) rests on what Vigil did not see.
pub(super) const IAM_TYPES: &[&str] = &[
    "aws.iam.user",
    "aws.iam.role",
    "aws.iam.group",
    "aws.iam.policy",
];

/// The helpers that need the analysis: a rule calling one has it worked out before
/// the evaluation starts, so that its one-time cost (seconds on an organisation's
/// estate) is not charged to the first principal's evaluation budget.
pub(crate) const HELPERS: &[&str] = &[
    "admin_escalation",
    "assumable_by",
    "escalations",
    "role_privileged",
    "modifiable_by",
    "data_access",
    "data_accessible",
    "data_exposure",
];

/// Works out the analysis, once per evaluation context.
pub(super) fn prepared(s: &Shared) -> &Result<Arc<Analysis>, String> {
    s.escalation.get_or_init(|| {
        let began = std::time::Instant::now();
        let analysis = Analysis::new(&s.inventory).map(Arc::new);
        tracing::debug!(
            elapsed_ms = began.elapsed().as_millis() as u64,
            "escalation analysis prepared"
        );
        analysis
    })
}

pub(super) fn analysis<'s>(s: &'s Shared, function: &str) -> Result<&'s Analysis, ExecutionError> {
    prepared(s)
        .as_ref()
        .map(|a| a.as_ref())
        .map_err(|e| ExecutionError::function_error(function, e.clone()))
}

/// The principal the first argument names, checked: a user or role, analysed, its
/// account's IAM fully collected.
fn principal<'s>(
    s: &'s Shared,
    a: &[Value],
    function: &str,
) -> Result<(&'s Analysis, &'s str), ExecutionError> {
    let idx = s.idx_of(arg(a, 0, function)?, function)?;
    principal_at(s, idx, function)
}

/// [`principal`] for the resource at `idx`.
fn principal_at<'s>(
    s: &'s Shared,
    idx: vigil_inventory::ResourceIdx,
    function: &str,
) -> Result<(&'s Analysis, &'s str), ExecutionError> {
    let node = s.inventory.resource(idx);
    if !matches!(node.resource_type.as_str(), "aws.iam.user" | "aws.iam.role") {
        return Err(ExecutionError::function_error(
            function,
            format!("`{}` is not an IAM user or role", node.id),
        ));
    }
    for t in IAM_TYPES {
        s.ensure_complete(function, t, &node.account, None)?;
    }
    let analysis = analysis(s, function)?;
    if let Some(error) = analysis.error(&node.id) {
        return Err(ExecutionError::function_error(function, error.to_owned()));
    }
    Ok((analysis, node.id.as_str()))
}

pub(super) fn json(value: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The last principal `admin_escalation` answered for on this thread: a rule asks
/// about the same principal several times in one evaluation (`applies_when` twice,
/// the condition three times), and each answer was worked out and converted anew.
struct Answered {
    scan: u64,
    idx: vigil_inventory::ResourceIdx,
    value: Value,
    /// The path's evidence (as JSON and as text) and the principals on it.
    path: Option<(serde_json::Value, String, Vec<vigil_inventory::ResourceIdx>)>,
}

thread_local! {
    static ANSWERED: std::cell::RefCell<Option<Answered>> = const { std::cell::RefCell::new(None) };
}

/// Records a path's evidence; done on every call, since each evaluation starts with
/// none recorded.
fn record_path(path: &Option<(serde_json::Value, String, Vec<vigil_inventory::ResourceIdx>)>) {
    if let Some((steps, text, on_path)) = path {
        record_fact("escalation_path", steps.clone());
        record_fact(
            "escalation_path_text",
            serde_json::Value::String(text.clone()),
        );
        for &i in on_path {
            touch(i);
        }
    }
}

pub(super) fn admin_escalation(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "admin_escalation";
    let idx = s.idx_of(arg(a, 0, F)?, F)?;
    admin_escalation_of(s, idx)
}

/// `admin_escalation` of the resource at `idx`: the direct walker asks by index.
pub(crate) fn admin_escalation_of(
    s: &Shared,
    idx: vigil_inventory::ResourceIdx,
) -> Result<Value, ExecutionError> {
    const F: &str = "admin_escalation";
    // The checks `principal` makes are the same for a principal all scan long: a
    // principal answered before passed them.
    let known = ANSWERED.with(|m| {
        m.borrow().as_ref().and_then(|m| {
            (m.scan == s.scan && m.idx == idx).then(|| {
                record_path(&m.path);
                m.value.clone()
            })
        })
    });
    if let Some(value) = known {
        return Ok(value);
    }
    let (analysis, arn) = principal_at(s, idx, F)?;
    let path = analysis.path_to_admin(arn);
    let recorded = path.as_ref().map(|path| {
        let mut on_path = Vec::new();
        for hop in &path.hops {
            for id in [&hop.principal, &hop.becomes] {
                if let Some(i) = s.inventory.index_of(id)
                    && id != arn
                {
                    on_path.push(i);
                }
            }
        }
        (json(path), path.to_string(), on_path)
    });
    record_path(&recorded);
    let admin = analysis.admin(arn);
    // Built as a CEL map straight away: once per principal, and going through JSON
    // cost more than the answer's analysis.
    let facts: std::collections::HashMap<cel::objects::Key, Value> = [
        (
            "is_admin",
            Value::Bool(admin == Some(crate::access::Decision::Allowed)),
        ),
        // An administrator unless something Vigil could not decide says otherwise (an
        // SCP of an OU chain it did not collect, an MFA or source-IP condition): neither
        // an administrator nor a principal that must escalate, so a rule can leave it
        // unjudged instead of passing it on an empty path.
        (
            "is_admin_conditional",
            Value::Bool(admin == Some(crate::access::Decision::Conditional)),
        ),
        (
            "path",
            path.as_ref().map_or(Value::Null, |p| to_cel(&json(p))),
        ),
        (
            "active_access_key",
            Value::Bool(analysis.has_active_access_key(arn)),
        ),
        (
            "assumable_from_outside",
            Value::Bool(analysis.assumable_from_outside(arn)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (cel::objects::Key::String(Arc::new(k.to_owned())), v))
    .collect();
    let value = Value::Map(cel::objects::Map {
        map: Arc::new(facts),
    });
    ANSWERED.with(|m| {
        *m.borrow_mut() = Some(Answered {
            scan: s.scan,
            idx,
            value: value.clone(),
            path: recorded,
        });
    });
    Ok(value)
}

pub(super) fn assumable_by(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    let (analysis, arn) = principal(s, a, "assumable_by")?;
    Ok(to_cel(&json(analysis.assumable_by(arn))))
}

pub(super) fn escalations(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    let (analysis, arn) = principal(s, a, "escalations")?;
    Ok(to_cel(&json(analysis.escalations(arn))))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_inventory::{Inventory, Resource};

    use super::*;
    use crate::EvalContext;
    use crate::expr::functions::{reset_touched, take_facts};

    /// A user that may attach any policy to itself (a path to administrator when
    /// `escalates`, none otherwise), in an account outside any organisation.
    fn context(escalates: bool) -> EvalContext {
        let action = if escalates {
            "iam:AttachUserPolicy"
        } else {
            "s3:GetObject"
        };
        let user = Resource::new(
            "arn:aws:iam::123456789012:user/u",
            "aws.iam.user",
            "123456789012",
            "global",
        )
        .with_property(
            "inline_policies",
            json!([{"name": "p", "document": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": "arn:aws:iam::123456789012:user/u"}]}}]),
        )
        .with_property("attached_policies", json!([]))
        .with_property("groups", json!([]))
        .with_property("access_keys", json!([]))
        .with_property("permissions_boundary", serde_json::Value::Null);
        let account = Resource::new(
            "arn:aws::123456789012:account",
            "aws.account",
            "123456789012",
            "global",
        )
        .with_property("organization", serde_json::Value::Null);
        let inventory = Inventory::new(vec![user, account], vec![], vec![]).unwrap();
        EvalContext::new(Arc::new(inventory), chrono::Utc::now())
    }

    fn ask(ctx: &EvalContext) -> (Value, Vec<String>) {
        reset_touched();
        let subject = to_cel(&json!({"id": "arn:aws:iam::123456789012:user/u"}));
        let value = admin_escalation(ctx.shared(), &[subject]).unwrap();
        let facts = take_facts().into_iter().map(|(name, _)| name).collect();
        (value, facts)
    }

    /// The helper answers a principal asked about again from what it remembers; each
    /// evaluation starts with no evidence recorded, so the path must be recorded again
    /// on every answer, and another context (another scan) is never answered from it.
    #[test]
    fn a_remembered_answer_records_its_path_again_and_stays_in_its_scan() {
        let ctx = context(true);
        let (first, facts) = ask(&ctx);
        assert_eq!(facts, ["escalation_path", "escalation_path_text"]);
        let (again, facts) = ask(&ctx);
        assert_eq!(again, first);
        assert_eq!(facts, ["escalation_path", "escalation_path_text"]);

        let (other, facts) = ask(&context(false));
        assert_ne!(other, first, "answered from another scan's principal");
        assert!(facts.is_empty(), "{facts:?}");
    }

    /// The direct walker decides the escalation rule's shapes itself (no resource bound
    /// for CEL): the map's fields, `path == null`, `raise_severity`; and when it gives
    /// up further on, the raised severity is put back for CEL to set again.
    #[test]
    fn the_direct_walker_decides_admin_escalation_and_raise_severity() {
        use crate::expr::direct::{Scope, evaluate};
        use crate::expr::functions::{raised, take_raised};
        let ctx = context(true);
        let scope = Scope {
            inventory: ctx.inventory(),
            subject: 0,
            settings: ctx.settings_json(),
            now: ctx.now(),
            shared: Some(ctx.shared()),
        };
        let decide = |source: &str| {
            reset_touched();
            let program = cel::Program::compile(source).unwrap();
            let plans = crate::expr::direct::Plans::compile(program.expression());
            evaluate(program.expression(), &plans, scope)
        };
        assert_eq!(
            decide(
                "!admin_escalation(resource).is_admin && !admin_escalation(resource).is_admin_conditional"
            ),
            Some(Ok(true))
        );
        assert_eq!(
            decide(
                r#"raise_severity("critical", !admin_escalation(resource).active_access_key) && admin_escalation(resource).path == null"#
            ),
            Some(Ok(false))
        );
        assert_eq!(take_raised(), Some(crate::Severity::Critical));
        let facts: Vec<String> = take_facts().into_iter().map(|(n, _)| n).collect();
        assert_eq!(facts, ["escalation_path", "escalation_path_text"]);
        // A key the map lacks is CEL's error to word: the walker gives up, and leaves
        // no raised severity and no recorded path behind it.
        assert_eq!(
            decide(r#"raise_severity("critical", true) && admin_escalation(resource).no_such_key"#),
            None
        );
        assert_eq!(raised(), None);
        assert!(take_facts().is_empty());
        // The reach helpers on a user fail: the walker gives the error CEL gives, and
        // CEL's `||` absorbs it when the other side is true, whichever side it is on.
        for source in [
            "role_privileged(resource)",
            "!internet_reachable(resource)",
            "!role_privileged(resource) || internet_reachable(resource)",
            "true && role_privileged(resource)",
            "role_privileged(resource) || false",
        ] {
            let expr = crate::expr::Expr::compile(source).unwrap();
            let by_cel = crate::eval::evaluate_expr(&ctx, &expr, 0);
            let walked = decide(source).map(|r| r.map_err(|e| e.to_string()));
            assert!(
                by_cel.as_ref().is_err_and(
                    |e| e.contains("role_privileged") || e.contains("internet_reachable")
                ),
                "{source}: {by_cel:?}"
            );
            assert_eq!(walked, Some(by_cel), "{source}");
        }
        assert_eq!(decide("role_privileged(resource) || true"), Some(Ok(true)));
        assert_eq!(
            decide("!internet_reachable(resource) && false"),
            Some(Ok(false))
        );
        assert_eq!(decide("true || role_privileged(resource)"), Some(Ok(true)));
        // Without the helpers' shared state (the walker alone), CEL decides.
        let alone = Scope {
            shared: None,
            ..scope
        };
        let program = cel::Program::compile("admin_escalation(resource).is_admin").unwrap();
        let plans = crate::expr::direct::Plans::compile(program.expression());
        assert!(evaluate(program.expression(), &plans, alone).is_none());
    }
}
