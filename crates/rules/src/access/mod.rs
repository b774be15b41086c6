//! The IAM evaluation engine: a principal's effective permission for one (action,
//! resource), from its identity-based policies, permissions boundary, the SCPs on its
//! account's organisation path and the resource's policy, as AWS documents the policy
//! evaluation logic. No AWS SDK, no I/O: policies come in parsed
//! ([`crate::helpers::iam::Policy`]) and the answer goes out as data.
//!
//! ```text
//! Principal (policies, boundary, SCP levels, tags) ─┐
//! Request (action, resource, resource policy,       ├─► evaluate ─► Answer (Decision,
//!          resource account, RequestContext) ───────┘               reasons, undecided,
//!                                                                   statement traces)
//! ```
//!
//! What is modelled: explicit `Deny` anywhere wins; SCPs (every level must allow) and
//! the permissions boundary only limit; same-account requests are allowed by the
//! identity policies or the resource policy, with AWS's distinctions between grants to
//! the user or session (not limited by boundary or identity policies), to the role's
//! ARN (limited by the boundary) and to the account (delegated to identity policies);
//! role trust and KMS key policies must allow even within the account; cross-account
//! requests need both sides. `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` (with AWS's account-then-principal reading for `Deny`
//! and the boundary quirk), `*` and `?`, policy variables with defaults, and every
//! condition operator with `IfExists` and set qualifiers.
//!
//! Undecidable is a first-class answer: a condition on a key whose value is not known
//! is `Unknown`, statements combine in three-valued logic, and the decision is
//! [`Decision::Conditional`] exactly when it depends on such a statement, which
//! [`Answer::undecided`] names with its keys. It is never silently allowed or denied.
//! (Conditions are treated as independent: two statements whose conditions together
//! cover every case still give `Conditional`.)
//!
//! Documented behaviour not modelled, for callers to keep in mind:
//! - session policies (`AssumeRole` `Policy`/`PolicyArns`), resource control policies
//!   (RCPs), VPC endpoint policies, ACLs (S3, …) and KMS grants;
//! - AWS STS federated-user sessions, web-identity and SAML sessions, anonymous callers
//!   and service principals as the requester;
//! - services other than IAM and KMS whose resource policies "may also require an
//!   explicit Allow statement within the same account"
//!   (callers may pass [`ResourceKind::RoleTrust`]-like kinds for them);
//! - that the root user cannot assume roles, and that SCPs never apply in the
//!   management account (the caller passes no SCP levels there);
//! - wildcard matching of `Resource` spans colons (`arn:aws:s3:::*` covers every
//!   object), as the existing helpers do; ARN condition operators match component by
//!   component, as documented.

mod answer;
mod condition;
mod context;
mod evaluate;
pub mod inventory;
mod principal;
mod statement;
mod tri;
mod variables;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

pub use answer::{
    Answer, Check, Decision, Element, Layer, LayerKind, LayerOutcome, PolicyRef, PolicyTrace,
    StatementTrace, Undecided,
};
pub use condition::{Operator, SetQualifier, Test};
pub use context::{ContextValue, RequestContext};
pub use evaluate::{Request, ResourceKind, evaluate};
pub use principal::{Grants, NamedPolicy, Principal, PrincipalKind, ScpLevel};
pub use tri::Tri;
