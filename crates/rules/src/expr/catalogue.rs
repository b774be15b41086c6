//! The catalogue of helper functions conditions can call: name, arities, signature and
//! documentation, so that loading checks every call before anything runs and
//! `vigil rules functions` prints them. The implementations live in
//! [`super::functions`] and its siblings.

type LiteralCheck = fn(&str) -> Result<(), String>;

/// A helper function offered to conditions.
#[derive(Debug)]
pub struct Helper {
    pub name: &'static str,
    pub arities: &'static [usize],
    pub signature: &'static str,
    pub doc: &'static str,
    /// Checks on string literals passed at these argument positions.
    pub(crate) literal_checks: &'static [(usize, LiteralCheck)],
}

fn check_type(name: &str) -> Result<(), String> {
    vigil_inventory::resource_type(name)
        .map(|_| ())
        .ok_or_else(|| format!("unknown resource type `{name}`"))
}

fn check_severity(name: &str) -> Result<(), String> {
    serde_json::from_value::<crate::Severity>(serde_json::Value::String(name.to_owned()))
        .map(|_| ())
        .map_err(|_| {
            format!("`{name}` is not a severity: informational, low, medium, high, critical")
        })
}

fn check_access(name: &str) -> Result<(), String> {
    crate::escalation::data::Access::parse(name)
        .map(|_| ())
        .ok_or_else(|| format!("`{name}` is not an access: read or write"))
}

fn check_kind(name: &str) -> Result<(), String> {
    if vigil_inventory::is_relation_kind(name) {
        Ok(())
    } else {
        Err(format!("unknown relation kind `{name}`"))
    }
}

