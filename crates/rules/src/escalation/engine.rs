//! The escalation analysis's calls into the evaluation engine, and the definition of
//! an administrator.
//!
//! Each call evaluates a *slim* principal: its identity policies and boundary cut down
//! to the statements whose `Action`/`NotAction` covers the one action asked about. A
//! statement that does not cover the action cannot apply to the request, so the
//! engine's answer is the same as over the whole principal; it is just an order of
//! magnitude cheaper on real policies, which hold dozens of statements about other
//! services. The boundary is kept even when none of its statements is left, since a
//! boundary that allows nothing denies everything.

use crate::access::inventory::SCPS_KNOWN_KEY;
use crate::access::{
    Decision, NamedPolicy, Principal, PrincipalKind, Request, RequestContext, ResourceKind,
    evaluate,
};
use crate::helpers::iam::Patterns;

use super::estate::{Estate, Node, PROBE_ANY_ACTION, PROBE_ANY_IAM_ACTION, Scps, Source};

/// A decision with what a conditional one depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub decision: Decision,
    /// For a conditional decision: the condition keys (or facts) it depends on.
    pub why: Vec<String>,
}

impl Outcome {
    pub fn allowed() -> Outcome {
        Outcome {
            decision: Decision::Allowed,
            why: Vec::new(),
        }
    }

    pub fn denied() -> Outcome {
        Outcome {
            decision: Decision::ImplicitlyDenied,
            why: Vec::new(),
        }
    }

    /// The engine's answer as an outcome.
    pub fn of(answer: &crate::access::Answer) -> Outcome {
        Outcome {
            decision: answer.decision,
            why: if answer.decision == Decision::Conditional {
                why(answer)
            } else {
                Vec::new()
            },
        }
    }

    pub fn conditional(why: impl Into<String>) -> Outcome {
        Outcome {
            decision: Decision::Conditional,
            why: vec![why.into()],
        }
    }

    /// Both must hold: a denial wins, then a condition.
    pub fn and(mut self, other: Outcome) -> Outcome {
        if self.decision.is_denied() {
            return self;
        }
        if other.decision.is_denied() {
            return other;
        }
        if other.decision == Decision::Conditional {
            self.decision = Decision::Conditional;
        }
        for w in other.why {
            if !self.why.contains(&w) {
                self.why.push(w);
            }
        }
        self
    }
}

/// One call a method needs, as the engine is asked it.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub action: String,
    pub bit: usize,
    pub trust: bool,
    pub context: RequestContext,
}

/// What the principal may do is decided by these policies: its own (or a variant of
/// them for "what if").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policies<'a> {
    pub identity: &'a [Source],
    /// Extra identity policies (a group the principal would join).
    pub extra: &'a [Source],
    pub boundary: Option<&'a Source>,
}

impl<'a> Policies<'a> {
    pub fn of(node: &'a Node) -> Policies<'a> {
        Policies {
            identity: &node.identity,
            extra: &[],
            boundary: node.boundary.as_ref(),
        }
    }

    fn sources(&self) -> impl Iterator<Item = &'a Source> {
        self.identity.iter().chain(self.extra)
    }
}

/// The principal with only the statements about the action with `bit`.
pub(crate) fn slim(node: &Node, policies: Policies, bit: usize) -> Principal {
    let mut p = match node.kind {
        PrincipalKind::User => Principal::user(&node.arn),
        _ => Principal::role(&node.arn),
    };
    p.account.clone_from(&node.account);
    p = p.with_tags(node.tags.clone());
    if node.service_linked {
        p = p.service_linked();
    }
    for s in policies.sources().filter(|s| s.has(bit)) {
        p = p.with_policy(s.slim(bit));
    }
    if let Some(b) = policies.boundary {
        p = p.with_boundary(b.slim(bit));
    }
    with_scps(p, &node.scps, bit)
}

/// The principal under its account's SCPs, each level cut down to the statements about
/// the action with `bit`. A level keeps its policies even when none of their statements
/// is left: a level that allows nothing denies everything.
pub(crate) fn with_scps(mut p: Principal, scps: &Scps, bit: usize) -> Principal {
    for (target, level) in &scps.levels {
        p = p.with_scp_level(target.clone(), level.iter().map(|s| s.slim(bit)).collect());
    }
    p
}

