//! The catalogue applied to one principal: for each method, the targets it could act
//! on, the prerequisites on each, the engine's decision on each required call, and
//! what the principal holds afterwards. The result is the principal's outgoing edges:
//! to another principal it can become, or straight to administrator.
//!
//! Targets are enumerated from indexes (roles by trusted service, trust policies by
//! the principals they name, policies attached to the principal) and narrowed by the
//! Allow statements' resource patterns before any engine call; the engine decides what
//! is left. A call whose statements all say `Resource: "*"` is decided once per account.

use crate::hash::{HashMap, New};

use vigil_inventory::ResourceIdx;

use crate::access::{Decision, Principal, PrincipalKind, RequestContext};

use super::catalogue::Catalogue;
use super::engine::{self, Outcome, Policies, Spec};
use super::estate::{ASSUME_ROLE, Estate, Node, may_cover};
use super::method::{ActionResource, MethodFile, Prerequisite, TargetKind, Yield};

/// Where an edge leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Reach {
    /// Arbitrary permissions.
    Admin,
    /// Another principal's permissions (index into the estate's nodes).
    Principal(u32),
}

/// One way for a principal to gain more.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub from: u32,
    pub to: Reach,
    /// Index into the catalogue's methods.
    pub method: u16,
    /// The inventory node the method acts on.
    pub target: ResourceIdx,
    /// `Allowed` or `Conditional`.
    pub decision: Decision,
    /// What a conditional edge depends on.
    pub why: Box<[String]>,
}

/// The calls of every method, deduplicated, with each method's list of call indexes.
#[derive(Debug)]
pub(crate) struct Specs {
    pub specs: Vec<Spec>,
    pub of_method: Vec<Vec<usize>>,
    pub assume: usize,
}

impl Specs {
    pub fn new(estate: &Estate, catalogue: &Catalogue) -> Specs {
        let mut specs: Vec<Spec> = Vec::new();
        let mut index = |action: &str, trust: bool, context: Vec<(&str, &str)>| -> usize {
            let mut ctx = RequestContext::new();
            for (k, v) in &context {
                ctx = ctx.with(k, *v);
            }
            if let Some(i) = specs.iter().position(|s| {
                s.action.eq_ignore_ascii_case(action) && s.trust == trust && s.context == ctx
            }) {
                return i;
            }
            specs.push(Spec {
                action: action.to_owned(),
                bit: estate.table.bit(action),
                trust,
                context: ctx,
            });
            specs.len() - 1
        };
        let assume = index(ASSUME_ROLE, true, Vec::new());
        let of_method = catalogue
            .methods()
            .iter()
            .map(|m| {
                m.actions
                    .iter()
                    .map(|a| {
                        index(
                            &a.action,
                            a.trust_policy,
                            a.context
                                .iter()
                                .map(|(k, v)| (k.as_str(), v.as_str()))
                                .collect(),
                        )
                    })
                    .collect()
            })
            .collect();
        Specs {
            specs,
            of_method,
            assume,
        }
    }
}

/// The roles a principal can assume, with the engine's decision (`Allowed` or
/// `Conditional`): trust policy × identity policy, same- or cross-account.
pub(crate) fn assumable(estate: &Estate, specs: &Specs, p: usize) -> Vec<(u32, Outcome)> {
    let node = &estate.nodes[p];
    if node.error.is_some() {
        return Vec::new();
    }
    let spec = &specs.specs[specs.assume];
    let mut candidates: Vec<usize> = estate
        .trusting_arn
        .get(&node.arn)
        .into_iter()
        .flatten()
        .chain(&estate.trusting_everyone)
        .copied()
        .collect();
    // Naming the account delegates to the account's identity policies: only those
    // that may allow the call can use it.
    if node.allow & (1 << spec.bit) != 0 {
        candidates.extend(
            estate
                .trusting_account
                .get(&node.account)
                .into_iter()
                .flatten(),
        );
    }
    candidates.sort_unstable();
    candidates.dedup();
    let principal = engine::slim(node, Policies::of(node), spec.bit);
    candidates
        .into_iter()
        .filter(|&r| r != p)
        .filter_map(|r| {
            let role = &estate.nodes[r];
            if role.error.is_some() {
                return None;
            }
            let out = engine::decide(
                &principal,
                spec,
                &role.arn,
                &role.account,
                role.trust.as_ref(),
            );
            (!out.decision.is_denied()).then_some((r as u32, out))
        })
        .collect()
}

