//! The IAM estate read once from the inventory for the escalation analysis: users and
//! roles with their policies (managed policies parsed once and shared), groups,
//! managed policies, the compute that runs as a role, and the indexes the analysis
//! walks (roles by trusted service, trust policies by the principals they name).
//!
//! Every policy statement carries a bit mask of the catalogue actions its `Action` or
//! `NotAction` covers, computed once per document. A principal whose Allow statements
//! cover none of a method's actions is skipped without calling the engine, which is
//! what keeps an organisation-sized estate fast; the engine still decides every edge.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use vigil_inventory::Value;
use vigil_inventory::{Inventory, Resource, ResourceIdx};

use super::catalogue::Catalogue;
use crate::access::{NamedPolicy, PrincipalKind};
use crate::hash::{HashMap, New};
use crate::helpers::iam::{Effect, Glob, Patterns, Policy, Principals, glob, glob_match};

/// The catalogue's actions (and the administrator probes) as bits.
pub(crate) type Mask = u128;

/// An action no policy names: only a grant of every action reaches it.
pub const PROBE_ANY_ACTION: &str = "vigil-probe:UnnamedAction";
/// An IAM action no policy names: only a grant of every IAM action reaches it.
pub const PROBE_ANY_IAM_ACTION: &str = "iam:VigilProbeUnnamedAction";

/// Who can assume which role is asked with this action, whatever the catalogue says.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// The distinct actions of the catalogue, each with its bit.
#[derive(Debug)]
pub(crate) struct ActionTable {
    pub names: Vec<String>,
    /// The mask of each `Action` pattern met so far: an estate's policies name the
    /// same few patterns thousands of times (`s3:GetObject`, `ec2:Describe*`, `*`), and
    /// matching one against every name costs a glob per name.
    masks: std::sync::Mutex<HashMap<Box<str>, Mask>>,
}

impl ActionTable {
    pub fn new(catalogue: &Catalogue) -> Result<ActionTable, String> {
        let mut names = vec![
            PROBE_ANY_ACTION.to_owned(),
            PROBE_ANY_IAM_ACTION.to_owned(),
            ASSUME_ROLE.to_owned(),
        ];
        // The data-access analysis asks about these on the same estate.
        names.extend(super::data::ACTIONS.iter().map(|a| (*a).to_owned()));
        for m in catalogue.methods() {
            for a in &m.actions {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(&a.action)) {
                    names.push(a.action.clone());
                }
            }
        }
        if names.len() > Mask::BITS as usize {
            return Err(format!(
                "the catalogue names {} distinct actions; the analysis indexes at most {}",
                names.len(),
                Mask::BITS
            ));
        }
        Ok(ActionTable {
            names,
            masks: Default::default(),
        })
    }

    pub fn bit(&self, action: &str) -> usize {
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(action))
            .expect("every catalogue action has a bit")
    }

    /// The bits of the names one `Action` pattern covers. A pattern whose service
    /// part is literal (`s3:Get*`) is only tried against that service's names, so
    /// the many statements about services no method uses cost one comparison each.
    fn pattern_mask(&self, pattern: &str) -> Mask {
        let masks = || self.masks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&mask) = masks().get(pattern) {
            return mask;
        }
        // Worked out without the lock held: the other thread may match the same
        // pattern meanwhile, and both insert the same mask.
        let mask = self.match_pattern(pattern);
        masks().insert(pattern.into(), mask);
        mask
    }

    /// [`ActionTable::pattern_mask`], worked out.
    fn match_pattern(&self, pattern: &str) -> Mask {
        let literal_service = pattern
            .split_once(':')
            .map(|(service, _)| service)
            .filter(|service| !service.contains(['*', '?']));
        let compiled = glob(pattern);
        self.names
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                literal_service.is_none_or(|s| {
                    n.split_once(':')
                        .is_some_and(|(ns, _)| ns.eq_ignore_ascii_case(s))
                })
            })
            .filter(|(_, n)| glob_match(&compiled, n, false))
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    fn mask_of(&self, statement: &crate::helpers::iam::Statement) -> Mask {
        let all: Mask = if self.names.len() == Mask::BITS as usize {
            Mask::MAX
        } else {
            (1 << self.names.len()) - 1
        };
        let union = |list: &[String]| list.iter().fold(0, |m, p| m | self.pattern_mask(p));
        match &statement.actions {
            Patterns::Only(list) => union(list),
            Patterns::AllBut(list) => all & !union(list),
            Patterns::Absent => 0,
        }
    }
}

