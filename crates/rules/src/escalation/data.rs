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
//! A secret's value is encrypted under a KMS key, and Secrets Manager uses it on the
//! caller's behalf: reading needs `kms:Decrypt` on it, writing `kms:GenerateDataKey`
//! (AWS, "Secret encryption and decryption in AWS Secrets Manager", Permissions for the
//! KMS key). The analysis asks the engine for that call too — key policy and the
//! caller's identity policies, with `kms:ViaService`, `kms:CallerAccount` and the
//! secret's ARN as encryption context — and a grant holds only when both calls are
//! allowed; the grant names the key. A secret under the AWS managed key
//! `aws/secretsmanager` is readable within its account only: "you can't use the AWS
//! managed key (aws/secretsmanager) for cross-account access" (AWS, "Access AWS
//! Secrets Manager secrets from a different account"). A key Vigil does not hold (in an
//! account it did not scan, its policy not collected) makes the grant conditional.
//!
//! A KMS key's policy is required even within its account: "Unless the key policy
//! explicitly allows it, you cannot use IAM policies to allow access to a KMS key" (AWS
//! KMS, Key policies), which the engine applies ([`ResourceKind::KmsKey`]).
//!
//! The principals of the inventory are asked under their accounts' SCPs, as in the
//! escalation analysis (SCPs not read make a grant conditional); stand-ins for outside
//! principals are not, since Vigil does not see their organisation: their grants are
//! what the resource policy alone admits.
//!
//! Not modelled: S3 ACLs and access points, KMS grants, a grant limited to an object
//! prefix (the question asked is about one object of the bucket, `<bucket>/*` grants
//! and broader ones count), the encryption key an object read also needs, RCPs. S3
//! Block Public Access is applied: with `RestrictPublicBuckets` on the bucket or the
//! account, a bucket whose policy is public admits no one from outside the account.

use crate::hash::{HashMap, New};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use vigil_inventory::Value;
use vigil_inventory::{Inventory, ResourceIdx};

use super::Analysis;
use super::engine::{Outcome, Policies, resource_insensitive, slim};
use super::estate::{Estate, TrustNames, may_cover, trust_names};
use crate::access::{
    Decision, NamedPolicy, Principal, PrincipalKind, Request, RequestContext, ResourceKind,
    evaluate,
};
use crate::helpers::iam::{Patterns, Policy};

/// The actions asked, one read and one write per kind of data store.
pub const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
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
#[derive(Debug)]
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
    /// The KMS key the access also needs (a secret's key), when it is not the AWS
    /// managed one; the decision covers both calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Who can read and write every data store of an inventory. Each store's inputs (its
/// policy, who it names, its key) are read when the analysis is made; the grants of a
/// store are worked out the first time they are asked for and kept, so a scan pays
/// for the stores its rules ask about (those classified as sensitive), not for every
/// bucket of the organisation.
#[derive(Debug)]
pub struct DataAccess {
    estate: Arc<Estate>,
    stores: HashMap<ResourceIdx, Result<Prepared, String>>,
    by_resource: HashMap<ResourceIdx, OnceLock<Result<Vec<Grant>, String>>>,
    by_principal: OnceLock<HashMap<String, Vec<Grant>>>,
    /// Engine answers shared by stores that cannot tell them apart (see [`Class`]).
    memo: Memo,
}

/// Every data store's policies and settings, read and parsed: what [`DataAccess`] needs
/// of the inventory besides the escalation analysis, so it can be prepared while that
/// analysis is worked out.
#[derive(Debug)]
pub struct Stores(HashMap<ResourceIdx, Result<Prepared, String>>);

impl Stores {
    pub fn prepare(inventory: &Inventory) -> Stores {
        let stores: Vec<ResourceIdx> = STORES
            .iter()
            .flat_map(|s| inventory.of_type(s.resource_type).iter().copied())
            .collect();
        Stores(
            stores
                .par_iter()
                .map(|&i| (i, prepare(inventory, i)))
                .collect(),
        )
    }
}