/// A method's target, resolved.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    resource: ResourceIdx,
    arn: &'a str,
    account: &'a str,
    /// The principal, when the target is one.
    principal: Option<usize>,
    /// The role a compute target runs as.
    role: Option<usize>,
    policy: Option<usize>,
    group: Option<usize>,
}

/// Works out one principal's outgoing edges.
pub(crate) struct Walker<'a> {
    pub estate: &'a Estate,
    pub catalogue: &'a Catalogue,
    pub specs: &'a Specs,
    pub assume: &'a [Vec<(u32, Outcome)>],
    /// Per account, whether its SCPs let a principal with every permission be an
    /// administrator ([`engine::scp_admits_admin`]).
    pub ceiling: &'a HashMap<String, Outcome>,
}

/// Per-principal memo: slim principals by action bit, decisions by call and resource.
struct Memo<'e> {
    slim: HashMap<usize, (Principal, bool)>,
    /// By call and resource ARN, or by call and account for calls whose answer does
    /// not depend on the resource (account ids and ARNs never collide).
    decisions: HashMap<(usize, &'e str), Outcome>,
    admin_with_group: HashMap<usize, Outcome>,
}

impl<'e> Walker<'e> {
    pub fn edges(&self, p: usize) -> Vec<Edge> {
        let node = &self.estate.nodes[p];
        let mut out = Vec::new();
        if node.error.is_some() {
            return out;
        }
        let mut memo = Memo {
            slim: HashMap::new(),
            decisions: HashMap::new(),
            admin_with_group: HashMap::new(),
        };
        for (mi, method) in self.catalogue.methods().iter().enumerate() {
            let calls = &self.specs.of_method[mi];
            // Every call the identity policies must allow is covered by some Allow
            // statement; calls through a trust policy may be allowed by it alone.
            let needed = calls
                .iter()
                .map(|&c| &self.specs.specs[c])
                .filter(|s| !s.trust)
                .all(|s| node.allow & (1 << s.bit) != 0);
            if !needed {
                continue;
            }
            let Some(self_ok) = self.self_prerequisites(node, method) else {
                continue;
            };
            for target in self.targets(p, method, calls) {
                if let Some(edge) = self.apply(p, mi, method, calls, target, &self_ok, &mut memo) {
                    out.push(edge);
                }
            }
        }
        out
    }

    fn self_prerequisites(&self, node: &Node, method: &MethodFile) -> Option<Outcome> {
        let mut out = Outcome::allowed();
        for pre in &method.prerequisites {
            let holds = match pre {
                Prerequisite::SelfIsUser => node.kind == PrincipalKind::User,
                Prerequisite::SelfIsRole => node.kind == PrincipalKind::Role,
                Prerequisite::SelfHasBoundary => node.boundary.is_some(),
                Prerequisite::Uncollected(what) => {
                    out = out.and(Outcome::conditional(format!(
                        "{what} (not collected by Vigil)"
                    )));
                    true
                }
                _ => true,
            };
            if !holds {
                return None;
            }
        }
        Some(out)
    }