/// Every helper, in the order the documentation lists them.
pub const HELPERS: &[Helper] = &[
    Helper {
        name: "policy_allows",
        arities: &[3],
        signature: "policy_allows(document, action, resource) -> bool",
        doc: "Could the IAM policy document allow `action` on `resource`? Wildcards, NotAction and NotResource are honoured; a conditional Allow counts, only an unconditional Deny removes it.",
        literal_checks: &[],
    },
    Helper {
        name: "policy_is_admin",
        arities: &[1],
        signature: "policy_is_admin(document) -> bool",
        doc: "Does the document allow every action (`*`) on every resource (`*`) without condition?",
        literal_checks: &[],
    },
    Helper {
        name: "policy_is_public",
        arities: &[1],
        signature: "policy_is_public(document) -> bool",
        doc: "Does an Allow statement admit `*`, `{\"AWS\": \"*\"}` or a NotPrincipal, without a condition that restricts the caller (source account, ARN, VPC, IP, organisation)?",
        literal_checks: &[],
    },
    Helper {
        name: "policy_denies",
        arities: &[2],
        signature: "policy_denies(document, action) -> bool",
        doc: "Does some Deny statement of the document cover `action` (wildcards and NotAction honoured), with or without a condition? For guardrails such as service control policies.",
        literal_checks: &[],
    },
    Helper {
        name: "policy_has_condition",
        arities: &[2],
        signature: "policy_has_condition(document, key) -> bool",
        doc: "Does any statement test the condition key (case-insensitive), such as `aws:MultiFactorAuthPresent`?",
        literal_checks: &[],
    },
    Helper {
        name: "policy_denies_insecure_transport",
        arities: &[1],
        signature: "policy_denies_insecure_transport(document) -> bool",
        doc: "Does the document deny everyone when `aws:SecureTransport` is false?",
        literal_checks: &[],
    },
    Helper {
        name: "policy_principals",
        arities: &[1],
        signature: "policy_principals(document) -> list(string)",
        doc: "The principals that Allow statements name, as `AWS:<arn>`, `Service:<name>`, `Federated:<provider>`, or `*`.",
        literal_checks: &[],
    },
    Helper {
        name: "policy_principals_without",
        arities: &[3],
        signature: "policy_principals_without(document, type, key) -> list(string)",
        doc: "The principals of `type` (`AWS`, `Federated`, `Service`) that Allow statements name without testing the condition `key` (case-insensitive; a key starting with `:` matches any key ending so, such as `:sub` for `token.actions.githubusercontent.com:sub`), as bare values.",
        literal_checks: &[],
    },
    Helper {
        name: "cidr_is_internet",
        arities: &[1],
        signature: "cidr_is_internet(cidr) -> bool",
        doc: "Is the block the whole internet (`0.0.0.0/0` or `::/0`)?",
        literal_checks: &[],
    },
    Helper {
        name: "cidr_contains",
        arities: &[2],
        signature: "cidr_contains(cidr, address_or_cidr) -> bool",
        doc: "Does the block contain the address or block?",
        literal_checks: &[],
    },
    Helper {
        name: "opens_port",
        arities: &[2],
        signature: "opens_port(rule, port) -> bool",
        doc: "Does a security-group or NACL rule (`protocol`, `from_port`, `to_port`) admit the port? Protocol -1 admits all.",
        literal_checks: &[],
    },
    Helper {
        name: "opens_any_port",
        arities: &[2],
        signature: "opens_any_port(rule, list(int)) -> bool",
        doc: "Does the rule admit any of the ports? One call instead of one per port.",
        literal_checks: &[],
    },
    Helper {
        name: "port_in_range",
        arities: &[3],
        signature: "port_in_range(port, from, to) -> bool",
        doc: "Is `from <= port <= to`?",
        literal_checks: &[],
    },
    Helper {
        name: "days_since",
        arities: &[1],
        signature: "days_since(timestamp) -> int",
        doc: "Whole days from an RFC 3339 timestamp or a date to the scan time.",
        literal_checks: &[],
    },
    Helper {
        name: "contains_all",
        arities: &[2],
        signature: "contains_all(text, list(string)) -> bool",
        doc: "Does the text contain every string of the list, ignoring white space?",
        literal_checks: &[],
    },
    Helper {
        name: "related",
        arities: &[2, 3],
        signature: "related(resource, kind[, type]) -> list(resource)",
        doc: "Resources this one points to by a relation of `kind`, optionally of one type. With a type, a gap in collecting that type is an error, not an empty list.",
        literal_checks: &[(1, check_kind), (2, check_type)],
    },
    Helper {
        name: "related_from",
        arities: &[2, 3],
        signature: "related_from(resource, kind[, type]) -> list(resource)",
        doc: "Resources that point to this one by a relation of `kind`, optionally of one type (gap-aware as `related`).",
        literal_checks: &[(1, check_kind), (2, check_type)],
    },
    Helper {
        name: "resources",
        arities: &[2],
        signature: "resources(resource, type) -> list(resource)",
        doc: "Every resource of `type` in the same account, in every region. A gap in collecting that type is an error.",
        literal_checks: &[(1, check_type)],
    },
    Helper {
        name: "regional",
        arities: &[2],
        signature: "regional(resource, type) -> list(resource)",
        doc: "Every resource of `type` in the same account and region. A gap in collecting that type is an error.",
        literal_checks: &[(1, check_type)],
    },
    Helper {
        name: "admin_escalation",
        arities: &[1],
        signature: "admin_escalation(resource) -> map",
        doc: "For an IAM user or role: `is_admin` (its effective permission is an administrator's), `path` (its shortest way to administrator through the escalation catalogue, hop by hop, or null; `path.conditional` when a hop depends on context Vigil does not know), `active_access_key` and `assumable_from_outside`. The path is recorded as the finding's evidence. A gap over IAM users, roles, groups or policies of the account is an error.",
        literal_checks: &[],
    },
    Helper {
        name: "assumable_by",
        arities: &[1],
        signature: "assumable_by(resource) -> list(map)",
        doc: "For an IAM role: the users and roles of the inventory that can assume it (trust policy and identity policy, same- or cross-account), each `{principal, decision, depends_on}`.",
        literal_checks: &[],
    },
    Helper {
        name: "escalations",
        arities: &[1],
        signature: "escalations(resource) -> list(map)",
        doc: "For an IAM user or role: whom it can become in one step, each `{method, resource, becomes, decision, depends_on}` (`becomes` is a principal ARN or `administrator`).",
        literal_checks: &[],
    },
    Helper {
        name: "internet_reachable",
        arities: &[1],
        signature: "internet_reachable(resource) -> bool",
        doc: "For an EC2 instance: can a connection from anywhere on the internet reach it (public address, a 0.0.0.0/0 or ::/0 route to an internet gateway, the network ACL's first matching inbound rule and its outbound rule for the replies, a security-group rule from 0.0.0.0/0 or ::/0)? For a Lambda function: does its URL take unsigned requests (AuthType NONE) that its resource policy lets anyone send? An error when a piece that matters was not seen; when true, the path is recorded as the finding's evidence, hop by hop.",
        literal_checks: &[],
    },
    Helper {
        name: "internet_exposure",
        arities: &[1],
        signature: "internet_exposure(resource) -> map",
        doc: "The same analysis as `internet_reachable`, never an error: `reachable` (`yes`, `no`, `unknown`), `open` (each `{family, protocol, from_port, to_port}`), `path` (hops `{principal, action, resource, method, detail}`), `blocked_by`, `unknown` (what was not seen).",
        literal_checks: &[],
    },
    Helper {
        name: "role_privileged",
        arities: &[1],
        signature: "role_privileged(resource) -> bool",
        doc: "For an IAM role, or compute that runs as one (EC2 instance through its instance profile, Lambda function, CodeBuild project): is the role an administrator, or can it become one through the escalation catalogue (a conditional path counts)? False for compute without a role. The path (compute, role, escalation hops) is recorded as evidence. An error when the role is not in the inventory or IAM was not fully collected in its account.",
        literal_checks: &[],
    },
    Helper {
        name: "modifiable_by",
        arities: &[1],
        signature: "modifiable_by(resource) -> list(map)",
        doc: "For a Lambda function or CodeBuild project: the users and roles, not administrators, that can change its code, configuration or buildspec by a catalogue method (and so act as its role), each `{principal, method, resource, becomes, decision, depends_on}`. The first is recorded in the evidence path.",
        literal_checks: &[],
    },
    Helper {
        name: "data_access",
        arities: &[2],
        signature: "data_access(resource, access) -> list(map)",
        doc: "For an S3 bucket, Secrets Manager secret or KMS key and `access` `read` (s3:GetObject, secretsmanager:GetSecretValue, kms:Decrypt) or `write` (s3:PutObject, secretsmanager:PutSecretValue, kms:Encrypt): who can, through the evaluation engine with the resource policy, same- or cross-account, each `{principal, action, decision, external, depends_on}` (`principal` is `*` or an outside account's root for access the resource policy opens to principals Vigil does not see). An error when the resource policy was not collected.",
        literal_checks: &[(1, check_access)],
    },
    Helper {
        name: "data_accessible",
        arities: &[2],
        signature: "data_accessible(resource, access) -> list(map)",
        doc: "For an IAM user or role: the buckets, secrets and keys it can `read` or `write`, each `{resource, action, decision, external, depends_on}` (stores whose policy was not collected are left out).",
        literal_checks: &[(1, check_access)],
    },
    Helper {
        name: "data_exposure",
        arities: &[1],
        signature: "data_exposure(resource) -> list(map)",
        doc: "For an S3 bucket, secret or KMS key: the ways someone who should not can read it, each `{principal, via, decision, path}`: a principal outside its account (`via: outside_account`), or a role that internet-reachable compute runs as (`via: <compute id>`). The first path is recorded as evidence. An error when reachability or access is undecided and no exposure is certain.",
        literal_checks: &[],
    },
    Helper {
        name: "raise_severity",
        arities: &[2],
        signature: "raise_severity(severity, when) -> bool",
        doc: "Always true. When `when` holds, a failure of this evaluation is reported at `severity` (never lower than the rule's). Put it first: `raise_severity(\"critical\", exposed) && <check>`.",
        literal_checks: &[(0, check_severity)],
    },
    Helper {
        name: "alarmed_log_filter",
        arities: &[2],
        signature: "alarmed_log_filter(resource, list(string)) -> bool",
        doc: "In the resource's account, does a logging multi-region trail deliver to a log group with a metric filter whose pattern holds every term, watched by an alarm that notifies an SNS topic with a subscriber? (CIS section 4.)",
        literal_checks: &[],
    },
];
