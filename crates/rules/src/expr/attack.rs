//! The attack-path helpers: what the internet reaches ([`crate::reach`]), whether the
//! role compute runs as is privileged ([`crate::escalation`]), who can change that
//! compute, and who can read or write data ([`crate::escalation::data`]). Each helper
//! that decides a finding adds its part of the path to the evidence fact
//! `attack_path` (hops `{stage, principal, action, resource, method, detail}`, in the
//! order an attacker walks them, whatever order the condition asks in) and renders it
//! as `attack_path_text`. A fact that matters and was not seen is an error, so the
//! rule reports ERROR rather than judging it.

use std::sync::Arc;

use cel::{ExecutionError, Value};
use serde_json::json;
use vigil_inventory::ResourceIdx;

use super::convert::json_to_cel as to_cel;
use super::escalation::{IAM_TYPES, analysis, json as to_json};
use super::functions::{Shared, arg, fact, record_fact, string, touch};
use crate::access::{Decision, Tri};
use crate::escalation::Analysis;
use crate::escalation::data::{Access, DataAccess, Stores};
use crate::reach::{Exposure, Hop, Reachability};

/// The stages of a path, in the order they are walked.
const STAGES: &[&str] = &["network", "entry", "compute", "escalation", "data"];

/// The helpers that need the reachability analysis, and those that need the data
/// access analysis: a rule calling one has it worked out before the evaluation starts
/// (see `escalation::HELPERS`).
pub(crate) const REACH_HELPERS: &[&str] =
    &["internet_reachable", "internet_exposure", "data_exposure"];
pub(crate) const DATA_HELPERS: &[&str] = &["data_access", "data_accessible", "data_exposure"];

/// Works out what the internet reaches and who can read and write each data store,
/// once per evaluation context, as far as the rules about to run ask.
/// The data stores, read and parsed for the data-access analysis to take (unless it
/// is already built).
pub(super) fn prepare_stores(s: &Shared) {
    if s.data.get().is_none() {
        let stores = Stores::prepare(&s.inventory);
        *s.data_stores.lock().unwrap_or_else(|e| e.into_inner()) = Some(stores);
    }
}

pub(super) fn prepare(s: &Shared, reach_too: bool, data_too: bool) {
    if reach_too {
        reach(s);
    }
    if data_too {
        let _ = data(s, "data_access");
    }
}

fn reach(s: &Shared) -> &Reachability {
    s.reach.get_or_init(|| {
        let began = std::time::Instant::now();
        let r = Reachability::new(&s.inventory);
        tracing::debug!(
            elapsed_ms = began.elapsed().as_millis() as u64,
            "reachability prepared"
        );
        Arc::new(r)
    })
}

fn data<'s>(s: &'s Shared, function: &str) -> Result<&'s DataAccess, ExecutionError> {
    let analysis = analysis(s, function)?;
    s.data
        .get_or_init(|| {
            let began = std::time::Instant::now();
            let stores = s
                .data_stores
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            let stores = stores.unwrap_or_else(|| Stores::prepare(&s.inventory));
            let d = DataAccess::with_stores(stores, analysis);
            tracing::debug!(
                elapsed_ms = began.elapsed().as_millis() as u64,
                "data access prepared"
            );
            Ok(Arc::new(d))
        })
        .as_ref()
        .map(|d| d.as_ref())
        .map_err(|e| ExecutionError::function_error(function, e.clone()))
}

fn fail(function: &str, message: impl Into<String>) -> ExecutionError {
    ExecutionError::function_error(function, message.into())
}

/// Adds hops of one stage to the evidence path, keeping stages in walking order.
fn extend_path(stage: &str, hops: &[Hop]) {
    let mut path: Vec<serde_json::Value> = fact("attack_path")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    path.retain(|h| h["stage"] != stage);
    for h in hops {
        let mut v = to_json(h);
        v["stage"] = json!(stage);
        path.push(v);
    }
    let rank = |v: &serde_json::Value| {
        STAGES
            .iter()
            .position(|s| v["stage"] == *s)
            .unwrap_or(STAGES.len())
    };
    path.sort_by_key(rank);
    let text = path
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let detail = h["detail"]
                .as_str()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            format!(
                "{}. {} --[{}: {}]--> {}{detail}",
                i + 1,
                h["principal"].as_str().unwrap_or(""),
                h["method"].as_str().unwrap_or(""),
                h["action"].as_str().unwrap_or(""),
                h["resource"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    record_fact("attack_path", serde_json::Value::Array(path));
    record_fact("attack_path_text", serde_json::Value::String(text));
}

fn subject(s: &Shared, a: &[Value], function: &str) -> Result<ResourceIdx, ExecutionError> {
    s.idx_of(arg(a, 0, function)?, function)
}

fn exposure<'s>(
    s: &'s Shared,
    idx: ResourceIdx,
    function: &str,
) -> Result<&'s Exposure, ExecutionError> {
    reach(s).get(idx).ok_or_else(|| {
        fail(
            function,
            format!(
                "`{}` is not an EC2 instance or a Lambda function",
                s.inventory.resource(idx).id
            ),
        )
    })
}