impl DataAccess {
    pub fn new(inventory: &Inventory, analysis: &Analysis) -> DataAccess {
        DataAccess::with_stores(Stores::prepare(inventory), analysis)
    }

    /// [`DataAccess::new`] from stores prepared beforehand.
    pub fn with_stores(stores: Stores, analysis: &Analysis) -> DataAccess {
        let stores = stores.0;
        let by_resource = stores.keys().map(|&i| (i, OnceLock::new())).collect();
        DataAccess {
            estate: analysis.shared_estate(),
            stores,
            by_resource,
            by_principal: OnceLock::new(),
            memo: Memo::default(),
        }
    }

    /// Who can read or write the store; an error when its policy was not collected.
    pub fn of_resource(&self, idx: ResourceIdx) -> Option<&Result<Vec<Grant>, String>> {
        let cell = self.by_resource.get(&idx)?;
        Some(cell.get_or_init(|| self.work_out(idx)))
    }

    /// The store's grants, worked out now and not kept (for a caller that walks every
    /// store once, such as the benchmark).
    pub fn grants_now(&self, idx: ResourceIdx) -> Option<Result<Vec<Grant>, String>> {
        match self.by_resource.get(&idx)?.get() {
            Some(done) => Some(done.clone()),
            None => Some(self.work_out(idx)),
        }
    }

    fn work_out(&self, idx: ResourceIdx) -> Result<Vec<Grant>, String> {
        match self.stores.get(&idx) {
            Some(Ok(prepared)) => Ok(grants(&self.estate, prepared, &self.memo)),
            Some(Err(e)) => Err(e.clone()),
            None => Err("not a data store".to_owned()),
        }
    }

    /// What the principal can read or write (stores whose policy was not collected
    /// are not listed). The first call works out every store.
    pub fn of_principal(&self, arn: &str) -> &[Grant] {
        let all = self.by_principal.get_or_init(|| {
            let idxs: Vec<ResourceIdx> = self.by_resource.keys().copied().collect();
            idxs.par_iter().for_each(|&i| {
                self.of_resource(i);
            });
            let mut by_principal: HashMap<String, Vec<Grant>> = HashMap::new();
            for g in self
                .by_resource
                .values()
                .filter_map(OnceLock::get)
                .flatten()
                .flatten()
            {
                by_principal
                    .entry(g.principal.clone())
                    .or_default()
                    .push(g.clone());
            }
            by_principal
        });
        all.get(arn).map_or(&[], Vec::as_slice)
    }
}

