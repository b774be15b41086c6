//! One statement against one request: does it apply, and why or why not, element by
//! element (action, resource, principal, each condition).

use super::answer::{Check, Element, StatementTrace};
use super::condition;
use super::context::Lookup;
use super::principal::{Grants, Principal, match_principals};
use super::tri::Tri;
use super::variables::{Resolved, resolve};
use crate::helpers::iam::{Patterns, Principals, Statement, glob_match, wildcard_match};

/// What a statement is evaluated against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub principal: &'a Principal,
    pub action: &'a str,
    pub resource: &'a str,
    pub lookup: Lookup<'a>,
    /// The policy's language version substitutes policy variables.
    pub variables: bool,
    /// The policy is resource-based: its `Principal` element is matched.
    pub resource_based: bool,
}

/// Evaluates a statement. Elements are checked in order and evaluation stops at the
/// first that rules the statement out; an undecided element does not stop it, since a
/// later one may still rule it out.
pub(crate) fn evaluate(index: usize, s: &Statement, scope: &Scope) -> StatementTrace {
    let mut run = Run {
        base: Tri::Yes,
        principal: Tri::Yes,
        checks: Vec::new(),
    };
    let mut grants = None;

    // Action: AWS compares action names case-insensitively; `Action` has no variables.
    if run.base(action_check(&s.actions, scope.action)) {
        return run.finish(index, s, grants);
    }
    if let Some(check) = resource_check(&s.resources, scope)
        && run.base(check)
    {
        return run.finish(index, s, grants);
    }
    if scope.resource_based {
        let (g, detail) = match_principals(&s.principals, s.effect, scope.principal);
        grants = Some(g);
        let element = if matches!(s.principals, Principals::AllBut(_)) {
            Element::NotPrincipal
        } else {
            Element::Principal
        };
        run.principal = g.any();
        run.checks.push(Check {
            element,
            outcome: g.any(),
            detail,
            keys: Vec::new(),
        });
        if run.principal.is_no() {
            return run.finish(index, s, grants);
        }
    }
    for cond in &s.conditions {
        let out = condition::evaluate(cond, &scope.lookup, scope.variables);
        let keys = if out.outcome.is_unknown() && out.unknown_keys.is_empty() {
            vec![cond.key.clone()]
        } else {
            out.unknown_keys
        };
        let check = Check {
            element: Element::Condition {
                operator: cond.operator.clone(),
                key: cond.key.clone(),
            },
            outcome: out.outcome,
            detail: out.detail,
            keys,
        };
        if run.base(check) {
            break;
        }
    }
    run.finish(index, s, grants)
}

/// The checks made so far: `base` is every element but the principal.
struct Run {
    base: Tri,
    principal: Tri,
    checks: Vec<Check>,
}

impl Run {
    /// Records a check; true when it rules the statement out.
    fn base(&mut self, check: Check) -> bool {
        self.base = self.base.and(check.outcome);
        self.checks.push(check);
        self.base.is_no()
    }

    fn finish(self, index: usize, s: &Statement, grants: Option<Grants>) -> StatementTrace {
        let applies = self.base.and(self.principal);
        let mut unknown_keys: Vec<String> = if applies.is_unknown() {
            self.checks
                .iter()
                .filter(|c| c.outcome.is_unknown())
                .flat_map(|c| c.keys.iter().cloned())
                .collect()
        } else {
            Vec::new()
        };
        unknown_keys.sort();
        unknown_keys.dedup();
        // Each way of naming the principal counts only as far as the rest of the
        // statement applies.
        let grants = grants.map(|g| Grants {
            direct: self.base.and(g.direct),
            role: self.base.and(g.role),
            account: self.base.and(g.account),
        });
        StatementTrace {
            index,
            sid: s.sid.clone(),
            effect: s.effect,
            applies,
            grants,
            checks: self.checks,
            unknown_keys,
        }
    }
}

fn action_check(actions: &Patterns, action: &str) -> Check {
    let (list, negated) = match actions {
        Patterns::Only(list) => (list, false),
        Patterns::AllBut(list) => (list, true),
        Patterns::Absent => {
            return Check {
                element: Element::Action,
                outcome: Tri::No,
                detail: "no `Action` element".to_owned(),
                keys: Vec::new(),
            };
        }
    };
    let hit = list.iter().find(|p| wildcard_match(p, action, false));
    let detail = match (hit, negated) {
        (Some(p), false) => format!("`{p}` matches `{action}`"),
        (Some(p), true) => format!("`{action}` is excluded by `{p}`"),
        (None, false) => format!("no pattern of {list:?} matches `{action}`"),
        (None, true) => format!("`{action}` is not among the excluded {list:?}"),
    };
    Check {
        element: if negated {
            Element::NotAction
        } else {
            Element::Action
        },
        outcome: Tri::from(hit.is_some() != negated),
        detail,
        keys: Vec::new(),
    }
}

/// The `Resource` / `NotResource` check; `None` for statements without either (role
/// trust policies). Resource ARNs compare case-sensitively, and policy variables are
/// substituted.
fn resource_check(resources: &Patterns, scope: &Scope) -> Option<Check> {
    let (list, negated) = match resources {
        Patterns::Absent => return None,
        Patterns::Only(list) => (list, false),
        Patterns::AllBut(list) => (list, true),
    };
    let element = if negated {
        Element::NotResource
    } else {
        Element::Resource
    };
    // Every pattern is resolved first: one whose variable is absent makes the whole
    // statement invalid, wherever it stands in the list.
    let mut hit = None;
    let mut unknown = Vec::new();
    let mut may_be_invalid = false;
    for p in list {
        match resolve(p, true, scope.variables, &scope.lookup) {
            Resolved::Pattern(g) => {
                if hit.is_none() && glob_match(&g, scope.resource, true) {
                    hit = Some(p);
                }
            }
            Resolved::Unknown {
                keys,
                may_be_invalid: maybe,
            } => {
                unknown.extend(keys);
                may_be_invalid |= maybe;
            }
            Resolved::Invalid(var) => {
                return Some(Check {
                    element,
                    outcome: Tri::No,
                    detail: format!(
                        "policy variable `${{{var}}}` in `{p}` is not present in the request: the statement is invalid"
                    ),
                    keys: Vec::new(),
                });
            }
        }
    }
    let (mut outcome, mut detail) = match (hit, negated) {
        (Some(p), false) => (Tri::Yes, format!("`{p}` matches `{}`", scope.resource)),
        (Some(p), true) => (
            Tri::No,
            format!("`{}` is excluded by `{p}`", scope.resource),
        ),
        (None, _) if !unknown.is_empty() => (
            Tri::Unknown,
            format!(
                "whether {list:?} covers `{}` depends on unknown {}",
                scope.resource,
                unknown.join(", ")
            ),
        ),
        (None, false) => (
            Tri::No,
            format!("no pattern of {list:?} matches `{}`", scope.resource),
        ),
        (None, true) => (
            Tri::Yes,
            format!("`{}` is not among the excluded {list:?}", scope.resource),
        ),
    };
    if outcome.is_yes() && may_be_invalid {
        outcome = Tri::Unknown;
        detail = format!(
            "{detail}, unless {} turns out absent, which would invalidate the statement",
            unknown.join(", ")
        );
    }
    Some(Check {
        element,
        outcome,
        detail,
        keys: if outcome.is_unknown() {
            unknown
        } else {
            Vec::new()
        },
    })
}