/// A parsed policy document with the action mask of each statement.
#[derive(Debug)]
pub(crate) struct Document {
    pub policy: Policy,
    pub masks: Vec<Mask>,
    /// Per statement, its `Resource` patterns compiled for [`may_cover`]; `None` when
    /// the statement may cover any resource (`NotResource`, policy variables).
    resources: Vec<Option<Vec<Vec<Glob>>>>,
}

impl Document {
    fn new(policy: Policy, table: &ActionTable) -> Document {
        let masks = policy.statements.iter().map(|s| table.mask_of(s)).collect();
        let resources = policy
            .statements
            .iter()
            .map(|s| match &s.resources {
                Patterns::Only(list) if !list.iter().any(|p| p.contains("${")) => {
                    Some(list.iter().map(|p| glob(p)).collect())
                }
                _ => None,
            })
            .collect();
        Document {
            policy,
            masks,
            resources,
        }
    }

    /// The catalogue actions some Allow statement covers.
    pub fn allow_mask(&self) -> Mask {
        self.policy
            .statements
            .iter()
            .zip(&self.masks)
            .filter(|(s, _)| s.effect == Effect::Allow)
            .fold(0, |m, (_, mask)| m | mask)
    }
}

/// One identity policy (or the boundary) of a principal, sharing its document.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub name: String,
    pub arn: Option<String>,
    pub via_group: Option<String>,
    pub document: Arc<Document>,
}

impl Source {
    /// The policy with only the statements whose action mask has `bit`.
    pub fn slim(&self, bit: usize) -> NamedPolicy {
        let statements = self
            .document
            .policy
            .statements
            .iter()
            .zip(&self.document.masks)
            .filter(|(_, m)| *m & (1 << bit) != 0)
            .map(|(s, _)| s.clone())
            .collect();
        NamedPolicy {
            name: self.name.clone(),
            arn: self.arn.clone(),
            via_group: self.via_group.clone(),
            document: Policy {
                version: self.document.policy.version.clone(),
                statements,
            },
        }
    }

    pub fn has(&self, bit: usize) -> bool {
        self.document.masks.iter().any(|m| m & (1 << bit) != 0)
    }
}

/// The SCPs over one account's principals, level by level (root, OUs, account), each
/// policy with its statements' action masks so that a call sees only the statements
/// about its action, as the identity policies do. No level outside an organisation and
/// in its management account; an undecidable level where the chain was not collected
/// ([`crate::access::inventory::scp_levels`]).
#[derive(Debug, Default)]
pub(crate) struct Scps {
    pub levels: Vec<(String, Vec<Source>)>,
    /// Catalogue actions every level has some Allow statement for: a call outside it is
    /// denied by the SCPs whatever the principal's own policies say.
    pub allow: Mask,
    /// Why the account's SCPs could not be read (a document that does not parse).
    pub error: Option<String>,
}

impl Scps {
    fn build(inventory: &Inventory, account: &str, table: &ActionTable) -> Scps {
        match crate::access::inventory::scp_levels(inventory, account) {
            Err(e) => Scps {
                levels: Vec::new(),
                allow: 0,
                error: Some(e.to_string()),
            },
            Ok(levels) => {
                let levels: Vec<(String, Vec<Source>)> = levels
                    .into_iter()
                    .map(|(target, policies)| {
                        let sources = policies
                            .into_iter()
                            .map(|p| Source {
                                name: p.name,
                                arn: p.arn,
                                via_group: None,
                                document: Arc::new(Document::new(p.document, table)),
                            })
                            .collect();
                        (target, sources)
                    })
                    .collect();
                let allow = levels.iter().fold(Mask::MAX, |m, (_, level)| {
                    m & level
                        .iter()
                        .fold(0, |l, s: &Source| l | s.document.allow_mask())
                });
                Scps {
                    levels,
                    allow,
                    error: None,
                }
            }
        }
    }
}

/// How a role's trust policy names who may assume it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustNames {
    /// Principal ARNs named exactly.
    pub arns: Vec<String>,
    /// Accounts named (`ACCOUNT`, `arn:aws:iam::ACCOUNT:root`).
    pub accounts: Vec<String>,
    /// `"*"` or a `NotPrincipal`: anyone.
    pub everyone: bool,
    /// Service principals (`ec2.amazonaws.com`).
    pub services: Vec<String>,
    /// Federated identity providers (web identity, SAML).
    pub federated: bool,
}