/// Do the SCPs over the account let a principal with every permission be an
/// administrator? An edge that yields arbitrary identity permissions ends at
/// administrator only as far as they do: an SCP allow-list or a Deny on IAM keeps
/// whoever writes themselves `*` from being one; SCPs not known make it conditional.
/// Always allowed outside an organisation and in its management account.
pub(crate) fn scp_admits_admin(estate: &Estate, account: &str, scps: &Scps) -> Outcome {
    if scps.levels.is_empty() {
        return Outcome::allowed();
    }
    let all = crate::helpers::iam::Policy::from_json(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    }))
    .expect("a fixed policy parses");
    let mut out = Outcome::allowed();
    for probe in [PROBE_ANY_ACTION, PROBE_ANY_IAM_ACTION] {
        let bit = estate.table.bit(probe);
        let mut p = Principal::role(format!("arn:aws:iam::{account}:role/any-administrator"))
            .with_policy(NamedPolicy::inline("every permission", all.clone()));
        p.account = account.to_owned();
        let p = with_scps(p.with_tags(Default::default()), scps, bit);
        let spec = Spec {
            action: probe.to_owned(),
            bit,
            trust: false,
            context: RequestContext::new(),
        };
        out = out.and(decide(&p, &spec, "*", account, None));
        if out.decision.is_denied() {
            return out;
        }
    }
    out
}

/// Does the action's answer for this principal not depend on which resource of an
/// account it is asked about? True when every statement about it — identity policies,
/// boundary and SCPs (a guardrail denying changes to one role names it) — names
/// `Resource: "*"` and no condition reads a resource key, so one engine call answers
/// for every target of the account.
pub(crate) fn resource_insensitive(principal: &Principal) -> bool {
    principal
        .identity_policies
        .iter()
        .chain(principal.permissions_boundary.as_ref())
        .chain(principal.scps.iter().flat_map(|l| &l.policies))
        .flat_map(|p| &p.document.statements)
        .all(|s| {
            matches!(&s.resources, Patterns::Only(list) if list.iter().all(|r| r == "*"))
                && s.conditions.iter().all(|c| {
                    let key = c.key.to_ascii_lowercase();
                    !key.contains("resource") && !key.starts_with("iam:") && !key.contains("arn")
                })
        })
}

/// The engine's answer for one call.
pub(crate) fn decide(
    principal: &Principal,
    spec: &Spec,
    resource: &str,
    resource_account: &str,
    trust: Option<&NamedPolicy>,
) -> Outcome {
    let mut request = Request::new(&spec.action, resource)
        .in_account(resource_account)
        .with_context(&spec.context);
    if spec.trust {
        match trust {
            Some(t) => {
                request = request
                    .with_resource_policy(t)
                    .of_kind(ResourceKind::RoleTrust)
            }
            None => return Outcome::conditional("the role's trust policy was not collected"),
        }
    }
    Outcome::of(&evaluate(principal, &request))
}

/// What a conditional answer depends on: the condition keys, and for SCPs Vigil could
/// not read, which ones and why (the undecidable level's name says it).
pub(crate) fn why(answer: &crate::access::Answer) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for u in &answer.undecided {
        for key in &u.keys {
            let text = match &u.policy {
                Some(p) if key == SCPS_KNOWN_KEY => p.name.clone(),
                _ => key.clone(),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out.sort();
    out
}

/// Is the principal an administrator? Administrator here means: the engine allows,
/// on every resource (`*`), both an action that no policy names (only a grant of every
/// action reaches it: `*`, `*:*`, or a `NotAction` leaving it) and an IAM action that
/// no policy names (only a grant of every IAM action reaches it). The first says the
/// principal may call anything it is not specifically denied; the second that it may
/// also write IAM, so it can give itself whatever a narrower grant or its own Deny
/// statements hold back. This is CIS 1.16's "full administrative privileges" (`*` on
/// `*`) judged on the effective permission, boundary and Deny statements included,
/// rather than on one document. A principal allowed only some IAM writes
/// (`iam:PutUserPolicy` on itself) is not an administrator but reaches one through
/// the catalogue.
pub(crate) fn admin(estate: &Estate, node: &Node, policies: Policies) -> Outcome {
    let mut out = Outcome::allowed();
    for probe in [PROBE_ANY_ACTION, PROBE_ANY_IAM_ACTION] {
        let bit = estate.table.bit(probe);
        let principal = slim(node, policies, bit);
        let spec = Spec {
            action: probe.to_owned(),
            bit,
            trust: false,
            context: RequestContext::new(),
        };
        out = out.and(decide(&principal, &spec, "*", &node.account, None));
        if out.decision.is_denied() {
            return out;
        }
    }
    out
}
