//! The escalation helpers: rules ask the privilege-escalation analysis
//! ([`crate::escalation`]) about one user or role. The analysis runs once per
//! evaluation context, over the whole inventory, the first time a rule asks.
//! `admin_escalation` records the path it returns as the finding's evidence, hop by
//! hop, and the principals on it as related resources.

use std::sync::Arc;

use cel::{ExecutionError, Value};

use super::convert::to_cel;
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

pub(super) fn admin_escalation(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "admin_escalation";
    let (analysis, arn) = principal(s, a, F)?;
    let path = analysis.path_to_admin(arn);
    if let Some(path) = &path {
        record_fact("escalation_path", json(path));
        record_fact(
            "escalation_path_text",
            serde_json::Value::String(path.to_string()),
        );
        for hop in &path.hops {
            for id in [&hop.principal, &hop.becomes] {
                if let Some(i) = s.inventory.index_of(id)
                    && id != arn
                {
                    touch(i);
                }
            }
        }
    }
    let facts = serde_json::json!({
        "is_admin": analysis.admin(arn) == Some(crate::access::Decision::Allowed),
        // An administrator unless something Vigil could not decide says otherwise (an
        // SCP of an OU chain it did not collect, an MFA or source-IP condition): neither
        // an administrator nor a principal that must escalate, so a rule can leave it
        // unjudged instead of passing it on an empty path.
        "is_admin_conditional": analysis.admin(arn) == Some(crate::access::Decision::Conditional),
        "path": path.as_ref().map(json),
        "active_access_key": analysis.has_active_access_key(arn),
        "assumable_from_outside": analysis.assumable_from_outside(arn),
    });
    Ok(to_cel(&facts))
}

pub(super) fn assumable_by(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    let (analysis, arn) = principal(s, a, "assumable_by")?;
    Ok(to_cel(&json(analysis.assumable_by(arn))))
}

pub(super) fn escalations(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    let (analysis, arn) = principal(s, a, "escalations")?;
    Ok(to_cel(&json(analysis.escalations(arn))))
}
