//! The request context: what is known about a request's condition keys, and the keys
//! that follow from the principal and the resource themselves.
//!
//! Three states per key, because AWS's answer differs for each: a key with values, a
//! key known to be absent from the request (AWS: "If the key that you specify in a
//! policy condition is not present in the request context, the values do not match"),
//! and a key whose value Vigil does not know. A key the caller never mentions is
//! unknown unless it follows from the principal (`aws:PrincipalArn`, `aws:username`,
//! `aws:PrincipalTag/…` when the tags are known, …).

use std::collections::BTreeMap;

use serde::Serialize;

use super::principal::{Principal, PrincipalKind};

/// What is known about one condition key in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "values", rename_all = "lowercase")]
pub enum ContextValue {
    /// The value is not known: conditions on the key cannot be decided.
    Unknown,
    /// The key is known to be missing from the request.
    Absent,
    /// The key's values (one for single-valued keys). An empty list is the empty data
    /// set, which AWS treats like a missing key.
    Values(Vec<String>),
}

impl ContextValue {
    pub fn single(value: impl Into<String>) -> ContextValue {
        ContextValue::Values(vec![value.into()])
    }
}

/// Known condition-key values for a request. Keys compare case-insensitively (AWS:
/// "Key names are case-insensitive"); values keep their case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    keys: BTreeMap<String, ContextValue>,
}

/// The context with nothing known, for requests that bring none.
pub(crate) static EMPTY_CONTEXT: RequestContext = RequestContext {
    keys: BTreeMap::new(),
};

impl RequestContext {
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// A single-valued key (`aws:SourceIp`, `aws:SecureTransport`, …).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> RequestContext {
        self.set(key, ContextValue::single(value));
        self
    }

    /// A multivalued key (`aws:TagKeys`, `aws:PrincipalOrgPaths`, …).
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> RequestContext
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(
            key,
            ContextValue::Values(values.into_iter().map(Into::into).collect()),
        );
        self
    }

    /// A key known to be missing from the request (`aws:MultiFactorAuthPresent` on a
    /// request signed with an access key, `aws:SourceVpce` outside an endpoint).
    pub fn with_absent(mut self, key: &str) -> RequestContext {
        self.set(key, ContextValue::Absent);
        self
    }

    /// Marks a key unknown, overriding what would follow from the principal (say,
    /// `aws:PrincipalTag/team` when session tags may replace the role's tags).
    pub fn with_unknown(mut self, key: &str) -> RequestContext {
        self.set(key, ContextValue::Unknown);
        self
    }

    pub fn set(&mut self, key: &str, value: ContextValue) {
        self.keys.insert(key.to_ascii_lowercase(), value);
    }

    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.keys.get(&key.to_ascii_lowercase())
    }

    /// The keys given, lower-cased, with what is known of them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Condition-key lookup for one evaluation: the caller's context first, then the keys
/// that follow from the principal and the resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lookup<'a> {
    pub context: &'a RequestContext,
    pub principal: &'a Principal,
    pub resource_account: Option<&'a str>,
}

