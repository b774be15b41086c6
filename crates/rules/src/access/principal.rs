//! The principal whose access is evaluated, the policies that apply to it, and how a
//! resource-based policy's `Principal` or `NotPrincipal` element names it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tri::Tri;
use crate::helpers::iam::{Effect, Policy, Principals};

/// What kind of IAM identity makes the request. A user's group memberships are not a
/// kind of their own: the groups' policies are identity policies of the user, marked
/// with the group they come through ([`NamedPolicy::via_group`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    /// A session of the role (the role ARN identifies it; the session name may be
    /// known).
    Role,
    /// The account root user.
    Root,
}

/// One policy with the name and ARN that the explanation cites.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    /// Managed policies (customer or AWS managed) and SCPs have one; inline policies
    /// do not.
    pub arn: Option<String>,
    /// The IAM group a user receives this policy through.
    pub via_group: Option<String>,
    pub document: Policy,
}

impl NamedPolicy {
    pub fn inline(name: impl Into<String>, document: Policy) -> NamedPolicy {
        NamedPolicy {
            name: name.into(),
            arn: None,
            via_group: None,
            document,
        }
    }

    /// A managed policy, named after the last part of its ARN.
    pub fn managed(arn: impl Into<String>, document: Policy) -> NamedPolicy {
        let arn = arn.into();
        NamedPolicy {
            name: arn.rsplit('/').next().unwrap_or(&arn).to_owned(),
            arn: Some(arn),
            via_group: None,
            document,
        }
    }

    pub fn via_group(mut self, group: impl Into<String>) -> NamedPolicy {
        self.via_group = Some(group.into());
        self
    }
}

/// The service control policies attached at one level of the account's organisation
/// path (the root, each OU, the account). Every level must allow a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ScpLevel {
    /// The root, OU or account id the policies are attached to (`r-…`, `ou-…`, `…`).
    pub target: String,
    pub policies: Vec<NamedPolicy>,
}

/// A principal with everything that decides what it may do.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The user ARN, the role ARN (not the session's) or `arn:aws:iam::ACCOUNT:root`.
    pub arn: String,
    pub account: String,
    pub kind: PrincipalKind,
    /// The unique ID (`AIDA…` for users, `AROA…` for roles): trust policies store
    /// principals as these IDs, and `aws:userid` is built from it.
    pub unique_id: Option<String>,
    /// For a role: the session name, when known. Without it, policies that name one
    /// particular session cannot be decided.
    pub session_name: Option<String>,
    /// Every tag the principal (or session) carries, for `aws:PrincipalTag/…`; `None`
    /// when not known, which leaves those conditions undecided.
    pub tags: Option<BTreeMap<String, String>>,
    /// Inline and attached managed policies, the user's groups' policies included.
    pub identity_policies: Vec<NamedPolicy>,
    pub permissions_boundary: Option<NamedPolicy>,
    /// The SCPs on the account's organisation path, one entry per level. Empty when no
    /// SCP applies: outside an organisation, or in its management account.
    pub scps: Vec<ScpLevel>,
    /// Service-linked roles are not limited by SCPs.
    pub service_linked: bool,
}

impl Principal {
    fn new(arn: String, kind: PrincipalKind) -> Principal {
        Principal {
            account: arn_field(&arn, 4).unwrap_or_default().to_owned(),
            arn,
            kind,
            unique_id: None,
            session_name: None,
            tags: None,
            identity_policies: Vec::new(),
            permissions_boundary: None,
            scps: Vec::new(),
            service_linked: false,
        }
    }

    /// An IAM user, by ARN (`arn:aws:iam::ACCOUNT:user/PATH/NAME`).
    pub fn user(arn: impl Into<String>) -> Principal {
        Principal::new(arn.into(), PrincipalKind::User)
    }