/// A principal outside the data's account whose own policies allow everything.
fn stand_in(arn: &str) -> Principal {
    let all = Policy::from_json(&serde_json::json!({
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

/// A store's inputs, read from the inventory once.
#[derive(Debug)]
struct Prepared {
    id: String,
    /// What a read or write is asked on (an object of a bucket, the secret, the key).
    target: String,
    account: String,
    store: &'static Store,
    policy: Option<NamedPolicy>,
    names: Option<TrustNames>,
    /// S3 Block Public Access keeps everyone outside the account out.
    restricted: bool,
    /// A secret's key.
    key: Option<SecretKey>,
    secret_arn: String,
    region: String,
    /// Stores of the same class get the same answer for a principal whose statements
    /// about the action are resource-insensitive; `None` when the store's own policy
    /// names resources or conditions on them.
    class: Option<u64>,
}

/// A hash of what decides a request apart from the principal and the target: store
/// type, account, region, and the policy's text. Only for policies whose statements
/// all say `Resource: "*"` (or none) and whose conditions read no resource or
/// encryption-context key.
fn class_of(store: &Store, account: &str, region: &str, doc: Option<&Value>) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    if let Some(doc) = doc {
        let policy = Policy::from_value(doc).ok()?;
        if !policy_insensitive(&policy) {
            return None;
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    store.resource_type.hash(&mut h);
    account.hash(&mut h);
    region.hash(&mut h);
    doc.map(Value::to_string).hash(&mut h);
    Some(h.finish())
}

fn policy_insensitive(policy: &Policy) -> bool {
    policy.statements.iter().all(|s| {
        matches!(&s.resources, Patterns::Absent)
            || matches!(&s.resources, Patterns::Only(list) if list.iter().all(|r| r == "*"))
    }) && policy.statements.iter().all(|s| {
        s.conditions.iter().all(|c| {
            let key = c.key.to_ascii_lowercase();
            !key.contains("resource") && !key.contains("arn") && !key.contains("encryptioncontext")
        })
    })
}

fn prepare(inv: &Inventory, idx: ResourceIdx) -> Result<Prepared, String> {
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
    let (policy, doc) = match r.properties.get("policy") {
        None => {
            return Err(format!(
                "the resource policy of {} was not collected: it can grant or deny on its own",
                r.id
            ));
        }
        Some(Value::Null) => (None, None),
        Some(doc) => (
            Some(
                Policy::from_value(doc)
                    .map(|p| NamedPolicy::inline(format!("policy of {}", r.id), p))
                    .map_err(|e| format!("the policy of {} does not parse: {e}", r.id))?,
            ),
            Some(doc),
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
    let key = (r.resource_type == "aws.secretsmanager.secret").then(|| secret_key(inv, idx));
    Ok(Prepared {
        id: r.id.clone(),
        target,
        account: r.account.clone(),
        store,
        class: class_of(store, &r.account, &r.region, doc),
        policy,
        names,
        restricted,
        key,
        secret_arn: arn,
        region: r.region.clone(),
    })
}

/// Engine answers shared between stores of a class ([`Prepared::class`]), for the
/// principals whose statements about the action are resource-insensitive (known once
/// per principal and action, so a hit costs no engine call and no cut-down principal).
#[derive(Debug, Default)]
struct Memo {
    answers: Mutex<HashMap<(u32, u8, u64), Outcome>>,
    insensitive: Mutex<HashMap<(u32, u8), bool>>,
}

impl Memo {
    /// The answer for principal `i` on the action with `bit`, from `work` over its
    /// cut-down principal or from an earlier store of the same class.
    fn answer(
        &self,
        estate: &Estate,
        i: usize,
        bit: usize,
        class: Option<u64>,
        work: impl FnOnce(&Principal) -> Outcome,
    ) -> Outcome {
        let node = &estate.nodes[i];
        let Some(class) = class else {
            return work(&slim(node, Policies::of(node), bit));
        };
        let key = (i as u32, bit as u8);
        let known = self
            .insensitive
            .lock()
            .expect("memo lock")
            .get(&key)
            .copied();
        match known {
            Some(true) => {
                if let Some(hit) = self
                    .answers
                    .lock()
                    .expect("memo lock")
                    .get(&(key.0, key.1, class))
                {
                    return hit.clone();
                }
            }
            Some(false) => return work(&slim(node, Policies::of(node), bit)),
            None => {}
        }
        let principal = slim(node, Policies::of(node), bit);
        let insensitive = resource_insensitive(&principal);
        self.insensitive
            .lock()
            .expect("memo lock")
            .insert(key, insensitive);
        let out = work(&principal);
        if insensitive {
            self.answers
                .lock()
                .expect("memo lock")
                .insert((key.0, key.1, class), out.clone());
        }
        out
    }
}

fn grants(estate: &Estate, p: &Prepared, memo: &Memo) -> Vec<Grant> {
    let r_account = p.account.as_str();
    let mut out = Vec::new();
    for (access, action) in [(Access::Read, p.store.read), (Access::Write, p.store.write)] {
        let bit = estate.table.bit(action);
        let key_action = match access {
            Access::Read => "kms:Decrypt",
            Access::Write => "kms:GenerateDataKey",
        };
        let key_bit = estate.table.bit(key_action);
        let may = |i: usize| {
            let n = &estate.nodes[i];
            n.error.is_none() && n.allow & (1 << bit) != 0 && may_cover(&n.identity, bit, &p.target)
        };
        let mut candidates: Vec<usize> = estate
            .users_in
            .get(r_account)
            .into_iter()
            .chain(estate.roles_in.get(r_account))
            .flatten()
            .copied()
            .filter(|&i| may(i))
            .collect();
        let mut stand_ins: Vec<String> = Vec::new();
        if let Some(n) = &p.names {
            for a in &n.arns {
                match estate.by_arn.get(a) {
                    Some(&i) => candidates.push(i),
                    None if a.split(':').nth(4) != Some(r_account) => stand_ins.push(a.clone()),
                    None => {}
                }
            }
            for account in n.accounts.iter().filter(|a| **a != r_account) {
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
            // Who calls KMS is the caller's account: key policies (the AWS managed
            // keys' among them) test it.
            let context =
                RequestContext::new().with("kms:CallerAccount", principal.account.clone());
            let mut request = Request::new(action, &p.target)
                .in_account(r_account)
                .of_kind(p.store.kind)
                .with_context(&context);
            if let Some(policy) = &p.policy {
                request = request.with_resource_policy(policy);
            }
            Outcome::of(&evaluate(principal, &request))
        };
        let mut record = |who: String, account: &str, outcome: Outcome| {
            let external = account != r_account;
            if outcome.decision.is_denied() || (external && p.restricted) {
                return;
            }
            out.push(Grant {
                principal: who,
                resource: p.id.clone(),
                access,
                action: action.to_owned(),
                decision: outcome.decision,
                external,
                key: p.key.as_ref().and_then(SecretKey::arn),
                depends_on: outcome.why,
            });
        };
        for i in candidates {
            let node = &estate.nodes[i];
            if node.error.is_some() {
                continue;
            }
            let mut outcome = memo.answer(estate, i, bit, p.class, |principal| ask(principal));
            if let Some(k) = &p.key
                && !outcome.decision.is_denied()
            {
                outcome =
                    outcome.and(
                        memo.answer(estate, i, key_bit, k.class(&p.region), |principal| {
                            k.decide(principal, key_action, p)
                        }),
                    );
            }
            record(node.arn.clone(), &node.account, outcome);
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
            let mut outcome = ask(&principal);
            if let Some(k) = &p.key
                && !outcome.decision.is_denied()
            {
                outcome = outcome.and(k.decide(&principal, key_action, p));
            }
            record(who, &account, outcome);
        }
    }
    out
}

/// The KMS key a secret's value is encrypted under.
#[derive(Debug)]
enum SecretKey {
    /// `aws/secretsmanager`: AWS writes its key policy (no one can change it), which
    /// lets the principals of the account use it through Secrets Manager, and no one
    /// from another account.
    AwsManaged,
    /// A key the inventory holds, with its key policy.
    Key {
        arn: String,
        account: String,
        policy: NamedPolicy,
        /// See [`Prepared::class`]: keys whose policies cannot tell them apart.
        class: Option<u64>,
    },
    /// A key whose policy Vigil does not have, and why.
    Unknown { arn: Option<String>, why: String },
}

impl SecretKey {
    /// The class of the key's decisions (the secret's region enters through
    /// `kms:ViaService`).
    fn class(&self, region: &str) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        match self {
            SecretKey::Key { class: Some(c), .. } => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                c.hash(&mut h);
                region.hash(&mut h);
                Some(h.finish())
            }
            _ => None,
        }
    }

    fn arn(&self) -> Option<String> {
        match self {
            SecretKey::AwsManaged => None,
            SecretKey::Key { arn, .. } => Some(arn.clone()),
            SecretKey::Unknown { arn, .. } => arn.clone(),
        }
    }

    /// May the principal have Secrets Manager use the key for it (`kms:Decrypt` to
    /// read, `kms:GenerateDataKey` to write)?
    fn decide(&self, principal: &Principal, action: &str, secret: &Prepared) -> Outcome {
        match self {
            SecretKey::AwsManaged if principal.account == secret.account => Outcome::allowed(),
            SecretKey::AwsManaged => Outcome::denied(),
            SecretKey::Unknown { why, .. } => Outcome::conditional(why.clone()),
            SecretKey::Key {
                arn,
                account,
                policy,
                ..
            } => {
                let secret_arn = secret.secret_arn.as_str();
                let context = RequestContext::new()
                    .with("kms:CallerAccount", principal.account.clone())
                    .with(
                        "kms:ViaService",
                        format!("secretsmanager.{}.amazonaws.com", secret.region),
                    )
                    .with("kms:EncryptionContext:SecretARN", secret_arn);
                let request = Request::new(action, arn)
                    .in_account(account)
                    .of_kind(ResourceKind::KmsKey)
                    .with_resource_policy(policy)
                    .with_context(&context);
                Outcome::of(&evaluate(principal, &request))
            }
        }
    }
}

/// The key of a secret: `kms_key_id` null is the AWS managed key; otherwise the key
/// the collector related it to (`encrypted_by`), or one of its account found by id,
/// ARN or alias.
fn secret_key(inv: &Inventory, idx: ResourceIdx) -> SecretKey {
    let r = inv.resource(idx);
    let id = match r.properties.get("kms_key_id") {
        None => {
            return SecretKey::Unknown {
                arn: None,
                why: format!("the KMS key of {} was not collected", r.id),
            };
        }
        Some(Value::Null) => return SecretKey::AwsManaged,
        Some(v) => v.as_str().unwrap_or_default().to_owned(),
    };
    if id.ends_with("alias/aws/secretsmanager") {
        return SecretKey::AwsManaged;
    }
    let key = inv
        .related(idx, "encrypted_by")
        .map(|k| inv.resource(k))
        .find(|k| k.resource_type == "aws.kms.key")
        .or_else(|| inv.get(&id).filter(|k| k.resource_type == "aws.kms.key"))
        .or_else(|| {
            inv.of_type_in_account(&r.account, "aws.kms.key")
                .iter()
                .map(|&k| inv.resource(k))
                .filter(|k| k.region == r.region)
                .find(|k| {
                    k.properties["key_id"].as_str() == Some(id.as_str())
                        || k.properties["aliases"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .any(|a| id == a || id.ends_with(&format!(":{a}")))
                })
        });
    let Some(key) = key else {
        return SecretKey::Unknown {
            arn: Some(id.clone()),
            why: format!(
                "the KMS key {id} that encrypts {} is not in the inventory: its key policy decides who can use it",
                r.id
            ),
        };
    };
    let arn = key.properties["arn"].as_str().unwrap_or(&key.id).to_owned();
    match key.properties.get("policy") {
        Some(doc) if !doc.is_null() => match Policy::from_value(doc) {
            Ok(p) => SecretKey::Key {
                class: policy_insensitive(&p).then(|| {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    "kms-key-of-a-secret".hash(&mut h);
                    key.account.hash(&mut h);
                    doc.to_string().hash(&mut h);
                    h.finish()
                }),
                arn,
                account: key.account.clone(),
                policy: NamedPolicy::inline(format!("key policy of {}", key.id), p),
            },
            Err(e) => SecretKey::Unknown {
                arn: Some(arn),
                why: format!("the key policy of {} does not parse: {e}", key.id),
            },
        },
        _ => SecretKey::Unknown {
            why: format!(
                "the key policy of {}, which encrypts {}, was not collected",
                key.id, r.id
            ),
            arn: Some(arn),
        },
    }
}