/// A user or a role.
#[derive(Debug)]
pub(crate) struct Node {
    pub resource: ResourceIdx,
    pub arn: String,
    pub account: String,
    pub kind: PrincipalKind,
    pub tags: BTreeMap<String, String>,
    pub service_linked: bool,
    pub identity: Vec<Source>,
    pub boundary: Option<Source>,
    /// The SCPs of its account (shared by the account's principals; the engine leaves
    /// them out for service-linked roles, which SCPs do not limit).
    pub scps: Arc<Scps>,
    /// Why the principal cannot be analysed (a boundary document the inventory lacks,
    /// a policy that does not parse).
    pub error: Option<String>,
    /// Catalogue actions some Allow statement of its identity policies covers (and, with
    /// a boundary, the boundary covers too, and every SCP level unless the principal is
    /// a service-linked role).
    pub allow: Mask,
    /// Groups (indexes into [`Estate::groups`]).
    pub groups: Vec<usize>,
    /// Managed policies attached directly or through a group (indexes into
    /// [`Estate::policies`]).
    pub policies: Vec<usize>,
    /// Roles: the trust policy.
    pub trust: Option<NamedPolicy>,
    pub trust_names: TrustNames,
    /// Roles: the instance profiles carrying it; `None` when not collected.
    pub instance_profiles: Option<Vec<String>>,
    /// Users: how many access keys, and whether one is active; `None` when not known.
    pub access_keys: Option<usize>,
    pub active_access_key: bool,
    /// Users: whether a console password is set; `None` when not known.
    pub login_profile: Option<bool>,
}

impl Node {
    /// Can someone outside the role's account assume it: another account (or a
    /// principal in one), everyone, or a federated identity provider? Conditions such
    /// as `sts:ExternalId` narrow who, not where from, so they do not change this.
    pub fn assumable_from_outside(&self) -> bool {
        let t = &self.trust_names;
        t.everyone
            || t.federated
            || t.accounts.iter().any(|a| *a != self.account)
            || t.arns
                .iter()
                .any(|arn| arn.split(':').nth(4).is_some_and(|a| a != self.account))
    }
}

#[derive(Debug)]
pub(crate) struct Group {
    pub resource: ResourceIdx,
    pub arn: String,
    pub account: String,
    pub policies: Vec<Source>,
    pub managed: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct ManagedPolicy {
    pub resource: ResourceIdx,
    pub arn: String,
    pub aws_managed: bool,
    /// Version ids, when the inventory holds them (it holds the default only today).
    pub versions: Option<Vec<String>>,
}

/// Compute that runs as a role.
#[derive(Debug)]
pub(crate) struct Compute {
    pub resource: ResourceIdx,
    pub arn: String,
    pub account: String,
    /// The principal index of the role it runs as, when that role is in the estate.
    pub role: Option<usize>,
}

/// The estate the analysis runs over.
#[derive(Debug)]
pub(crate) struct Estate {
    pub table: ActionTable,
    pub nodes: Vec<Node>,
    pub by_arn: HashMap<String, usize>,
    pub groups: Vec<Group>,
    pub policies: Vec<ManagedPolicy>,
    pub compute: Vec<Compute>,
    /// Per account: the principal indexes of its users and of its roles.
    pub users_in: HashMap<String, Vec<usize>>,
    pub roles_in: HashMap<String, Vec<usize>>,
    pub groups_in: HashMap<String, Vec<usize>>,
    pub policies_in: HashMap<String, Vec<usize>>,
    pub compute_in: HashMap<(String, super::method::TargetKind), Vec<usize>>,
    /// (account, service principal) → roles of the account that trust the service.
    pub roles_trusting_service: HashMap<(String, String), Vec<usize>>,
    /// Trust policies by what they name: exact ARN, account, anyone.
    pub trusting_arn: HashMap<String, Vec<usize>>,
    pub trusting_account: HashMap<String, Vec<usize>>,
    pub trusting_everyone: Vec<usize>,
    /// The ARN of every node a method can act on, by inventory index.
    pub arns: HashMap<ResourceIdx, String>,
    /// Compute by inventory index.
    pub compute_at: HashMap<ResourceIdx, usize>,
    /// The SCPs of every account with a principal, by account id.
    pub scps: HashMap<String, Arc<Scps>>,
}

/// A managed policy's document, or why it does not parse.
type Parsed = Result<Arc<Document>, String>;

fn parse(value: &Value) -> Result<Policy, String> {
    Policy::from_value(value).map_err(|e| e.to_string())
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The account of a principal ARN or account id in a `Principal` element.
fn account_of(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    value.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Who the Allow statements of a trust or resource policy name.
pub(crate) fn trust_names(policy: &Policy) -> TrustNames {
    let mut t = TrustNames::default();
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        match &s.principals {
            Principals::Everyone | Principals::AllBut(_) => t.everyone = true,
            Principals::Absent => {}
            Principals::Listed(list) => {
                for (kind, value) in list {
                    let value = value.trim();
                    match kind.to_ascii_lowercase().as_str() {
                        "aws" if value == "*" => t.everyone = true,
                        "aws" => {
                            let root = value.ends_with(":root")
                                || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()));
                            match (root, account_of(value)) {
                                (true, Some(a)) => t.accounts.push(a.to_owned()),
                                (false, Some(_)) => t.arns.push(value.to_owned()),
                                _ => {}
                            }
                        }
                        "service" => t.services.push(value.to_ascii_lowercase()),
                        "federated" => t.federated = true,
                        _ => {}
                    }
                }
            }
        }
    }
    t
}