    /// A session of an IAM role, by the role's ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub fn role(arn: impl Into<String>) -> Principal {
        Principal::new(arn.into(), PrincipalKind::Role)
    }

    /// The root user of an account. It has no tags and no permissions boundary.
    pub fn root(account: impl Into<String>) -> Principal {
        let account = account.into();
        let mut p = Principal::new(format!("arn:aws:iam::{account}:root"), PrincipalKind::Root);
        p.account = account;
        p.tags = Some(BTreeMap::new());
        p
    }

    pub fn with_policy(mut self, policy: NamedPolicy) -> Principal {
        self.identity_policies.push(policy);
        self
    }

    /// A policy the user receives as a member of `group`.
    pub fn with_group_policy(self, group: impl Into<String>, policy: NamedPolicy) -> Principal {
        self.with_policy(policy.via_group(group))
    }

    pub fn with_boundary(mut self, policy: NamedPolicy) -> Principal {
        self.permissions_boundary = Some(policy);
        self
    }

    /// Adds the next level of the organisation path, root first.
    pub fn with_scp_level(
        mut self,
        target: impl Into<String>,
        policies: Vec<NamedPolicy>,
    ) -> Principal {
        self.scps.push(ScpLevel {
            target: target.into(),
            policies,
        });
        self
    }

    /// Declares the principal's complete tag set (an empty map: no tags).
    pub fn with_tags(mut self, tags: BTreeMap<String, String>) -> Principal {
        self.tags = Some(tags);
        self
    }

    /// Adds one tag; the tag set counts as complete from then on.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Principal {
        self.tags
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    pub fn with_unique_id(mut self, id: impl Into<String>) -> Principal {
        self.unique_id = Some(id.into());
        self
    }

    pub fn with_session_name(mut self, name: impl Into<String>) -> Principal {
        self.session_name = Some(name.into());
        self
    }

    pub fn service_linked(mut self) -> Principal {
        self.service_linked = true;
        self
    }

    /// The friendly name: the last part of the ARN (`alice` for `user/ops/alice`).
    pub fn name(&self) -> &str {
        self.arn.rsplit(['/', ':']).next().unwrap_or(&self.arn)
    }

    /// The assumed-role session ARN, when the session name is known.
    pub fn session_arn(&self) -> Option<String> {
        match (self.kind, &self.session_name) {
            (PrincipalKind::Role, Some(session)) => Some(format!(
                "arn:{}:sts::{}:assumed-role/{}/{session}",
                arn_field(&self.arn, 1).unwrap_or("aws"),
                self.account,
                self.name()
            )),
            _ => None,
        }
    }
}

/// Field `n` (0-based) of a colon-separated ARN; the sixth takes the rest.
pub(crate) fn arn_field(arn: &str, n: usize) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    parts.nth(n.checked_sub(1)?)
}

/// How a resource-based policy statement names the requester, one answer per way of
/// naming it. Same-account evaluation treats them differently (AWS: "resource-based
/// policies that grant permissions to an IAM user ARN … are not limited by an implicit
/// deny in an identity-based policy or permissions boundary"; "Resource-based policies
/// that grant permissions to an IAM role ARN are limited by an implicit deny in a
/// permissions boundary or session policy"; an account principal "delegates authority
/// to the account").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Grants {
    /// The IAM user's ARN or unique ID, the role session's ARN, the root user through
    /// its own account, or everyone (`"*"`, a `NotPrincipal` that leaves it out).
    pub direct: Tri,
    /// The role's ARN or unique ID: reaches the role's sessions, within their boundary.
    pub role: Tri,
    /// The principal's account (`ACCOUNT` or `arn:aws:iam::ACCOUNT:root`): the
    /// account's identity policies decide.
    pub account: Tri,
}

impl Grants {
    pub const NONE: Grants = Grants {
        direct: Tri::No,
        role: Tri::No,
        account: Tri::No,
    };

    pub fn any(&self) -> Tri {
        self.direct.or(self.role).or(self.account)
    }

    fn or(self, other: Grants) -> Grants {
        Grants {
            direct: self.direct.or(other.direct),
            role: self.role.or(other.role),
            account: self.account.or(other.account),
        }
    }
}

