//! Combines the policy layers into a decision, following AWS's policy evaluation logic.
//!
//! Each statement applies `Yes`, `No` or `Unknown` (three-valued); each layer is
//! reduced to a few truth values (any `Deny`, the identity allow, the boundary allow,
//! the SCP allow at every level, and the resource policy's grants by way of naming the
//! principal), and the decision is a formula over them, so that an undecided statement
//! makes the answer `Conditional` only when the decision depends on it.
//!
//! The formulas, from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
//! and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:
//! - any applicable `Deny`, in any policy → explicitly denied;
//! - SCPs: every level of the organisation path must allow;
//! - same account: a resource-policy grant naming the user or session directly
//!   suffices; one naming the role's ARN suffices within the permissions boundary;
//!   otherwise the identity policies must allow, within the boundary. Role trust
//!   policies and KMS key policies must also allow the principal or its account;
//! - cross-account: the identity policies (within the boundary) and the resource
//!   policy must both allow.

use serde::Serialize;

use super::answer::{
    Answer, Decision, Element, Layer, LayerKind, LayerOutcome, PolicyRef, PolicyTrace, Undecided,
};
use super::context::{EMPTY_CONTEXT, Lookup, RequestContext};
use super::principal::{NamedPolicy, Principal, PrincipalKind, arn_field};
use super::statement::{self, Scope};
use super::tri::Tri;
use crate::helpers::iam::Effect;

/// How the resource's policy takes part in same-account evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// S3 buckets, SQS queues, SNS topics, Lambda functions, …: within the account,
    /// the identity policies or the resource policy may allow.
    #[default]
    Standard,
    /// An IAM role's trust policy (the resource of `sts:AssumeRole…`): it "must
    /// explicitly allow access for principals", even within the account.
    RoleTrust,
    /// A KMS key policy: "Unless the key policy explicitly allows it, you cannot use
    /// IAM policies to allow access to a KMS key."
    KmsKey,
}

/// One request: the action, the resource and what is known of its context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// The account that owns the resource; taken from the ARN when it has one (S3
    /// ARNs do not).
    pub resource_account: Option<&'a str>,
    pub resource_kind: ResourceKind,
    /// The resource-based policy, where the resource has one.
    pub resource_policy: Option<&'a NamedPolicy>,
    pub context: &'a RequestContext,
}

impl<'a> Request<'a> {
    pub fn new(action: &'a str, resource: &'a str) -> Request<'a> {
        Request {
            action,
            resource,
            resource_account: None,
            resource_kind: ResourceKind::Standard,
            resource_policy: None,
            context: &EMPTY_CONTEXT,
        }
    }

    pub fn in_account(mut self, account: &'a str) -> Request<'a> {
        self.resource_account = Some(account);
        self
    }

    pub fn with_resource_policy(mut self, policy: &'a NamedPolicy) -> Request<'a> {
        self.resource_policy = Some(policy);
        self
    }

    pub fn of_kind(mut self, kind: ResourceKind) -> Request<'a> {
        self.resource_kind = kind;
        self
    }

    pub fn with_context(mut self, context: &'a RequestContext) -> Request<'a> {
        self.context = context;
        self
    }
}

/// The truth values the decision is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    deny: Tri,
    identity: Tri,
    boundary: Tri,
    scp: Tri,
    direct: Tri,
    role: Tri,
    account: Tri,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Deny,
    Identity,
    Boundary,
    Scp,
    Direct,
    Role,
    Account,
}

const PARTS: [Part; 7] = [
    Part::Deny,
    Part::Identity,
    Part::Boundary,
    Part::Scp,
    Part::Direct,
    Part::Role,
    Part::Account,
];

impl Parts {
    fn get(&self, part: Part) -> Tri {
        match part {
            Part::Deny => self.deny,
            Part::Identity => self.identity,
            Part::Boundary => self.boundary,
            Part::Scp => self.scp,
            Part::Direct => self.direct,
            Part::Role => self.role,
            Part::Account => self.account,
        }
    }

