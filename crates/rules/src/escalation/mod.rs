//! Privilege escalation over the inventory's IAM estate: who can assume which role,
//! who can become whom by which catalogue method, and every principal's shortest path
//! to administrator, decided call by call by the evaluation engine ([`crate::access`]).
//!
//! ```text
//! rules/escalation/*.yaml ─► Catalogue ─┐
//! Inventory ─► Estate (policies parsed once, ├─► assumable (trust × identity)
//!              action masks, indexes) ───────┤   edges (methods × targets)
//!                                            └─► routes (BFS to administrator) ─► EscalationPath
//! ```
//!
//! Conditional answers of the engine (a condition on a key Vigil does not know) and
//! prerequisites Vigil cannot see (a policy's non-default versions, a Glue endpoint)
//! make conditional edges; a path through one is reported as conditional, never as
//! definite.
//!
//! SCPs: every call is asked with the SCPs of every level of the acting principal's OU
//! chain ([`crate::access::inventory::scp_levels`], read once per account), so an SCP
//! Deny or a level without an Allow removes the edge, and an administrator is one
//! under its SCPs too. A method that yields arbitrary permissions ends at administrator
//! only as far as the SCPs of the principal's account let one be. SCPs Vigil could not
//! read (a member account's chain, a level's documents) leave the edge conditional and
//! say which and why; none apply outside an organisation, in its management account or
//! to service-linked roles, as AWS documents.
//!
//! What is not modelled: resource control policies, session policies, resource
//! policies of Lambda functions granting changes to a principal, and partial gains (a
//! method that yields some permissions that are not administrator's, except through the
//! target principal). An administrator's own outgoing edges are not worked out: it is
//! already at the end of every path.

mod catalogue;
pub mod data;
mod edges;
mod engine;
mod estate;
pub mod method;
mod paths;

#[cfg(test)]
mod data_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod scp_tests;
#[cfg(test)]
mod test_estate;
#[cfg(test)]
mod tests;

use rayon::prelude::*;
use serde::Serialize;
use vigil_inventory::Inventory;

pub use catalogue::{BUILTIN, Catalogue};
pub use estate::{PROBE_ANY_ACTION, PROBE_ANY_IAM_ACTION};
pub use method::{MethodError, MethodErrors, MethodFile, method_schema};
pub use paths::{EscalationPath, Hop};

use crate::access::Decision;
use edges::{Edge, Reach, Specs, Walker};
use engine::{Outcome, Policies};
use estate::Estate;
use method::ActionResource;
use paths::{Next, Routes};

/// A role a principal can assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumption {
    pub principal: String,
    pub role: String,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// One edge: a principal can become another, or administrator, by a method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub principal: String,
    pub method: String,
    pub resource: String,
    pub becomes: String,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Counts for the benchmark and the logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub principals: usize,
    pub administrators: usize,
    pub assumptions: usize,
    pub edges: usize,
    pub conditional_edges: usize,
    /// Non-administrators with a definite path to administrator.
    pub escalate: usize,
    /// Non-administrators with only a conditional path.
    pub escalate_conditionally: usize,
}

/// The analysis of one inventory.
#[derive(Debug)]
pub struct Analysis {
    catalogue: Catalogue,
    estate: std::sync::Arc<Estate>,
    admin: Vec<Outcome>,
    assume: Vec<Vec<(u32, Outcome)>>,
    edges: Vec<Edge>,
    /// Edge indexes by source principal, in edge order.
    out: Vec<(u32, u32)>,
    routes: Routes,
    stats: Stats,
    /// Edges by the compute they change (a function, a project, an instance).
    by_target: crate::hash::HashMap<vigil_inventory::ResourceIdx, Vec<u32>>,
}

impl Analysis {
    /// Runs the whole analysis with the built-in catalogue.
    pub fn new(inventory: &Inventory) -> Result<Analysis, String> {
        let catalogue = Catalogue::builtin().map_err(|e| e.to_string())?;
        Analysis::with_catalogue(inventory, catalogue.clone())
    }

