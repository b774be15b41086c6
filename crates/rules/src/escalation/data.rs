//! What data each principal can read or write: S3 buckets (their objects), Secrets
//! Manager secrets and KMS keys, decided by the evaluation engine from the principal's
//! identity policies and boundary and the resource's own policy, same-account or
//! cross-account, over the estate the escalation analysis already parsed.
//!
//! Who is asked: the principals of the inventory whose Allow statements may cover the
//! action and the resource (a cheap, sound filter, as for escalation), those the
//! resource policy names, and — for access from outside the account — a stand-in for
//! each outside principal or account the resource policy names and for `"*"`: a
//! principal whose own policies allow everything, so that the resource policy alone
//! decides, as it does for a caller in an account Vigil does not see. Each principal is
//! cut down once per action (its statements about that action only), and every
//! resource is worked out once per scan.
//!
//! Not modelled: S3 ACLs and access points, KMS grants, a grant limited to an object
//! prefix (the question asked is about one object of the bucket, `<bucket>/*` grants
//! and broader ones count), the encryption key an object read also needs, SCPs and RCPs.
//! S3 Block Public Access is applied: with `RestrictPublicBuckets` on the bucket or the
//! account, a bucket whose policy is public admits no one from outside the account.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use vigil_inventory::{Inventory, ResourceIdx};

use super::Analysis;
use super::engine::{Policies, slim};
use super::estate::{Estate, may_cover, trust_names};
use crate::access::{
    Decision, NamedPolicy, Principal, PrincipalKind, Request, ResourceKind, evaluate,
};
use crate::helpers::iam::Policy;

/// The actions asked, one read and one write per kind of data store.
pub const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "kms:Decrypt",
    "kms:Encrypt",
];

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn parse(text: &str) -> Option<Access> {
        match text {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }
}

/// A kind of data store: its type, the actions that read and write it, how its
/// policy takes part.
struct Store {
    resource_type: &'static str,
    read: &'static str,
    write: &'static str,
    kind: ResourceKind,
}

const STORES: &[Store] = &[
    Store {
        resource_type: "aws.s3.bucket",
        read: "s3:GetObject",
        write: "s3:PutObject",
        kind: ResourceKind::Standard,
    },
    Store {
        resource_type: "aws.secretsmanager.secret",
        read: "secretsmanager:GetSecretValue",
        write: "secretsmanager:PutSecretValue",
        kind: ResourceKind::Standard,
    },
    Store {
        resource_type: "aws.kms.key",
        read: "kms:Decrypt",
        write: "kms:Encrypt",
        kind: ResourceKind::KmsKey,
    },
];

/// The data store types the analysis covers.
pub fn covers(resource_type: &str) -> bool {
    STORES.iter().any(|s| s.resource_type == resource_type)
}

/// One principal's access to one data store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The principal's ARN; for a stand-in, the outside principal or account the
    /// resource policy names (`arn:aws:iam::ACCOUNT:root`), or `*`.
    pub principal: String,
    pub resource: String,
    pub access: Access,
    pub action: String,
    /// `Allowed` or `Conditional`.
    pub decision: Decision,
    /// The principal is in another account than the data.
    pub external: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Who can read and write every data store of an inventory.
#[derive(Debug, Default)]
pub struct DataAccess {
    by_resource: HashMap<ResourceIdx, Result<Vec<Grant>, String>>,
    by_principal: HashMap<String, Vec<Grant>>,
}

impl DataAccess {
    pub fn new(inventory: &Inventory, analysis: &Analysis) -> DataAccess {
        let estate = analysis.estate();
        let stores: Vec<ResourceIdx> = STORES
            .iter()
            .flat_map(|s| inventory.of_type(s.resource_type).iter().copied())
            .collect();
        let by_resource: HashMap<ResourceIdx, Result<Vec<Grant>, String>> = stores
            .par_iter()
            .map(|&i| (i, grants(inventory, estate, i)))
            .collect();
        let mut by_principal: HashMap<String, Vec<Grant>> = HashMap::new();
        for g in by_resource.values().flatten().flatten() {
            by_principal
                .entry(g.principal.clone())
                .or_default()
                .push(g.clone());
        }
        DataAccess {
            by_resource,
            by_principal,
        }
    }

    /// Who can read or write the store; an error when its policy was not collected.
    pub fn of_resource(&self, idx: ResourceIdx) -> Option<&Result<Vec<Grant>, String>> {
        self.by_resource.get(&idx)
    }

    /// What the principal can read or write (stores whose policy was not collected
    /// are not listed).
    pub fn of_principal(&self, arn: &str) -> &[Grant] {
        self.by_principal.get(arn).map_or(&[], Vec::as_slice)
    }
}