    fn with(mut self, part: Part, value: Tri) -> Parts {
        let slot = match part {
            Part::Deny => &mut self.deny,
            Part::Identity => &mut self.identity,
            Part::Boundary => &mut self.boundary,
            Part::Scp => &mut self.scp,
            Part::Direct => &mut self.direct,
            Part::Role => &mut self.role,
            Part::Account => &mut self.account,
        };
        *slot = value;
        self
    }

    fn resource(&self) -> Tri {
        self.direct.or(self.role).or(self.account)
    }

    /// Is the request allowed, `Deny` statements aside?
    fn allowed(&self, cross_account: bool, kind: ResourceKind) -> Tri {
        let within_boundary = |t: Tri| self.boundary.and(t);
        if cross_account {
            // "the requester in the trusted AccountA must have an identity-based policy
            // … Additionally, the resource-based policy in AccountB must allow".
            return self
                .scp
                .and(within_boundary(self.identity))
                .and(self.resource());
        }
        let identity = match kind {
            ResourceKind::Standard => self.identity,
            ResourceKind::RoleTrust | ResourceKind::KmsKey => self.identity.and(self.account),
        };
        self.scp
            .and(self.direct.or(within_boundary(self.role.or(identity))))
    }

    fn decide(&self, cross_account: bool, kind: ResourceKind) -> Decision {
        decide(self.deny, self.allowed(cross_account, kind))
    }
}

fn decide(deny: Tri, allowed: Tri) -> Decision {
    match (deny, allowed) {
        (Tri::Yes, _) => Decision::ExplicitlyDenied,
        (_, Tri::No) => Decision::ImplicitlyDenied,
        (Tri::No, Tri::Yes) => Decision::Allowed,
        _ => Decision::Conditional,
    }
}