impl Estate {
    pub fn build(inventory: &Inventory, catalogue: &Catalogue) -> Result<Estate, String> {
        let table = ActionTable::new(catalogue)?;
        // Every managed policy document, parsed once (in parallel) and shared.
        let policy_nodes: Vec<ResourceIdx> = inventory.of_type("aws.iam.policy").to_vec();
        let parsed: Vec<(ResourceIdx, Option<Parsed>)> = policy_nodes
            .par_iter()
            .map(|&i| {
                let doc = &inventory.resource(i).properties["document"];
                let parsed = (!doc.is_null())
                    .then(|| parse(doc).map(|p| Arc::new(Document::new(p, &table))));
                (i, parsed)
            })
            .collect();
        let mut documents: HashMap<&str, Parsed> = HashMap::new();
        let mut policies = Vec::new();
        let mut policy_index: HashMap<&str, usize> = HashMap::new();
        let mut policies_in: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, doc) in parsed {
            let r = inventory.resource(i);
            if let Some(doc) = doc {
                documents.insert(r.id.as_str(), doc);
            }
            let arn = r.properties["arn"].as_str().unwrap_or(&r.id).to_owned();
            let aws_managed = r.properties["is_aws_managed"]
                .as_bool()
                .unwrap_or_else(|| arn.starts_with("arn:aws:iam::aws:"));
            policy_index.insert(r.id.as_str(), policies.len());
            policies_in
                .entry(r.account.clone())
                .or_default()
                .push(policies.len());
            policies.push(ManagedPolicy {
                resource: i,
                arn,
                aws_managed,
                versions: r.properties.get("versions").map(strings),
            });
        }
        let managed = |arn: &str, account: &str| -> Option<(&str, usize)> {
            let merged = format!("{arn}#{account}");
            policy_index
                .get_key_value(merged.as_str())
                .or_else(|| policy_index.get_key_value(arn))
                .map(|(k, v)| (*k, *v))
        };
        let sources =
            |node: &Resource, via: Option<&str>| -> (Vec<Source>, Vec<usize>, Option<String>) {
                let mut out = Vec::new();
                let mut attached = Vec::new();
                let mut error = None;
                for inline in node.properties["inline_policies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let name = inline["name"].as_str().unwrap_or("inline").to_owned();
                    match parse(&inline["document"]) {
                        Ok(p) => out.push(Source {
                            name,
                            arn: None,
                            via_group: via.map(str::to_owned),
                            document: Arc::new(Document::new(p, &table)),
                        }),
                        Err(e) => error = Some(format!("{}: inline policy {name}: {e}", node.id)),
                    }
                }
                for arn in strings(&node.properties["attached_policies"]) {
                    let Some((key, idx)) = managed(&arn, &node.account) else {
                        continue;
                    };
                    attached.push(idx);
                    match documents.get(key) {
                        Some(Ok(doc)) => out.push(Source {
                            name: arn.rsplit('/').next().unwrap_or(&arn).to_owned(),
                            arn: Some(arn.clone()),
                            via_group: via.map(str::to_owned),
                            document: Arc::clone(doc),
                        }),
                        Some(Err(e)) => error = Some(format!("{}: policy {arn}: {e}", node.id)),
                        None => {}
                    }
                }
                (out, attached, error)
            };