pub(super) fn internet_reachable(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    internet_reachable_of(s, subject(s, a, "internet_reachable")?)
}

/// `internet_reachable` of the resource at `idx`: the direct walker asks by index.
pub(crate) fn internet_reachable_of(s: &Shared, idx: ResourceIdx) -> Result<Value, ExecutionError> {
    const F: &str = "internet_reachable";
    let e = exposure(s, idx, F)?;
    match e.reachable {
        Tri::Yes => {
            extend_path("network", &e.path);
            Ok(Value::Bool(true))
        }
        Tri::No => {
            record_fact("internet_blocked_by", json!(e.blocked_by));
            Ok(Value::Bool(false))
        }
        Tri::Unknown => Err(fail(
            F,
            format!(
                "whether the internet reaches {} is not known: {}",
                e.resource,
                e.unknown.join("; ")
            ),
        )),
    }
}

pub(super) fn internet_exposure(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "internet_exposure";
    let idx = subject(s, a, F)?;
    Ok(to_cel(&to_json(exposure(s, idx, F)?)))
}

/// The hop from compute to the role it runs as.
fn runs_as(s: &Shared, compute: ResourceIdx, role: &str) -> Hop {
    let r = s.inventory.resource(compute);
    let method = match r.resource_type.as_str() {
        "aws.ec2.instance" => "instance_profile",
        "aws.lambda.function" => "execution_role",
        _ => "service_role",
    };
    Hop {
        principal: r.id.clone(),
        action: "sts:AssumeRole (credentials of the running code)".into(),
        resource: role.to_owned(),
        method: method.into(),
        detail: String::new(),
    }
}

/// Is the role privileged: an administrator (perhaps), or with a path to one? Adds
/// the escalation hops to the evidence.
fn privileged(
    s: &Shared,
    analysis: &Analysis,
    role: &str,
    function: &str,
) -> Result<bool, ExecutionError> {
    let Some(idx) = s.inventory.index_of(role) else {
        return Err(fail(
            function,
            format!("role {role} is not in the inventory"),
        ));
    };
    let account = &s.inventory.resource(idx).account;
    for t in IAM_TYPES {
        s.ensure_complete(function, t, account, None)?;
    }
    if let Some(error) = analysis.error(role) {
        return Err(fail(function, error.to_owned()));
    }
    touch(idx);
    match analysis.admin(role) {
        Some(Decision::Allowed) => {
            record_fact("role_is_admin", json!(true));
            return Ok(true);
        }
        Some(Decision::Conditional) => {
            record_fact("role_is_admin", json!("conditional"));
            return Ok(true);
        }
        _ => {}
    }
    match analysis.path_to_admin(role) {
        Some(path) => {
            let hops: Vec<Hop> = path
                .hops
                .iter()
                .map(|h| Hop {
                    principal: h.principal.clone(),
                    action: h.actions.join("; "),
                    resource: h.resource.clone(),
                    method: h.method.clone(),
                    detail: format!("becomes {} ({})", h.becomes, h.decision),
                })
                .collect();
            extend_path("escalation", &hops);
            Ok(true)
        }
        None => Ok(false),
    }
}

pub(super) fn role_privileged(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    role_privileged_of(s, subject(s, a, "role_privileged")?)
}

/// `role_privileged` of the resource at `idx`: the direct walker asks by index.
pub(crate) fn role_privileged_of(s: &Shared, idx: ResourceIdx) -> Result<Value, ExecutionError> {
    const F: &str = "role_privileged";
    let analysis = analysis(s, F)?;
    let r = s.inventory.resource(idx);
    if r.resource_type == "aws.iam.role" {
        return privileged(s, analysis, &r.id, F).map(Value::Bool);
    }
    let key = match r.resource_type.as_str() {
        "aws.ec2.instance" => "iam_instance_profile_arn",
        "aws.lambda.function" => "role",
        "aws.codebuild.project" => "service_role",
        other => {
            return Err(fail(
                F,
                format!("`{}` is a {other}, not a role or compute", r.id),
            ));
        }
    };
    match r.properties.get(key) {
        None => return Err(fail(F, format!("{key} of {} was not collected", r.id))),
        Some(vigil_inventory::Value::Null) => return Ok(Value::Bool(false)),
        Some(_) => {}
    }
    let role = match analysis.compute_role(idx) {
        Some(Some(role)) => role.to_owned(),
        _ => {
            return Err(fail(
                F,
                format!(
                    "the role {} runs as ({}) is not in the inventory",
                    r.id, r.properties[key]
                ),
            ));
        }
    };
    let yes = privileged(s, analysis, &role, F)?;
    if yes {
        extend_path("compute", &[runs_as(s, idx, &role)]);
    }
    Ok(Value::Bool(yes))
}

pub(super) fn modifiable_by(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    modifiable_by_of(s, subject(s, a, "modifiable_by")?)
}