/// A principal outside the data's account whose own policies allow everything.
fn stand_in(arn: &str) -> Principal {
    let all = Policy::from_value(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    }))
    .expect("a fixed policy parses");
    let p = if arn.contains(":user/") {
        Principal::user(arn)
    } else {
        Principal::role(arn)
    };
    p.with_tags(Default::default())
        .with_policy(NamedPolicy::inline(
            "its own policies allow everything",
            all,
        ))
}

fn grants(inv: &Inventory, estate: &Estate, idx: ResourceIdx) -> Result<Vec<Grant>, String> {
    let r = inv.resource(idx);
    let store = STORES
        .iter()
        .find(|s| s.resource_type == r.resource_type)
        .expect("only stores are asked");
    let arn = r.properties["arn"].as_str().unwrap_or(&r.id).to_owned();
    let bucket = r.resource_type == "aws.s3.bucket";
    let target = if bucket {
        format!("{arn}/any-object")
    } else {
        arn.clone()
    };
    let policy = match r.properties.get("policy") {
        None => {
            return Err(format!(
                "the resource policy of {} was not collected: it can grant or deny on its own",
                r.id
            ));
        }
        Some(Value::Null) => None,
        Some(doc) => Some(
            Policy::from_value(doc)
                .map(|p| NamedPolicy::inline(format!("policy of {}", r.id), p))
                .map_err(|e| format!("the policy of {} does not parse: {e}", r.id))?,
        ),
    };
    let names = policy.as_ref().map(|p| trust_names(&p.document));
    // S3 Block Public Access: RestrictPublicBuckets keeps everyone outside the account
    // out of a bucket whose policy is public.
    let restricted = bucket
        && r.properties["policy_is_public"] == Value::Bool(true)
        && (r.properties["public_access_block"]["restrict_public_buckets"] == Value::Bool(true)
            || inv
                .of_type_in_account(&r.account, "aws.account")
                .iter()
                .any(|&a| {
                    inv.resource(a).properties["s3_public_access_block"]["restrict_public_buckets"]
                        == Value::Bool(true)
                }));
    let mut out = Vec::new();
    for (access, action) in [(Access::Read, store.read), (Access::Write, store.write)] {
        let bit = estate.table.bit(action);
        let may = |i: usize| {
            let n = &estate.nodes[i];
            n.error.is_none() && n.allow & (1 << bit) != 0 && may_cover(&n.identity, bit, &target)
        };
        let mut candidates: Vec<usize> = estate
            .users_in
            .get(&r.account)
            .into_iter()
            .chain(estate.roles_in.get(&r.account))
            .flatten()
            .copied()
            .filter(|&i| may(i))
            .collect();
        let mut stand_ins: Vec<String> = Vec::new();
        if let Some(n) = &names {
            for a in &n.arns {
                match estate.by_arn.get(a) {
                    Some(&i) => candidates.push(i),
                    None if a.split(':').nth(4) != Some(r.account.as_str()) => {
                        stand_ins.push(a.clone())
                    }
                    None => {}
                }
            }
            for account in n.accounts.iter().filter(|a| **a != r.account) {
                candidates.extend(
                    estate
                        .users_in
                        .get(account)
                        .into_iter()
                        .chain(estate.roles_in.get(account))
                        .flatten()
                        .copied()
                        .filter(|&i| may(i)),
                );
                stand_ins.push(format!("arn:aws:iam::{account}:root"));
            }
            if n.everyone {
                stand_ins.push("*".to_owned());
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let ask = |principal: &Principal| {
            let mut request = Request::new(action, &target)
                .in_account(&r.account)
                .of_kind(store.kind);
            if let Some(p) = &policy {
                request = request.with_resource_policy(p);
            }
            evaluate(principal, &request)
        };
        let mut record = |who: String, account: &str, answer: crate::access::Answer| {
            let external = account != r.account;
            if answer.decision.is_denied() || (external && restricted) {
                return;
            }
            out.push(Grant {
                principal: who,
                resource: r.id.clone(),
                access,
                action: action.to_owned(),
                decision: answer.decision,
                external,
                depends_on: answer
                    .undecided_keys()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            });
        };
        for i in candidates {
            let node = &estate.nodes[i];
            if node.error.is_some() {
                continue;
            }
            let principal = slim(node, Policies::of(node), bit);
            record(node.arn.clone(), &node.account, ask(&principal));
        }
        for who in stand_ins {
            let principal = if who == "*" {
                crate::reach::anyone()
            } else {
                let arn = if who.ends_with(":root") {
                    who.replace(":root", ":role/any-principal-of-the-account")
                } else {
                    who.clone()
                };
                stand_in(&arn)
            };
            let account = principal.account.clone();
            if principal.kind == PrincipalKind::Root {
                continue;
            }
            record(who, &account, ask(&principal));
        }
    }
    Ok(out)
}