/// Matches the `Principal` / `NotPrincipal` element of a resource-based statement
/// against the requester; the text says what matched or why nothing did.
pub(crate) fn match_principals(
    principals: &Principals,
    effect: Effect,
    principal: &Principal,
) -> (Grants, String) {
    match principals {
        Principals::Absent => (
            Grants::NONE,
            "no `Principal` element: a resource-based statement without one names no one"
                .to_owned(),
        ),
        Principals::Everyone => (
            Grants {
                direct: Tri::Yes,
                ..Grants::NONE
            },
            "`\"*\"` names every principal".to_owned(),
        ),
        Principals::Listed(list) => {
            let mut grants = Grants::NONE;
            let mut matched = Vec::new();
            for (kind, value) in list {
                let g = entry(kind, value, principal);
                if g.any() != Tri::No {
                    matched.push(format!("{kind}:{value} ({})", describe(&g)));
                }
                grants = grants.or(g);
            }
            let text = if matched.is_empty() {
                format!("no entry names `{}`", principal.arn)
            } else {
                format!("named by {}", matched.join(", "))
            };
            (grants, text)
        }
        Principals::AllBut(list) => not_principal(list, effect, principal),
    }
}

fn describe(g: &Grants) -> &'static str {
    let label = |t: Tri, known: &'static str, maybe: &'static str| match t {
        Tri::Yes => Some(known),
        Tri::Unknown => Some(maybe),
        Tri::No => None,
    };
    label(g.direct, "directly", "directly, if the session matches")
        .or_else(|| label(g.role, "by its role", "by its role, if the ID matches"))
        .or_else(|| label(g.account, "by its account", "by its account"))
        .unwrap_or("no")
}

fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// Unique IDs: `AIDA` (user), `AROA` (role), and other `A…` prefixes of 21 characters.
fn unique_id_kind(value: &str) -> Option<PrincipalKind> {
    let plausible = value.len() >= 16
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    match &value.get(..4) {
        Some("AIDA") if plausible => Some(PrincipalKind::User),
        Some("AROA") if plausible => Some(PrincipalKind::Role),
        _ => None,
    }
}

/// One entry of a `Principal` element. AWS: "You cannot use a wildcard to match part
/// of a principal name or ARN", so only a whole `"*"` is a wildcard.
fn entry(kind: &str, value: &str, p: &Principal) -> Grants {
    let direct = |t: Tri| Grants {
        direct: t,
        ..Grants::NONE
    };
    let value = value.trim();
    if kind.eq_ignore_ascii_case("CanonicalUser") {
        return direct((value == "*").into());
    }
    if !kind.eq_ignore_ascii_case("AWS") {
        // Service and Federated principals are not IAM users, roles or root users.
        return Grants::NONE;
    }
    if value == "*" {
        return direct(Tri::Yes);
    }
    let account = |acct: &str| {
        if acct != p.account {
            Grants::NONE
        } else if p.kind == PrincipalKind::Root {
            direct(Tri::Yes)
        } else {
            Grants {
                account: Tri::Yes,
                ..Grants::NONE
            }
        }
    };
    if is_account_id(value) {
        return account(value);
    }
    if let (Some(service), Some(acct), Some(resource)) = (
        arn_field(value, 2),
        arn_field(value, 4),
        arn_field(value, 5),
    ) {
        return match (service, resource) {
            ("iam", "root") => account(acct),
            ("iam", r) if r.starts_with("user/") => {
                direct((p.kind == PrincipalKind::User && value == p.arn).into())
            }
            ("iam", r) if r.starts_with("role/") => Grants {
                role: (p.kind == PrincipalKind::Role && value == p.arn).into(),
                ..Grants::NONE
            },
            ("sts", r) => match r
                .strip_prefix("assumed-role/")
                .and_then(|rest| rest.split_once('/'))
            {
                Some((role, session))
                    if p.kind == PrincipalKind::Role && acct == p.account && role == p.name() =>
                {
                    direct(match &p.session_name {
                        Some(name) => (name == session).into(),
                        None => Tri::Unknown,
                    })
                }
                _ => Grants::NONE,
            },
            _ => Grants::NONE,
        };
    }
    match (unique_id_kind(value), &p.unique_id) {
        (Some(kind), _) if kind != p.kind => Grants::NONE,
        (Some(_), Some(id)) => {
            let t = Tri::from(id == value);
            if p.kind == PrincipalKind::Role {
                Grants {
                    role: t,
                    ..Grants::NONE
                }
            } else {
                direct(t)
            }
        }
        (Some(PrincipalKind::Role), None) => Grants {
            role: Tri::Unknown,
            ..Grants::NONE
        },
        (Some(_), None) => direct(Tri::Unknown),
        (None, _) => Grants::NONE,
    }
}