/// `modifiable_by` of the resource at `idx`: the direct walker asks by index.
pub(crate) fn modifiable_by_of(s: &Shared, idx: ResourceIdx) -> Result<Value, ExecutionError> {
    const F: &str = "modifiable_by";
    let r = s.inventory.resource(idx);
    if !matches!(
        r.resource_type.as_str(),
        "aws.lambda.function" | "aws.codebuild.project"
    ) {
        return Err(fail(
            F,
            format!("`{}` is not a Lambda function or a CodeBuild project", r.id),
        ));
    }
    for t in IAM_TYPES {
        s.ensure_complete(F, t, &r.account, None)?;
    }
    let analysis = analysis(s, F)?;
    let list = analysis.modifiers(idx);
    if let Some(first) = list.first()
        && let Some(h) = analysis.hop_of(&first.principal, idx)
    {
        if let Some(i) = s.inventory.index_of(&first.principal) {
            touch(i);
        }
        extend_path(
            "entry",
            &[Hop {
                principal: h.principal,
                action: h.actions.join("; "),
                resource: h.resource,
                method: h.method,
                detail: format!("{}; then runs as {}", h.decision, h.becomes),
            }],
        );
    }
    Ok(to_cel(&to_json(list)))
}

fn access_arg(a: &[Value], function: &str) -> Result<Access, ExecutionError> {
    let text = string(a, 1, function)?;
    Access::parse(text).ok_or_else(|| fail(function, format!("`{text}` is not read or write")))
}

pub(super) fn data_access(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "data_access";
    let idx = subject(s, a, F)?;
    let access = access_arg(a, F)?;
    let r = s.inventory.resource(idx);
    for t in IAM_TYPES {
        s.ensure_complete(F, t, &r.account, None)?;
    }
    let grants = data(s, F)?
        .of_resource(idx)
        .ok_or_else(|| fail(F, format!("`{}` is not a bucket, secret or KMS key", r.id)))?
        .as_ref()
        .map_err(|e| fail(F, e.clone()))?;
    let list: Vec<_> = grants.iter().filter(|g| g.access == access).collect();
    Ok(to_cel(&to_json(list)))
}

pub(super) fn data_accessible(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "data_accessible";
    let idx = subject(s, a, F)?;
    let access = access_arg(a, F)?;
    let r = s.inventory.resource(idx);
    if !matches!(r.resource_type.as_str(), "aws.iam.user" | "aws.iam.role") {
        return Err(fail(F, format!("`{}` is not an IAM user or role", r.id)));
    }
    let list: Vec<_> = data(s, F)?
        .of_principal(&r.id)
        .iter()
        .filter(|g| g.access == access)
        .collect();
    Ok(to_cel(&to_json(list)))
}

pub(super) fn data_exposure(s: &Shared, a: &[Value]) -> Result<Value, ExecutionError> {
    const F: &str = "data_exposure";
    let idx = subject(s, a, F)?;
    let r = s.inventory.resource(idx);
    for t in IAM_TYPES {
        s.ensure_complete(F, t, &r.account, None)?;
    }
    let analysis = analysis(s, F)?;
    let grants = data(s, F)?
        .of_resource(idx)
        .ok_or_else(|| fail(F, format!("`{}` is not a bucket, secret or KMS key", r.id)))?
        .as_ref()
        .map_err(|e| fail(F, e.clone()))?;
    let mut found: Vec<(serde_json::Value, Vec<Hop>, Vec<Hop>)> = Vec::new();
    let mut undecided = Vec::new();
    for g in grants.iter().filter(|g| g.access == Access::Read) {
        let read = Hop {
            principal: g.principal.clone(),
            action: g.action.clone(),
            resource: g.resource.clone(),
            method: "data_access".into(),
            detail: g.decision.to_string(),
        };
        if g.external {
            found.push((
                json!({"principal": g.principal, "via": "outside_account", "decision": g.decision}),
                Vec::new(),
                vec![read],
            ));
            continue;
        }
        for compute in analysis.compute_of(&g.principal) {
            let Some(e) = reach(s).get(compute) else {
                continue;
            };
            let id = &s.inventory.resource(compute).id;
            match e.reachable {
                Tri::Yes => {
                    touch(compute);
                    let mut network = e.path.clone();
                    network.push(runs_as(s, compute, &g.principal));
                    found.push((
                        json!({"principal": g.principal, "via": id, "decision": g.decision}),
                        network,
                        vec![read.clone()],
                    ));
                }
                Tri::Unknown => undecided.push(format!(
                    "{} reads it and runs {id}, whose reachability is not known ({})",
                    g.principal,
                    e.unknown.join("; ")
                )),
                Tri::No => {}
            }
        }
    }
    if found.is_empty() && !undecided.is_empty() {
        return Err(fail(F, undecided.join("; ")));
    }
    if let Some((_, network, read)) = found.first() {
        extend_path("network", network);
        extend_path("data", read);
    }
    let list: Vec<serde_json::Value> = found
        .into_iter()
        .map(|(mut v, network, read)| {
            let path: Vec<Hop> = network.into_iter().chain(read).collect();
            v["path"] = to_json(path);
            v
        })
        .collect();
    Ok(to_cel(&serde_json::Value::Array(list)))
}