/// A principal's effective permission for one request, with the explanation.
pub fn evaluate(principal: &Principal, request: &Request) -> Answer {
    // The account from the request, else from the ARN; `*` (actions without resource
    // types) is the principal's own account.
    let resource_account = request
        .resource_account
        .or_else(|| arn_field(request.resource, 4).filter(|a| !a.is_empty()))
        .or_else(|| (request.resource == "*").then_some(principal.account.as_str()));
    let lookup = Lookup {
        context: request.context,
        principal,
        resource_account,
    };
    let is_root = principal.kind == PrincipalKind::Root;
    let scps_apply = !principal.scps.is_empty() && !principal.service_linked;
    let boundary = principal.permissions_boundary.as_ref().filter(|_| !is_root);

    let mut policies = Vec::new();
    let mut trace = |layer: Layer, p: &NamedPolicy, resource_based: bool| {
        let scope = Scope {
            principal,
            action: request.action,
            resource: request.resource,
            lookup,
            variables: p.document.supports_variables(),
            resource_based,
        };
        policies.push(PolicyTrace {
            policy: PolicyRef {
                layer,
                name: p.name.clone(),
                arn: p.arn.clone(),
                via_group: p.via_group.clone(),
            },
            statements: p
                .document
                .statements
                .iter()
                .enumerate()
                .map(|(i, s)| statement::evaluate(i, s, &scope))
                .collect(),
        });
    };
    if scps_apply {
        for (level, l) in principal.scps.iter().enumerate() {
            for p in &l.policies {
                let layer = Layer::Scp {
                    level,
                    target: l.target.clone(),
                };
                trace(layer, p, false);
            }
        }
    }
    if let Some(p) = request.resource_policy {
        trace(Layer::Resource, p, true);
    }
    for p in &principal.identity_policies {
        trace(Layer::Identity, p, false);
    }
    if let Some(p) = boundary {
        trace(Layer::Boundary, p, false);
    }

    let allow_in = |kind: LayerKind| {
        Tri::any(
            policies
                .iter()
                .filter(|p| p.policy.layer.kind() == kind)
                .flat_map(|p| &p.statements)
                .filter(|s| s.effect == Effect::Allow)
                .map(|s| s.applies),
        )
    };
    let deny_in = |kind: Option<LayerKind>| {
        Tri::any(
            policies
                .iter()
                .filter(|p| kind.is_none_or(|k| p.policy.layer.kind() == k))
                .flat_map(|p| &p.statements)
                .filter(|s| s.effect == Effect::Deny)
                .map(|s| s.applies),
        )
    };
    let scp_levels: Vec<Tri> = if scps_apply {
        (0..principal.scps.len())
            .map(|level| {
                Tri::any(
                    policies
                        .iter()
                        .filter(|p| matches!(&p.policy.layer, Layer::Scp { level: l, .. } if *l == level))
                        .flat_map(|p| &p.statements)
                        .filter(|s| s.effect == Effect::Allow)
                        .map(|s| s.applies),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let grant = |pick: fn(&super::principal::Grants) -> Tri| {
        Tri::any(
            policies
                .iter()
                .filter(|p| p.policy.layer == Layer::Resource)
                .flat_map(|p| &p.statements)
                .filter(|s| s.effect == Effect::Allow)
                .filter_map(|s| s.grants.as_ref().map(pick)),
        )
    };
    let parts = Parts {
        deny: deny_in(None),
        identity: if is_root {
            Tri::Yes
        } else {
            allow_in(LayerKind::Identity)
        },
        boundary: if boundary.is_some() {
            allow_in(LayerKind::Boundary)
        } else {
            Tri::Yes
        },
        scp: Tri::all(scp_levels.iter().copied()),
        direct: grant(|g| g.direct),
        role: grant(|g| g.role),
        account: grant(|g| g.account),
    };

    let cross = resource_account.map(|a| a != principal.account);
    let kind = request.resource_kind;
    let settings: Vec<bool> = match cross {
        Some(c) => vec![c],
        None => vec![false, true],
    };
    let decisions: Vec<Decision> = settings.iter().map(|&c| parts.decide(c, kind)).collect();
    let mut undecided = Vec::new();
    let decision = if decisions.iter().all(|d| *d == decisions[0]) {
        decisions[0]
    } else {
        undecided.push(Undecided {
            policy: None,
            statement: None,
            sid: None,
            effect: None,
            keys: vec!["aws:ResourceAccount".to_owned()],
            why: format!(
                "the resource's account is unknown: same-account evaluation says {}, cross-account {}",
                decisions[0], decisions[1]
            ),
        });
        Decision::Conditional
    };

    if decision == Decision::Conditional {
        let relevant = relevant_parts(&parts, &settings, kind);
        undecided.extend(undecided_statements(&relevant, &policies, &scp_levels));
    }

    let mut layers = Vec::new();
    if scps_apply {
        layers.push(LayerOutcome {
            layer: LayerKind::Scp,
            allows: parts.scp,
            denies: deny_in(Some(LayerKind::Scp)),
        });
    }
    if request.resource_policy.is_some() {
        layers.push(LayerOutcome {
            layer: LayerKind::Resource,
            allows: parts.resource(),
            denies: deny_in(Some(LayerKind::Resource)),
        });
    }
    layers.push(LayerOutcome {
        layer: LayerKind::Identity,
        allows: parts.identity,
        denies: deny_in(Some(LayerKind::Identity)),
    });
    if boundary.is_some() {
        layers.push(LayerOutcome {
            layer: LayerKind::Boundary,
            allows: parts.boundary,
            denies: deny_in(Some(LayerKind::Boundary)),
        });
    }

    let notes = notes(principal, request, cross, scps_apply, is_root);
    let mut reasons = reasons(
        decision,
        &parts,
        &policies,
        &scp_levels,
        principal,
        cross.unwrap_or(false),
        kind,
    );
    if decision == Decision::Conditional {
        let mut keys: Vec<&str> = undecided
            .iter()
            .flat_map(|u| u.keys.iter().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        reasons.push(if keys.is_empty() {
            "the decision depends on statements Vigil cannot decide (see undecided)".to_owned()
        } else {
            format!("the decision depends on unknown {}", keys.join(", "))
        });
    }
    Answer {
        decision,
        principal: principal.arn.clone(),
        action: request.action.to_owned(),
        resource: request.resource.to_owned(),
        cross_account: cross,
        layers,
        reasons,
        undecided,
        notes,
        policies,
    }
}

/// The undecided parts the decision depends on: those whose value changes the
/// decision for some values of the other undecided parts.
fn relevant_parts(parts: &Parts, settings: &[bool], kind: ResourceKind) -> Vec<Part> {
    let unknown: Vec<Part> = PARTS
        .into_iter()
        .filter(|&p| parts.get(p).is_unknown())
        .collect();
    unknown
        .iter()
        .copied()
        .filter(|&part| {
            let others: Vec<Part> = unknown.iter().copied().filter(|&o| o != part).collect();
            (0u32..1 << others.len()).any(|bits| {
                let completed = others.iter().enumerate().fold(*parts, |acc, (i, &o)| {
                    acc.with(o, Tri::from(bits & (1 << i) != 0))
                });
                settings.iter().any(|&c| {
                    completed.with(part, Tri::Yes).decide(c, kind)
                        != completed.with(part, Tri::No).decide(c, kind)
                })
            })
        })
        .collect()
}

/// The undecided statements behind the relevant parts: what a conditional answer
/// depends on.
fn undecided_statements(
    relevant: &[Part],
    policies: &[PolicyTrace],
    scp_levels: &[Tri],
) -> Vec<Undecided> {
    let mut out = Vec::new();
    for p in policies {
        let layer = p.policy.layer.kind();
        for s in &p.statements {
            let counts = relevant.iter().any(|&part| match part {
                Part::Deny => s.effect == Effect::Deny && s.applies.is_unknown(),
                _ if s.effect == Effect::Deny => false,
                Part::Identity => layer == LayerKind::Identity && s.applies.is_unknown(),
                Part::Boundary => layer == LayerKind::Boundary && s.applies.is_unknown(),
                Part::Scp => match &p.policy.layer {
                    Layer::Scp { level, .. } => {
                        scp_levels[*level].is_unknown() && s.applies.is_unknown()
                    }
                    _ => false,
                },
                Part::Direct | Part::Role | Part::Account => {
                    s.grants.as_ref().is_some_and(|g| match part {
                        Part::Direct => g.direct.is_unknown(),
                        Part::Role => g.role.is_unknown(),
                        _ => g.account.is_unknown(),
                    })
                }
            });
            if !counts {
                continue;
            }
            let why = s
                .checks
                .iter()
                .filter(|c| c.outcome.is_unknown())
                .map(|c| match c.element {
                    Element::Condition { .. } => c.detail.clone(),
                    _ => format!("{}: {}", c.element, c.detail),
                })
                .collect::<Vec<_>>()
                .join("; ");
            out.push(Undecided {
                policy: Some(p.policy.clone()),
                statement: Some(s.index),
                sid: s.sid.clone(),
                effect: Some(s.effect),
                keys: s.unknown_keys.clone(),
                why,
            });
        }
    }
    out
}

fn notes(
    principal: &Principal,
    request: &Request,
    cross: Option<bool>,
    scps_apply: bool,
    is_root: bool,
) -> Vec<String> {
    let mut notes = Vec::new();
    if is_root {
        notes.push(
            "the root user needs no identity-based policy in its own account (AWS: \"all requests are implicitly denied with the exception of the AWS account root user, which has full access\"); SCPs and resource policies still apply".to_owned(),
        );
    }
    if principal.service_linked && !principal.scps.is_empty() {
        notes.push("service-linked role: SCPs do not limit it".to_owned());
    } else if !scps_apply {
        notes.push(
            "no SCPs given: evaluated as outside an organisation or in its management account"
                .to_owned(),
        );
    }
    if cross == Some(true) {
        notes.push(
            "cross-account: the identity-based policies and the resource-based policy must both allow".to_owned(),
        );
    } else if request.resource_kind != ResourceKind::Standard {
        notes.push(format!(
            "{}: it must allow the principal or its account even within the account",
            match request.resource_kind {
                ResourceKind::RoleTrust => "a role trust policy",
                _ => "a KMS key policy",
            }
        ));
    }
    notes
}

fn statement_ref(p: &PolicyTrace, index: usize, sid: Option<&str>) -> String {
    match sid {
        Some(sid) if !sid.is_empty() => format!("{} statement {index} (Sid `{sid}`)", p.policy),
        _ => format!("{} statement {index}", p.policy),
    }
}

/// The statements of `kind` with `effect` that apply.
fn applying(policies: &[PolicyTrace], kind: Option<LayerKind>, effect: Effect) -> Vec<String> {
    policies
        .iter()
        .filter(|p| kind.is_none_or(|k| p.policy.layer.kind() == k))
        .flat_map(|p| {
            p.statements
                .iter()
                .filter(|s| s.effect == effect && s.applies.is_yes())
                .map(move |s| statement_ref(p, s.index, s.sid.as_deref()))
        })
        .collect()
}

fn reasons(
    decision: Decision,
    parts: &Parts,
    policies: &[PolicyTrace],
    scp_levels: &[Tri],
    principal: &Principal,
    cross: bool,
    kind: ResourceKind,
) -> Vec<String> {
    let mut out = Vec::new();
    match decision {
        Decision::ExplicitlyDenied => {
            for s in applying(policies, None, Effect::Deny) {
                out.push(format!("{s} explicitly denies it"));
            }
        }
        Decision::Allowed => {
            let layer = |kind: LayerKind, what: &str, out: &mut Vec<String>| {
                for s in applying(policies, Some(kind), Effect::Allow) {
                    out.push(format!("{s} {what}"));
                }
            };
            if !scp_levels.is_empty() {
                out.push("the SCPs allow it at every level of the organisation path".to_owned());
            }
            if parts.resource().is_yes() {
                layer(LayerKind::Resource, "allows it", &mut out);
            }
            if principal.kind == PrincipalKind::Root {
                out.push("the root user has full access in its own account".to_owned());
            } else if parts.identity.is_yes() {
                layer(LayerKind::Identity, "allows it", &mut out);
            }
            if principal.permissions_boundary.is_some() && parts.boundary.is_yes() {
                layer(LayerKind::Boundary, "allows it", &mut out);
            }
        }
        Decision::ImplicitlyDenied => {
            // The parts whose allowing alone would change the answer.
            let blockers: Vec<Part> = [
                Part::Scp,
                Part::Identity,
                Part::Boundary,
                Part::Direct,
                Part::Account,
            ]
            .into_iter()
            .filter(|&part| {
                parts.get(part).is_no() && !parts.with(part, Tri::Yes).allowed(cross, kind).is_no()
            })
            .collect();
            let shown = if blockers.is_empty() {
                vec![Part::Identity, Part::Boundary, Part::Scp, Part::Account]
                    .into_iter()
                    .filter(|&p| parts.get(p).is_no())
                    .collect()
            } else {
                blockers
            };
            let has_resource_policy = policies.iter().any(|p| p.policy.layer == Layer::Resource);
            for part in shown {
                let line = match part {
                    Part::Scp => {
                        let levels: Vec<String> = scp_levels
                            .iter()
                            .enumerate()
                            .filter(|(_, t)| t.is_no())
                            .map(|(i, _)| principal.scps[i].target.clone())
                            .collect();
                        format!(
                            "no SCP allows it at level {} (every level of the organisation path must allow)",
                            levels.join(", ")
                        )
                    }
                    Part::Identity => "no identity-based policy allows it".to_owned(),
                    Part::Boundary => "the permissions boundary does not allow it".to_owned(),
                    _ if cross => "the resource-based policy does not allow the principal or its account (cross-account access needs both sides)".to_owned(),
                    _ => match kind {
                        ResourceKind::Standard if has_resource_policy => {
                            "the resource-based policy does not grant it to the principal".to_owned()
                        }
                        ResourceKind::Standard => continue,
                        _ if parts.account.is_yes() => continue,
                        ResourceKind::RoleTrust => {
                            "the role trust policy allows neither the principal nor its account".to_owned()
                        }
                        ResourceKind::KmsKey => {
                            "the key policy allows neither the principal nor its account".to_owned()
                        }
                    },
                };
                out.push(line);
            }
            if parts.deny.is_unknown() {
                out.push(
                    "a Deny statement may also apply, depending on unknown context".to_owned(),
                );
            }
        }
        // Said from the undecided statements, by the caller.
        Decision::Conditional => {}
    }
    out.dedup();
    out
}
