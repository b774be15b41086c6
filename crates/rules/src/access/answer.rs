//! The engine's answer: the decision and the explanation behind it, as data (for rule
//! evidence and `vigil explain`) with a plain-text rendering.

use std::fmt;

use serde::Serialize;

use super::principal::Grants;
use super::tri::Tri;
use crate::helpers::iam::Effect;

/// A principal's effective permission for one (action, resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    Allowed,
    /// A `Deny` statement applies somewhere: nothing can override it.
    ExplicitlyDenied,
    /// No `Deny` applies, but the policies that must allow do not.
    ImplicitlyDenied,
    /// Depends on request context Vigil does not know; [`Answer::undecided`] says which
    /// statements and keys.
    Conditional,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
            Decision::Conditional => "Conditional",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }

    pub fn is_denied(self) -> bool {
        matches!(
            self,
            Decision::ExplicitlyDenied | Decision::ImplicitlyDenied
        )
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of policy a policy is, and where it sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    /// A service control policy on level `level` (0 = the organisation root) of the
    /// account's organisation path.
    Scp { level: usize, target: String },
    /// The resource-based policy (bucket policy, key policy, role trust policy, …).
    Resource,
    /// An identity-based policy of the principal (or of one of its groups).
    Identity,
    /// The principal's permissions boundary.
    Boundary,
}

impl Layer {
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Scp { .. } => LayerKind::Scp,
            Layer::Resource => LayerKind::Resource,
            Layer::Identity => LayerKind::Identity,
            Layer::Boundary => LayerKind::Boundary,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Scp,
    Resource,
    Identity,
    Boundary,
}

impl LayerKind {
    fn title(self) -> &'static str {
        match self {
            LayerKind::Scp => "service control policies",
            LayerKind::Resource => "resource-based policy",
            LayerKind::Identity => "identity-based policies",
            LayerKind::Boundary => "permissions boundary",
        }
    }
}

/// The policy a statement belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub layer: Layer,
    pub name: String,
    pub arn: Option<String>,
    pub via_group: Option<String>,
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.layer {
            Layer::Scp { target, .. } => write!(f, "SCP `{}` on {target}", self.name)?,
            Layer::Resource => write!(f, "resource policy `{}`", self.name)?,
            Layer::Identity => write!(f, "identity policy `{}`", self.name)?,
            Layer::Boundary => write!(f, "permissions boundary `{}`", self.name)?,
        }
        if let Some(arn) = &self.arn {
            write!(f, " ({arn})")?;
        }
        if let Some(group) = &self.via_group {
            write!(f, " via group `{group}`")?;
        }
        Ok(())
    }
}

/// One policy, statement by statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyTrace {
    pub policy: PolicyRef,
    pub statements: Vec<StatementTrace>,
}

/// The element of a statement a check looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "element", rename_all = "snake_case")]
pub enum Element {
    Action,
    NotAction,
    Resource,
    NotResource,
    Principal,
    NotPrincipal,
    Condition { operator: String, key: String },
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Action => f.write_str("Action"),
            Element::NotAction => f.write_str("NotAction"),
            Element::Resource => f.write_str("Resource"),
            Element::NotResource => f.write_str("NotResource"),
            Element::Principal => f.write_str("Principal"),
            Element::NotPrincipal => f.write_str("NotPrincipal"),
            Element::Condition { operator, key } => write!(f, "Condition {operator} {key}"),
        }
    }
}

/// What one element of a statement said about the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub element: Element,
    /// Does the element admit the request?
    pub outcome: Tri,
    pub detail: String,
    /// The condition keys (or policy variables) whose unknown values left it undecided.
    pub keys: Vec<String>,
}

/// One statement: whether it applies to the request, and each check that decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementTrace {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub applies: Tri,
    /// Resource-based statements only: how the statement names the principal,
    /// each as far as the rest of the statement applies.
    pub grants: Option<Grants>,
    pub checks: Vec<Check>,
    /// The unknown keys that leave `applies` undecided.
    pub unknown_keys: Vec<String>,
}

impl StatementTrace {
    fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("statement {} (Sid `{sid}`)", self.index),
            _ => format!("statement {}", self.index),
        }
    }
}

/// What one kind of policy concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerOutcome {
    pub layer: LayerKind,
    /// Does it allow the request (for SCPs: at every level; for the resource policy:
    /// by any way of naming the principal)?
    pub allows: Tri,
    /// Does one of its `Deny` statements apply?
    pub denies: Tri,
}

/// Something a conditional answer depends on: a statement whose conditions Vigil
/// could not decide, or a fact about the request it does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undecided {
    /// The policy and statement, when a statement is what is undecided.
    pub policy: Option<PolicyRef>,
    pub statement: Option<usize>,
    pub sid: Option<String>,
    pub effect: Option<Effect>,
    /// The condition keys (or policy variables) whose values would decide it.
    pub keys: Vec<String>,
    pub why: String,
}

/// The decision and everything that explains it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub decision: Decision,
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// `None` when the resource's account is not known.
    pub cross_account: Option<bool>,
    pub layers: Vec<LayerOutcome>,
    /// Why, in a few sentences, each naming policy and statement.
    pub reasons: Vec<String>,
    /// For a conditional answer: what it depends on.
    pub undecided: Vec<Undecided>,
    /// The documented rules that shaped the answer.
    pub notes: Vec<String>,
    /// Every policy evaluated, statement by statement.
    pub policies: Vec<PolicyTrace>,
}

impl Answer {
    /// Every condition key a conditional answer depends on.
    pub fn undecided_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .undecided
            .iter()
            .flat_map(|u| u.keys.iter().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn applies_word(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "applies",
        Tri::No => "does not apply",
        Tri::Unknown => "undecided",
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = match self.cross_account {
            Some(true) => "cross-account",
            Some(false) => "same account",
            None => "resource account unknown",
        };
        writeln!(
            f,
            "{}: `{}` calling `{}` on `{}` ({scope})",
            self.decision, self.principal, self.action, self.resource
        )?;
        for reason in &self.reasons {
            writeln!(f, "  because {reason}")?;
        }
        for u in &self.undecided {
            match (&u.policy, u.statement) {
                (Some(p), Some(i)) => writeln!(
                    f,
                    "  undecided: {p} statement {i}{}: {} [{}]",
                    u.sid
                        .as_deref()
                        .map(|s| format!(" (Sid `{s}`)"))
                        .unwrap_or_default(),
                    u.why,
                    u.keys.join(", ")
                )?,
                _ => writeln!(f, "  undecided: {} [{}]", u.why, u.keys.join(", "))?,
            }
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        let mut last = None;
        for p in &self.policies {
            let kind = p.policy.layer.kind();
            if last != Some(kind) {
                writeln!(f, "{}:", kind.title())?;
                last = Some(kind);
            }
            writeln!(f, "  {}", p.policy)?;
            for s in &p.statements {
                writeln!(
                    f,
                    "    {} ({:?}): {}",
                    s.label(),
                    s.effect,
                    applies_word(s.applies)
                )?;
                for c in &s.checks {
                    writeln!(
                        f,
                        "      {} [{}]: {}",
                        c.element,
                        c.outcome.as_str(),
                        c.detail
                    )?;
                }
            }
        }
        Ok(())
    }
}