impl Lookup<'_> {
    pub fn get(&self, key: &str) -> ContextValue {
        match self.context.get(key) {
            Some(value) => value.clone(),
            None => self.derived(&key.to_ascii_lowercase()),
        }
    }

    /// Keys whose values the principal and resource settle. Values per principal type
    /// follow AWS's table "Principal key values" (reference_policies_variables), where
    /// *not present* means the key is absent.
    fn derived(&self, key: &str) -> ContextValue {
        let p = self.principal;
        let one = |v: &str| ContextValue::single(v);
        match key {
            "aws:principalarn" => one(&p.arn),
            "aws:principalaccount" => one(&p.account),
            "aws:principaltype" => one(match p.kind {
                PrincipalKind::User => "User",
                PrincipalKind::Role => "AssumedRole",
                PrincipalKind::Root => "Account",
            }),
            "aws:username" => match p.kind {
                PrincipalKind::User => one(p.name()),
                PrincipalKind::Role | PrincipalKind::Root => ContextValue::Absent,
            },
            "aws:userid" => match (p.kind, &p.unique_id, &p.session_name) {
                (PrincipalKind::User, Some(id), _) => one(id),
                (PrincipalKind::Role, Some(id), Some(session)) => one(&format!("{id}:{session}")),
                (PrincipalKind::Root, _, _) => one(&p.account),
                _ => ContextValue::Unknown,
            },
            "aws:principalisawsservice" => one("false"),
            "aws:principalservicename" | "aws:principalservicenameslist" => ContextValue::Absent,
            "aws:resourceaccount" => match self.resource_account {
                Some(account) => one(account),
                None => ContextValue::Unknown,
            },
            _ => match key.strip_prefix("aws:principaltag/") {
                Some(tag) => match (&p.tags, p.kind) {
                    (_, PrincipalKind::Root) => ContextValue::Absent,
                    (Some(tags), _) => tags
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                        .map(|(_, v)| one(v))
                        .unwrap_or(ContextValue::Absent),
                    (None, _) => ContextValue::Unknown,
                },
                None => ContextValue::Unknown,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_unmentioned_keys_unknown() {
        let ctx = RequestContext::new()
            .with("aws:SourceIp", "203.0.113.9")
            .with_absent("aws:MultiFactorAuthPresent");
        let principal = Principal::user("arn:aws:iam::111122223333:user/alice");
        let lookup = Lookup {
            context: &ctx,
            principal: &principal,
            resource_account: None,
        };
        assert_eq!(
            lookup.get("AWS:SOURCEIP"),
            ContextValue::single("203.0.113.9")
        );
        assert_eq!(
            lookup.get("aws:multifactorauthpresent"),
            ContextValue::Absent
        );
        assert_eq!(lookup.get("aws:SecureTransport"), ContextValue::Unknown);
        assert_eq!(lookup.get("aws:ResourceAccount"), ContextValue::Unknown);
    }

    /// AWS, "Principal key values": for an IAM user `aws:username` is the friendly
    /// name; for a role it is *not present*; for the root user `aws:userid` is the
    /// account ID.
    #[test]
    fn principal_keys_follow_the_principal() {
        let user = Principal::user("arn:aws:iam::111122223333:user/ops/alice")
            .with_unique_id("AIDAEXAMPLE")
            .with_tag("team", "blue");
        let role = Principal::role("arn:aws:iam::111122223333:role/app");
        let root = Principal::root("111122223333");
        let ctx = RequestContext::new();
        let get = |p: &Principal, key: &str| {
            Lookup {
                context: &ctx,
                principal: p,
                resource_account: Some("444455556666"),
            }
            .get(key)
        };
        assert_eq!(get(&user, "aws:username"), ContextValue::single("alice"));
        assert_eq!(
            get(&user, "aws:userid"),
            ContextValue::single("AIDAEXAMPLE")
        );
        assert_eq!(
            get(&user, "aws:PrincipalTag/Team"),
            ContextValue::single("blue")
        );
        assert_eq!(get(&user, "aws:PrincipalTag/cost"), ContextValue::Absent);
        assert_eq!(
            get(&user, "aws:PrincipalType"),
            ContextValue::single("User")
        );
        assert_eq!(get(&role, "aws:username"), ContextValue::Absent);
        assert_eq!(get(&role, "aws:userid"), ContextValue::Unknown);
        assert_eq!(get(&role, "aws:PrincipalTag/team"), ContextValue::Unknown);
        assert_eq!(
            get(&role, "aws:PrincipalType"),
            ContextValue::single("AssumedRole")
        );
        assert_eq!(
            get(&root, "aws:userid"),
            ContextValue::single("111122223333")
        );
        assert_eq!(
            get(&root, "aws:PrincipalArn"),
            ContextValue::single("arn:aws:iam::111122223333:root")
        );
        assert_eq!(
            get(&root, "aws:ResourceAccount"),
            ContextValue::single("444455556666")
        );
        let overridden = RequestContext::new().with_unknown("aws:PrincipalTag/team");
        assert_eq!(
            Lookup {
                context: &overridden,
                principal: &user,
                resource_account: None
            }
            .get("aws:principaltag/team"),
            ContextValue::Unknown
        );
    }
}
