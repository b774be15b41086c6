//! Shortest paths to administrator over the escalation edges, and the path as evidence,
//! hop by hop.
//!
//! One breadth-first search backwards from administrator (the principals that are one,
//! and a virtual node that every "yields admin" edge points to) gives every principal's
//! distance and next hop at once, in time linear in the edges. It runs twice: first
//! over definite edges only, then over conditional ones too for the principals the
//! first pass did not reach, so a conditional path is offered only where no definite
//! one exists, and is always marked as such.

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use crate::access::Decision;

use super::edges::{Edge, Reach};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The principal that acts.
    pub principal: String,
    /// The catalogue method (`iam_create_access_key`).
    pub method: String,
    pub category: String,
    /// The calls it makes, each `action on resource`.
    pub actions: Vec<String>,
    /// What it acts on.
    pub resource: String,
    /// `Allowed`, or `Conditional` when the engine or a prerequisite could not decide.
    pub decision: Decision,
    /// What a conditional hop depends on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Who the principal is afterwards: another principal's ARN, or `administrator`.
    pub becomes: String,
}

/// A principal's shortest way to administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationPath {
    pub principal: String,
    /// The administrator reached: a principal's ARN, or `administrator` for arbitrary
    /// permissions written by the last hop.
    pub administrator: String,
    /// Some hop, or the administrator reached, is conditional.
    pub conditional: bool,
    pub hops: Vec<Hop>,
}

impl fmt::Display for EscalationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} can become administrator in {} step(s){}:",
            self.principal,
            self.hops.len(),
            if self.conditional {
                " (conditional)"
            } else {
                ""
            }
        )?;
        for (i, h) in self.hops.iter().enumerate() {
            write!(
                f,
                "  {}. {} --[{}: {}]--> {}",
                i + 1,
                h.principal,
                h.method,
                h.actions.join(", "),
                h.becomes
            )?;
            if h.decision != Decision::Allowed {
                write!(f, " ({}: {})", h.decision, h.depends_on.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Each principal's next edge towards administrator, in each pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Not reached.
    None,
    /// Is an administrator itself.
    Admin,
    /// Follow this edge.
    Edge(u32),
}

#[derive(Debug)]
pub(crate) struct Routes {
    /// Over definite edges to definite administrators.
    pub definite: Vec<Next>,
    /// Over every edge: used where the definite pass reached nothing.
    pub conditional: Vec<Next>,
}

/// `admin[i]`: is principal `i` an administrator (`Allowed`), perhaps (`Conditional`),
/// or not.
pub(crate) fn routes(n: usize, admin: &[Decision], edges: &[Edge]) -> Routes {
    // Reverse adjacency in compressed form: node n is "administrator".
    let mut counts = vec![0u32; n + 2];
    let slot = |e: &Edge| match e.to {
        Reach::Admin => n,
        Reach::Principal(j) => j as usize,
    };
    for e in edges {
        counts[slot(e) + 1] += 1;
    }
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
    let mut fill = counts.clone();
    let mut reverse = vec![0u32; edges.len()];
    for (i, e) in edges.iter().enumerate() {
        let s = slot(e);
        reverse[fill[s] as usize] = i as u32;
        fill[s] += 1;
    }
    let pass = |with_conditional: bool| -> Vec<Next> {
        let mut next = vec![Next::None; n];
        let mut queue = VecDeque::new();
        queue.push_back(n);
        for (i, d) in admin.iter().enumerate() {
            if *d == Decision::Allowed || (with_conditional && *d == Decision::Conditional) {
                next[i] = Next::Admin;
                queue.push_back(i);
            }
        }
        while let Some(v) = queue.pop_front() {
            for &ei in &reverse[counts[v] as usize..counts[v + 1] as usize] {
                let e = &edges[ei as usize];
                if !with_conditional && e.decision != Decision::Allowed {
                    continue;
                }
                let u = e.from as usize;
                if next[u] == Next::None {
                    next[u] = Next::Edge(ei);
                    queue.push_back(u);
                }
            }
        }
        next
    };
    Routes {
        definite: pass(false),
        conditional: pass(true),
    }
}