    fn targets(&self, p: usize, method: &MethodFile, calls: &[usize]) -> Vec<Target<'e>> {
        let e = self.estate;
        let node = &e.nodes[p];
        let attached = method
            .prerequisites
            .contains(&Prerequisite::TargetAttachedToSelf);
        // The first call on the target, to narrow by the Allow statements' resources.
        let narrow_bit = method
            .actions
            .iter()
            .zip(calls)
            .find(|(a, _)| a.resource == ActionResource::Target && !a.trust_policy)
            .map(|(_, &c)| e.specs_bit(self.specs, c));
        let keep = |arn: &str| narrow_bit.is_none_or(|bit| may_cover(&node.identity, bit, arn));
        let of_principal = |i: usize| {
            let n = &e.nodes[i];
            Target {
                resource: n.resource,
                arn: &n.arn,
                account: &n.account,
                principal: Some(i),
                role: None,
                policy: None,
                group: None,
            }
        };
        let list = |map: Option<&'e Vec<usize>>| -> &'e [usize] { map.map_or(&[], Vec::as_slice) };
        match method.target {
            TargetKind::Itself => vec![of_principal(p)],
            TargetKind::User => list(e.users_in.get(&node.account))
                .iter()
                .copied()
                .filter(|&u| keep(&e.nodes[u].arn))
                .map(of_principal)
                .collect(),
            TargetKind::Role => {
                let trusts = method.actions.iter().any(|a| a.trust_policy)
                    || method
                        .prerequisites
                        .contains(&Prerequisite::SelfCanAssumeTarget);
                let service = method.prerequisites.iter().find_map(|pre| match pre {
                    Prerequisite::RoleTrustsService(s) => Some(s.to_ascii_lowercase()),
                    _ => None,
                });
                let assumed: Vec<usize>;
                let roles: &[usize] = if trusts {
                    assumed = self.assume[p].iter().map(|(r, _)| *r as usize).collect();
                    &assumed
                } else if let Some(s) = service {
                    list(e.roles_trusting_service.get(&(node.account.clone(), s)))
                } else {
                    list(e.roles_in.get(&node.account))
                };
                roles
                    .iter()
                    .copied()
                    .filter(|&r| keep(&e.nodes[r].arn))
                    .map(of_principal)
                    .collect()
            }
            TargetKind::Policy => {
                let ids = if attached {
                    node.policies.as_slice()
                } else {
                    list(e.policies_in.get(&node.account))
                };
                ids.iter()
                    .copied()
                    .filter(|&i| !e.policies[i].aws_managed && keep(&e.policies[i].arn))
                    .map(|i| {
                        let pol = &e.policies[i];
                        Target {
                            resource: pol.resource,
                            arn: &pol.arn,
                            account: &node.account,
                            principal: None,
                            role: None,
                            policy: Some(i),
                            group: None,
                        }
                    })
                    .collect()
            }
            TargetKind::Group => {
                let ids = if attached {
                    node.groups.as_slice()
                } else {
                    list(e.groups_in.get(&node.account))
                };
                ids.iter()
                    .copied()
                    .filter(|&g| keep(&e.groups[g].arn))
                    .map(|g| {
                        let group = &e.groups[g];
                        Target {
                            resource: group.resource,
                            arn: &group.arn,
                            account: &group.account,
                            principal: None,
                            role: None,
                            policy: None,
                            group: Some(g),
                        }
                    })
                    .collect()
            }
            kind => list(e.compute_in.get(&(node.account.clone(), kind)))
                .iter()
                .copied()
                .filter(|&c| e.compute[c].role.is_some() && keep(&e.compute[c].arn))
                .map(|c| {
                    let compute = &e.compute[c];
                    Target {
                        resource: compute.resource,
                        arn: &compute.arn,
                        account: &compute.account,
                        principal: None,
                        role: compute.role,
                        policy: None,
                        group: None,
                    }
                })
                .collect(),
        }
    }

    fn target_prerequisites(&self, p: usize, method: &MethodFile, t: &Target) -> Outcome {
        let e = self.estate;
        let mut out = Outcome::allowed();
        let principal = t.principal.map(|i| &e.nodes[i]);
        for pre in &method.prerequisites {
            let (holds, unknown) = match pre {
                Prerequisite::TargetIsOther => (t.principal != Some(p), None),
                Prerequisite::RoleTrustsService(s) => (
                    principal.is_some_and(|n| {
                        n.trust_names
                            .services
                            .iter()
                            .any(|x| x.eq_ignore_ascii_case(s))
                    }),
                    None,
                ),
                Prerequisite::RoleHasInstanceProfile => {
                    match principal.map(|n| &n.instance_profiles) {
                        Some(Some(list)) => (!list.is_empty(), None),
                        _ => (
                            true,
                            Some("the role's instance profiles were not collected".to_owned()),
                        ),
                    }
                }
                Prerequisite::UserAccessKeysBelow(n) => match principal.and_then(|u| u.access_keys)
                {
                    Some(k) => (k < *n as usize, None),
                    None => (
                        true,
                        Some("the user's access keys were not collected".to_owned()),
                    ),
                },
                Prerequisite::UserHasLoginProfile(want) => {
                    match principal.and_then(|u| u.login_profile) {
                        Some(has) => (has == *want, None),
                        None => (
                            true,
                            Some("whether the user has a password was not collected".to_owned()),
                        ),
                    }
                }
                Prerequisite::SelfCanAssumeTarget => {
                    match self.assume[p]
                        .iter()
                        .find(|(r, _)| Some(*r as usize) == t.principal)
                    {
                        Some((_, o)) if o.decision == Decision::Allowed => (true, None),
                        Some((_, o)) => (
                            true,
                            Some(format!("assuming the role depends on {}", o.why.join(", "))),
                        ),
                        None => (false, None),
                    }
                }
                Prerequisite::PolicyHasOtherVersions => {
                    match t.policy.and_then(|i| e.policies[i].versions.as_ref()) {
                        Some(v) => (v.len() > 1, None),
                        None => (
                            true,
                            Some("non-default policy versions are not collected".to_owned()),
                        ),
                    }
                }
                _ => (true, None),
            };
            if !holds {
                return Outcome::denied();
            }
            if let Some(why) = unknown {
                out = out.and(Outcome::conditional(why));
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        p: usize,
        mi: usize,
        method: &MethodFile,
        calls: &[usize],
        t: Target<'e>,
        self_ok: &Outcome,
        memo: &mut Memo<'e>,
    ) -> Option<Edge> {
        let e = self.estate;
        let node = &e.nodes[p];
        let mut out = self_ok
            .clone()
            .and(self.target_prerequisites(p, method, &t));
        if out.decision.is_denied() {
            return None;
        }
        for (a, &c) in method.actions.iter().zip(calls) {
            let spec = &self.specs.specs[c];
            let (resource, account, trust) = match a.resource {
                ActionResource::Target => (
                    t.arn,
                    t.account,
                    t.principal.and_then(|i| e.nodes[i].trust.as_ref()),
                ),
                ActionResource::Itself => (node.arn.as_str(), node.account.as_str(), None),
                ActionResource::TargetRole => {
                    let role = &e.nodes[t.role?];
                    (role.arn.as_str(), role.account.as_str(), None)
                }
                ActionResource::Any => ("*", node.account.as_str(), None),
            };
            let outcome = if spec.trust && c == self.specs.assume {
                // Decided once, when the roles it can assume were worked out.
                self.assume[p]
                    .iter()
                    .find(|(r, _)| Some(*r as usize) == t.principal)
                    .map(|(_, o)| o.clone())
                    .unwrap_or_else(Outcome::denied)
            } else {
                let (principal, insensitive) = memo.slim.entry(spec.bit).or_insert_with(|| {
                    let s = engine::slim(node, Policies::of(node), spec.bit);
                    let i = engine::resource_insensitive(&s);
                    (s, i)
                });
                let key = if *insensitive && !spec.trust {
                    (c, account)
                } else {
                    (c, resource)
                };
                memo.decisions
                    .entry(key)
                    .or_insert_with(|| engine::decide(principal, spec, resource, account, trust))
                    .clone()
            };
            out = out.and(outcome);
            if out.decision.is_denied() {
                return None;
            }
        }
        let to = match method.yields {
            Yield::Admin => {
                if !node.service_linked
                    && let Some(c) = self.ceiling.get(&node.account)
                {
                    out = out.and(c.clone());
                }
                Reach::Admin
            }
            Yield::Target => Reach::Principal(t.principal? as u32),
            Yield::TargetRole => Reach::Principal(t.role? as u32),
            Yield::GroupPermissions => {
                let g = t.group?;
                let admin = memo
                    .admin_with_group
                    .entry(g)
                    .or_insert_with(|| {
                        engine::admin(
                            e,
                            node,
                            Policies {
                                extra: &e.groups[g].policies,
                                ..Policies::of(node)
                            },
                        )
                    })
                    .clone();
                out = out.and(admin);
                Reach::Admin
            }
            Yield::NoBoundary => {
                out = out.and(engine::admin(
                    e,
                    node,
                    Policies {
                        boundary: None,
                        ..Policies::of(node)
                    },
                ));
                Reach::Admin
            }
        };
        if out.decision.is_denied() || to == Reach::Principal(p as u32) {
            return None;
        }
        Some(Edge {
            from: p as u32,
            to,
            method: mi as u16,
            target: t.resource,
            decision: out.decision,
            why: out.why.into_boxed_slice(),
        })
    }
}

impl Estate {
    fn specs_bit(&self, specs: &Specs, call: usize) -> usize {
        specs.specs[call].bit
    }
}