        let mut groups = Vec::new();
        let mut group_index: HashMap<(String, String), usize> = HashMap::new();
        let mut groups_in: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in inventory.of_type("aws.iam.group") {
            let r = inventory.resource(i);
            let name = r.properties["group_name"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| r.id.rsplit('/').next().unwrap_or(&r.id).to_owned());
            let (policies, managed, _) = sources(r, Some(&name));
            group_index.insert((r.account.clone(), name), groups.len());
            groups_in
                .entry(r.account.clone())
                .or_default()
                .push(groups.len());
            groups.push(Group {
                resource: i,
                arn: r.properties["arn"].as_str().unwrap_or(&r.id).to_owned(),
                account: r.account.clone(),
                policies,
                managed,
            });
        }

        let principal_nodes: Vec<ResourceIdx> = inventory
            .of_type("aws.iam.user")
            .iter()
            .chain(inventory.of_type("aws.iam.role"))
            .copied()
            .collect();
        // The SCPs of each account, built once and shared by its principals.
        let mut scps: HashMap<String, Arc<Scps>> = HashMap::new();
        for &i in &principal_nodes {
            let account = &inventory.resource(i).account;
            if !scps.contains_key(account) {
                let built = Scps::build(inventory, account, &table);
                scps.insert(account.clone(), Arc::new(built));
            }
        }
        // Each principal's policies are parsed and folded on their own, so in parallel:
        // one after another, this was most of the analysis's time on a large estate.
        let nodes: Vec<Node> = principal_nodes
            .par_iter()
            .map(|&i| {
            let r = inventory.resource(i);
            let account_scps = Arc::clone(&scps[&r.account]);
            let kind = if r.resource_type == "aws.iam.user" {
                PrincipalKind::User
            } else {
                PrincipalKind::Role
            };
            let (mut identity, mut attached, mut error) = sources(r, None);
            let mut member_of = Vec::new();
            if kind == PrincipalKind::User {
                for name in strings(&r.properties["groups"]) {
                    if let Some(&g) = group_index.get(&(r.account.clone(), name)) {
                        member_of.push(g);
                        identity.extend(groups[g].policies.iter().cloned());
                        attached.extend(groups[g].managed.iter().copied());
                    }
                }
            }
            let boundary = match r.properties["permissions_boundary"].as_str() {
                None => None,
                Some(arn) => match managed(arn, &r.account).and_then(|(k, _)| documents.get(k)) {
                    Some(Ok(doc)) => Some(Source {
                        name: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
                        arn: Some(arn.to_owned()),
                        via_group: None,
                        document: Arc::clone(doc),
                    }),
                    Some(Err(e)) => {
                        error = Some(format!("{}: permissions boundary {arn}: {e}", r.id));
                        None
                    }
                    None => {
                        error = Some(format!(
                            "{}: its permissions boundary {arn} is not in the inventory (its document decides what the principal may do)",
                            r.id
                        ));
                        None
                    }
                },
            };
            let service_linked = r.properties["is_service_linked"] == Value::Bool(true);
            let mut allow = identity.iter().fold(0, |m, s| m | s.document.allow_mask());
            if let Some(b) = &boundary {
                allow &= b.document.allow_mask();
            }
            if !service_linked {
                allow &= account_scps.allow;
            }
            if let Some(e) = &account_scps.error {
                error = Some(format!("{}: the SCPs of its account: {e}", r.id));
            }
            let trust = match kind {
                PrincipalKind::Role => match &r.properties["assume_role_policy"] {
                    Value::Null => None,
                    doc => match parse(doc) {
                        Ok(p) => Some(NamedPolicy::inline(format!("trust policy of {}", r.id), p)),
                        Err(e) => {
                            error = Some(format!("{}: trust policy: {e}", r.id));
                            None
                        }
                    },
                },
                _ => None,
            };
            let trust_names = trust
                .as_ref()
                .map(|t| trust_names(&t.document))
                .unwrap_or_default();
            let keys = r.properties.get("access_keys").and_then(Value::as_array);
            attached.sort_unstable();
            attached.dedup();
            Node {
                resource: i,
                arn: r.id.clone(),
                account: r.account.clone(),
                kind,
                tags: r.tags.clone(),
                service_linked,
                identity,
                boundary,
                scps: account_scps,
                error,
                allow,
                groups: member_of,
                policies: attached,
                trust,
                trust_names,
                instance_profiles: r.properties.get("instance_profiles").map(strings),
                access_keys: keys.map(<[Value]>::len),
                active_access_key: keys
                    .is_some_and(|k| k.iter().any(|k| k["status"].as_str() == Some("Active"))),
                login_profile: r
                    .properties
                    .get("password_enabled")
                    .and_then(Value::as_bool),
            }
            })
            .collect();
        let by_arn: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.arn.clone(), i))
            .collect();

        let mut users_in: HashMap<String, Vec<usize>> = HashMap::new();
        let mut roles_in: HashMap<String, Vec<usize>> = HashMap::new();
        let mut roles_trusting_service: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut trusting_arn: HashMap<String, Vec<usize>> = HashMap::new();
        let mut trusting_account: HashMap<String, Vec<usize>> = HashMap::new();
        let mut trusting_everyone = Vec::new();
        let mut profiles: HashMap<&str, usize> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            match n.kind {
                PrincipalKind::User => users_in.entry(n.account.clone()).or_default().push(i),
                _ => roles_in.entry(n.account.clone()).or_default().push(i),
            }
            for s in &n.trust_names.services {
                roles_trusting_service
                    .entry((n.account.clone(), s.clone()))
                    .or_default()
                    .push(i);
            }
            for a in &n.trust_names.arns {
                trusting_arn.entry(a.clone()).or_default().push(i);
            }
            for a in &n.trust_names.accounts {
                trusting_account.entry(a.clone()).or_default().push(i);
            }
            if n.trust_names.everyone {
                trusting_everyone.push(i);
            }
            for p in n.instance_profiles.iter().flatten() {
                profiles.insert(p.as_str(), i);
            }
        }

        use super::method::TargetKind;
        let mut compute = Vec::new();
        let mut compute_in: HashMap<(String, TargetKind), Vec<usize>> = HashMap::new();
        for (ty, kind, key) in [
            ("aws.lambda.function", TargetKind::Function, "role"),
            ("aws.codebuild.project", TargetKind::Project, "service_role"),
            (
                "aws.ec2.instance",
                TargetKind::Instance,
                "iam_instance_profile_arn",
            ),
        ] {
            for &i in inventory.of_type(ty) {
                let r = inventory.resource(i);
                let role = r.properties[key].as_str().and_then(|v| match kind {
                    TargetKind::Instance => profiles.get(v).copied(),
                    _ => by_arn.get(v).copied(),
                });
                compute_in
                    .entry((r.account.clone(), kind))
                    .or_default()
                    .push(compute.len());
                compute.push(Compute {
                    resource: i,
                    arn: r.id.clone(),
                    account: r.account.clone(),
                    role,
                });
            }
        }
        let mut arns: HashMap<ResourceIdx, String> = HashMap::new();
        arns.extend(nodes.iter().map(|n| (n.resource, n.arn.clone())));
        arns.extend(policies.iter().map(|p| (p.resource, p.arn.clone())));
        arns.extend(groups.iter().map(|g| (g.resource, g.arn.clone())));
        arns.extend(compute.iter().map(|c| (c.resource, c.arn.clone())));
        let compute_at = compute
            .iter()
            .enumerate()
            .map(|(i, c)| (c.resource, i))
            .collect();
        Ok(Estate {
            scps,
            arns,
            compute_at,
            table,
            nodes,
            by_arn,
            groups,
            policies,
            compute,
            users_in,
            roles_in,
            groups_in,
            policies_in,
            compute_in,
            roles_trusting_service,
            trusting_arn,
            trusting_account,
            trusting_everyone,
        })
    }
}

/// Could an Allow statement of these sources cover `resource` for the action with
/// `bit`? A cheap, sound filter before the engine: it only rules out targets that no
/// Allow statement names (patterns with policy variables or `NotResource` keep all).
pub(crate) fn may_cover(sources: &[Source], bit: usize, resource: &str) -> bool {
    sources.iter().any(|s| {
        let d = &s.document;
        d.policy
            .statements
            .iter()
            .zip(&d.masks)
            .zip(&d.resources)
            .filter(|((st, m), _)| st.effect == Effect::Allow && *m & (1 << bit) != 0)
            .any(|(_, globs)| match globs {
                Some(list) => list.iter().any(|g| glob_match(g, resource, true)),
                None => true,
            })
    })
}