    pub fn with_catalogue(inventory: &Inventory, catalogue: Catalogue) -> Result<Analysis, String> {
        let estate = Estate::build(inventory, &catalogue)?;
        let specs = Specs::new(&estate, &catalogue);
        let n = estate.nodes.len();
        let admin: Vec<Outcome> = (0..n)
            .into_par_iter()
            .map(|i| {
                let node = &estate.nodes[i];
                if node.error.is_some() {
                    Outcome::denied()
                } else {
                    engine::admin(&estate, node, Policies::of(node))
                }
            })
            .collect();
        let assume: Vec<Vec<(u32, Outcome)>> = (0..n)
            .into_par_iter()
            .map(|i| edges::assumable(&estate, &specs, i))
            .collect();
        let ceiling: crate::hash::HashMap<String, Outcome> = estate
            .scps
            .iter()
            .map(|(account, scps)| {
                (
                    account.clone(),
                    engine::scp_admits_admin(&estate, account, scps),
                )
            })
            .collect();
        let walker = Walker {
            estate: &estate,
            catalogue: &catalogue,
            specs: &specs,
            assume: &assume,
            ceiling: &ceiling,
        };
        let edges: Vec<Edge> = (0..n)
            .into_par_iter()
            .filter(|&i| admin[i].decision != Decision::Allowed)
            .flat_map_iter(|i| walker.edges(i))
            .collect();
        let mut out = vec![(0u32, 0u32); n];
        for (i, e) in edges.iter().enumerate() {
            let slot = &mut out[e.from as usize];
            if slot.1 == 0 {
                slot.0 = i as u32;
            }
            slot.1 += 1;
        }
        let decisions: Vec<Decision> = admin.iter().map(|o| o.decision).collect();
        let routes = paths::routes(n, &decisions, &edges);
        let is_admin = |i: usize| decisions[i] == Decision::Allowed;
        let stats = Stats {
            principals: n,
            administrators: (0..n).filter(|&i| is_admin(i)).count(),
            assumptions: assume.iter().map(Vec::len).sum(),
            edges: edges.len(),
            conditional_edges: edges
                .iter()
                .filter(|e| e.decision == Decision::Conditional)
                .count(),
            escalate: (0..n)
                .filter(|&i| !is_admin(i) && matches!(routes.definite[i], Next::Edge(_)))
                .count(),
            escalate_conditionally: (0..n)
                .filter(|&i| {
                    !is_admin(i)
                        && routes.definite[i] == Next::None
                        && routes.conditional[i] != Next::None
                })
                .count(),
        };
        tracing::debug!(
            principals = stats.principals,
            administrators = stats.administrators,
            edges = stats.edges,
            escalate = stats.escalate,
            "escalation analysis done"
        );
        let mut by_target: crate::hash::HashMap<vigil_inventory::ResourceIdx, Vec<u32>> =
            crate::hash::New::new();
        for (i, e) in edges.iter().enumerate() {
            if estate.compute_at.contains_key(&e.target) {
                by_target.entry(e.target).or_default().push(i as u32);
            }
        }
        Ok(Analysis {
            by_target,
            catalogue,
            estate: std::sync::Arc::new(estate),
            admin,
            assume,
            edges,
            out,
            routes,
            stats,
        })
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub(crate) fn shared_estate(&self) -> std::sync::Arc<Estate> {
        std::sync::Arc::clone(&self.estate)
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    fn index(&self, arn: &str) -> Option<usize> {
        self.estate.by_arn.get(arn).copied()
    }

    /// Why a principal could not be analysed, when it could not.
    pub fn error(&self, arn: &str) -> Option<&str> {
        self.index(arn)
            .and_then(|i| self.estate.nodes[i].error.as_deref())
    }

    /// Is the principal an administrator (`Allowed`), perhaps (`Conditional`), or
    /// not (`ImplicitlyDenied`)? `None` for an ARN that is not a user or role.
    pub fn admin(&self, arn: &str) -> Option<Decision> {
        self.index(arn).map(|i| self.admin[i].decision)
    }

    /// Users with an active access key can be used from anywhere with a leaked key.
    pub fn has_active_access_key(&self, arn: &str) -> bool {
        self.index(arn)
            .is_some_and(|i| self.estate.nodes[i].active_access_key)
    }

    /// Can someone outside the role's account assume it (another account, everyone,
    /// a federated identity provider)?
    pub fn assumable_from_outside(&self, arn: &str) -> bool {
        self.index(arn)
            .is_some_and(|i| self.estate.nodes[i].assumable_from_outside())
    }

    /// The roles the principal can assume.
    pub fn assumes(&self, arn: &str) -> Vec<Assumption> {
        let Some(i) = self.index(arn) else {
            return Vec::new();
        };
        self.assume[i]
            .iter()
            .map(|(r, o)| Assumption {
                principal: arn.to_owned(),
                role: self.estate.nodes[*r as usize].arn.clone(),
                decision: o.decision,
                depends_on: o.why.clone(),
            })
            .collect()
    }

    /// The principals of the inventory that can assume the role.
    pub fn assumable_by(&self, role: &str) -> Vec<Assumption> {
        let Some(r) = self.index(role) else {
            return Vec::new();
        };
        self.assume
            .iter()
            .enumerate()
            .flat_map(|(i, list)| {
                list.iter()
                    .filter(move |(x, _)| *x as usize == r)
                    .map(move |(_, o)| Assumption {
                        principal: self.estate.nodes[i].arn.clone(),
                        role: role.to_owned(),
                        decision: o.decision,
                        depends_on: o.why.clone(),
                    })
            })
            .collect()
    }

    /// The principal's direct escalations: whom it can become, by which method.
    pub fn escalations(&self, arn: &str) -> Vec<Escalation> {
        let Some(i) = self.index(arn) else {
            return Vec::new();
        };
        let (start, len) = self.out[i];
        self.edges[start as usize..(start + len) as usize]
            .iter()
            .map(|e| Escalation {
                principal: arn.to_owned(),
                method: self.catalogue.methods()[e.method as usize].id.clone(),
                resource: self.resource_arn(e.target),
                becomes: self.becomes(e.to),
                decision: e.decision,
                depends_on: e.why.to_vec(),
            })
            .collect()
    }

    /// The direct escalations that end at this principal: who can become it, by which
    /// method (role assumption is in [`Analysis::assumable_by`]).
    pub fn escalations_to(&self, arn: &str) -> Vec<Escalation> {
        let Some(t) = self.index(arn) else {
            return Vec::new();
        };
        self.edges
            .iter()
            .filter(|e| matches!(e.to, Reach::Principal(j) if j as usize == t))
            .map(|e| Escalation {
                principal: self.estate.nodes[e.from as usize].arn.clone(),
                method: self.catalogue.methods()[e.method as usize].id.clone(),
                resource: self.resource_arn(e.target),
                becomes: arn.to_owned(),
                decision: e.decision,
                depends_on: e.why.to_vec(),
            })
            .collect()
    }

    /// The principal's shortest path to administrator: a definite one when there is
    /// one, else a conditional one. `None` for administrators (nothing to escalate)
    /// and for principals with no path.
    pub fn path_to_admin(&self, arn: &str) -> Option<EscalationPath> {
        let i = self.index(arn)?;
        let next = match (self.routes.definite[i], self.routes.conditional[i]) {
            (Next::Admin, _) => return None,
            (Next::Edge(_), _) => &self.routes.definite,
            (Next::None, Next::Edge(_)) => &self.routes.conditional,
            _ => return None,
        };
        let mut hops = Vec::new();
        let mut conditional = false;
        let mut at = i;
        let administrator = loop {
            match next[at] {
                Next::Edge(ei) => {
                    let e = &self.edges[ei as usize];
                    conditional |= e.decision != Decision::Allowed;
                    hops.push(self.hop(e));
                    match e.to {
                        Reach::Admin => break "administrator".to_owned(),
                        Reach::Principal(j) => at = j as usize,
                    }
                }
                Next::Admin => {
                    conditional |= self.admin[at].decision != Decision::Allowed;
                    break self.estate.nodes[at].arn.clone();
                }
                Next::None => return None,
            }
            if hops.len() > self.estate.nodes.len() {
                return None;
            }
        };
        Some(EscalationPath {
            principal: arn.to_owned(),
            administrator,
            conditional,
            hops,
        })
    }

    fn resource_arn(&self, idx: vigil_inventory::ResourceIdx) -> String {
        self.estate.arns.get(&idx).cloned().unwrap_or_default()
    }

    fn becomes(&self, to: Reach) -> String {
        match to {
            Reach::Admin => "administrator".to_owned(),
            Reach::Principal(j) => self.estate.nodes[j as usize].arn.clone(),
        }
    }

    fn hop(&self, e: &Edge) -> Hop {
        let method = &self.catalogue.methods()[e.method as usize];
        let principal = &self.estate.nodes[e.from as usize];
        let resource = self.resource_arn(e.target);
        let role_of = || {
            self.estate
                .compute_at
                .get(&e.target)
                .and_then(|&c| self.estate.compute[c].role)
                .map(|r| self.estate.nodes[r].arn.clone())
                .unwrap_or_default()
        };
        let actions = method
            .actions
            .iter()
            .map(|a| {
                let on = match a.resource {
                    ActionResource::Target => resource.clone(),
                    ActionResource::Itself => principal.arn.clone(),
                    ActionResource::TargetRole => role_of(),
                    ActionResource::Any => "*".to_owned(),
                };
                format!("{} on {on}", a.action)
            })
            .collect();
        Hop {
            principal: principal.arn.clone(),
            method: method.id.clone(),
            category: method.category.as_str().to_owned(),
            actions,
            resource,
            decision: e.decision,
            depends_on: e.why.to_vec(),
            becomes: self.becomes(e.to),
        }
    }

    /// The role compute runs as, as a principal ARN: `None` when the inventory does not
    /// hold the compute, `Some(None)` when it runs as no role the inventory holds.
    pub fn compute_role(&self, compute: vigil_inventory::ResourceIdx) -> Option<Option<&str>> {
        let c = self.estate.compute_at.get(&compute)?;
        Some(
            self.estate.compute[*c]
                .role
                .map(|r| self.estate.nodes[r].arn.as_str()),
        )
    }

    /// The compute (instances, functions, projects) that runs as the role.
    pub fn compute_of(&self, role: &str) -> Vec<vigil_inventory::ResourceIdx> {
        let Some(r) = self.index(role) else {
            return Vec::new();
        };
        self.estate
            .compute
            .iter()
            .filter(|c| c.role == Some(r))
            .map(|c| c.resource)
            .collect()
    }

    /// The non-administrators that can change this compute by a catalogue method
    /// (code, configuration, buildspec, user data) and so act as its role.
    pub fn modifiers(&self, compute: vigil_inventory::ResourceIdx) -> Vec<Escalation> {
        self.by_target
            .get(&compute)
            .into_iter()
            .flatten()
            .map(|&ei| {
                let e = &self.edges[ei as usize];
                let from = &self.estate.nodes[e.from as usize].arn;
                Escalation {
                    principal: from.clone(),
                    method: self.catalogue.methods()[e.method as usize].id.clone(),
                    resource: self.resource_arn(e.target),
                    becomes: self.becomes(e.to),
                    decision: e.decision,
                    depends_on: e.why.to_vec(),
                }
            })
            .collect()
    }

    /// The hop of a direct escalation, as a path shows it.
    pub fn hop_of(&self, principal: &str, compute: vigil_inventory::ResourceIdx) -> Option<Hop> {
        let p = self.index(principal)? as u32;
        self.by_target
            .get(&compute)?
            .iter()
            .map(|&ei| &self.edges[ei as usize])
            .find(|e| e.from == p)
            .map(|e| self.hop(e))
    }

    /// Every non-administrator's path, for reports and the benchmark.
    pub fn all_paths(&self) -> Vec<EscalationPath> {
        self.estate
            .nodes
            .par_iter()
            .filter_map(|n| self.path_to_admin(&n.arn))
            .collect()
    }
}