/// `NotPrincipal`: AWS: "When you use `NotPrincipal` with `Deny`, you must also
/// specify the account ARN of the not-denied principal. Otherwise, the policy might
/// deny access to the entire account containing the principal", and for a role "AWS
/// might validate the account first, then the role, and then the assumed-role user".
/// So a principal escapes a `Deny` only when it and every identity above it (account,
/// role) are listed; when it is listed but a parent is not, AWS "might" deny, which
/// stays undecided. With a permissions boundary it never escapes: "The NotPrincipal
/// element with a Deny effect will always deny any IAM principal that has a
/// permissions boundary policy attached" (access_policies_boundaries).
///
/// With `Allow`, the statement grants everyone except the listed principals; a
/// principal is left out when it or an identity above it is listed.
fn not_principal(list: &[(String, String)], effect: Effect, p: &Principal) -> (Grants, String) {
    let listed = |pick: &dyn Fn(&Grants) -> Tri| {
        Tri::any(
            list.iter()
                .map(|(kind, value)| pick(&entry(kind, value, p))),
        )
    };
    // The account is listed when some entry names it (for the root user, "directly").
    let account_listed = Tri::any(list.iter().map(|(kind, value)| {
        let g = entry(kind, value, p);
        let names_account = is_account_id(value.trim())
            || arn_field(value.trim(), 5) == Some("root")
            || value.trim() == "*";
        if names_account { g.any() } else { Tri::No }
    }));
    let (own, parents) = match p.kind {
        PrincipalKind::Root => (account_listed, Tri::Yes),
        PrincipalKind::User => (listed(&|g| g.direct), account_listed),
        PrincipalKind::Role => {
            let session = listed(&|g| g.direct);
            (session, account_listed.and(listed(&|g| g.role)))
        }
    };
    match effect {
        Effect::Deny => {
            if p.permissions_boundary.is_some() && p.kind != PrincipalKind::Root {
                let g = Grants {
                    direct: Tri::Yes,
                    ..Grants::NONE
                };
                return (
                    g,
                    "NotPrincipal with Deny always denies a principal with a permissions boundary"
                        .to_owned(),
                );
            }
            let denied = match (own, parents) {
                (Tri::No, _) => Tri::Yes,
                (Tri::Yes, Tri::Yes) => Tri::No,
                _ => Tri::Unknown,
            };
            let text = match denied {
                Tri::Yes => format!("NotPrincipal does not list `{}`", p.arn),
                Tri::No => format!("NotPrincipal lists `{}` and its parents", p.arn),
                Tri::Unknown => format!(
                    "NotPrincipal lists `{}` but not surely every identity above it (account, role, session); AWS \"might\" deny",
                    p.arn
                ),
            };
            (
                Grants {
                    direct: denied,
                    ..Grants::NONE
                },
                text,
            )
        }
        Effect::Allow => {
            let left_out = own.or(account_listed).or(match p.kind {
                PrincipalKind::Role => listed(&|g| g.role),
                _ => Tri::No,
            });
            let text = match left_out {
                Tri::Yes => format!("NotPrincipal leaves out `{}`", p.arn),
                Tri::No => format!(
                    "NotPrincipal grants everyone but the listed, `{}` included",
                    p.arn
                ),
                Tri::Unknown => "NotPrincipal may leave out this session".to_owned(),
            };
            (
                Grants {
                    direct: !left_out,
                    ..Grants::NONE
                },
                text,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(values: &[&str]) -> Principals {
        Principals::Listed(
            values
                .iter()
                .map(|v| ("AWS".to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn grants(values: &[&str], p: &Principal) -> Grants {
        match_principals(&aws(values), Effect::Allow, p).0
    }

    /// AWS: "The account ARN and the shortened account ID behave the same way. Both
    /// delegate permissions to the account. Using the account ARN in the Principal
    /// element does not limit permissions to only the root user of the account."
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    #[test]
    fn account_principals_delegate_to_the_account() {
        let alice = Principal::user("arn:aws:iam::111122223333:user/alice");
        for value in ["111122223333", "arn:aws:iam::111122223333:root"] {
            let g = grants(&[value], &alice);
            assert_eq!(g.account, Tri::Yes, "{value}");
            assert_eq!(g.direct, Tri::No, "{value}");
        }
        assert_eq!(grants(&["444455556666"], &alice), Grants::NONE);
        let root = Principal::root("111122223333");
        assert_eq!(grants(&["111122223333"], &root).direct, Tri::Yes);
    }

    /// AWS: "You cannot use a wildcard to match part of a principal name or ARN."
    #[test]
    fn partial_wildcards_in_principals_match_nothing() {
        let alice = Principal::user("arn:aws:iam::111122223333:user/alice");
        assert_eq!(
            grants(&["arn:aws:iam::111122223333:user/*"], &alice),
            Grants::NONE
        );
        assert_eq!(grants(&["arn:aws:iam::*:root"], &alice), Grants::NONE);
        assert_eq!(grants(&["*"], &alice).direct, Tri::Yes);
    }

    #[test]
    fn users_roles_sessions_and_unique_ids() {
        let role = Principal::role("arn:aws:iam::111122223333:role/app");
        assert_eq!(
            grants(&["arn:aws:iam::111122223333:role/app"], &role).role,
            Tri::Yes
        );
        let session = "arn:aws:sts::111122223333:assumed-role/app/job-7";
        assert_eq!(grants(&[session], &role).direct, Tri::Unknown);
        let known = role.clone().with_session_name("job-7");
        assert_eq!(grants(&[session], &known).direct, Tri::Yes);
        assert_eq!(
            grants(
                &["arn:aws:sts::111122223333:assumed-role/app/other"],
                &known
            )
            .direct,
            Tri::No
        );
        assert_eq!(grants(&["AROAEXAMPLEID12345678"], &role).role, Tri::Unknown);
        let with_id = role.with_unique_id("AROAEXAMPLEID12345678");
        assert_eq!(grants(&["AROAEXAMPLEID12345678"], &with_id).role, Tri::Yes);
        assert_eq!(grants(&["AIDAEXAMPLEID12345678"], &with_id), Grants::NONE);
        let service = Principals::Listed(vec![("Service".into(), "ec2.amazonaws.com".into())]);
        assert_eq!(
            match_principals(&service, Effect::Allow, &with_id).0,
            Grants::NONE
        );
    }

    /// AWS NotPrincipal example: "all principals except the user named Bob in AWS
    /// account 444455556666 are explicitly denied … the NotPrincipal element contains
    /// the ARN of both the user Bob and the AWS account that Bob belongs to".
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    #[test]
    fn not_principal_with_deny_spares_only_fully_listed_principals() {
        let bob = Principal::user("arn:aws:iam::444455556666:user/Bob");
        let both = Principals::AllBut(vec![
            ("AWS".into(), "arn:aws:iam::444455556666:user/Bob".into()),
            ("AWS".into(), "arn:aws:iam::444455556666:root".into()),
        ]);
        assert_eq!(match_principals(&both, Effect::Deny, &bob).0.any(), Tri::No);
        let only_bob = Principals::AllBut(vec![(
            "AWS".into(),
            "arn:aws:iam::444455556666:user/Bob".into(),
        )]);
        assert_eq!(
            match_principals(&only_bob, Effect::Deny, &bob).0.any(),
            Tri::Unknown
        );
        let alice = Principal::user("arn:aws:iam::444455556666:user/alice");
        assert_eq!(
            match_principals(&both, Effect::Deny, &alice).0.any(),
            Tri::Yes
        );
        let bounded = bob.clone().with_boundary(NamedPolicy::inline(
            "b",
            Policy {
                version: None,
                statements: vec![],
            },
        ));
        assert_eq!(
            match_principals(&both, Effect::Deny, &bounded).0.any(),
            Tri::Yes
        );
        assert_eq!(
            match_principals(&both, Effect::Allow, &bob).0.any(),
            Tri::No
        );
        assert_eq!(
            match_principals(&both, Effect::Allow, &alice).0.direct,
            Tri::No,
            "alice's account is listed"
        );
    }
}
