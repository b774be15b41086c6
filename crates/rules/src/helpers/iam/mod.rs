//! IAM policy analysis: parse a policy document (object, JSON text, or the URL-encoded
//! JSON that the IAM API returns) and answer the questions rules ask of it.
//!
//! The analysis is deliberately pessimistic where IAM's answer depends on request
//! context Vigil does not have: a conditional Allow counts as allowing (it may), and a
//! conditional Deny does not count as denying (it may not). Public-principal checks go
//! the other way only for conditions that pin the caller to known accounts, networks or
//! organisations.

use serde::Serialize;
use thiserror::Error;
use vigil_inventory::Value;

/// Why a policy document could not be analysed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy document is not valid JSON: {0}")]
    Json(String),
    #[error("policy document has no `Statement`")]
    NoStatement,
    #[error("policy statement {index}: {message}")]
    Statement { index: usize, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, either as written (`Action`) or negated (`NotAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    /// No such element in the statement (trust policies have no `Resource`).
    Absent,
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// Who a statement applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// Identity policies have no principal element.
    Absent,
    /// `"*"`: everyone, signed or not.
    Everyone,
    /// `{"AWS": [...], "Service": [...], ...}` as (type, value) pairs.
    Listed(Vec<(String, String)>),
    /// `NotPrincipal`: everyone but the listed.
    AllBut(Vec<(String, String)>),
}

/// One condition test: operator, key and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principals: Principals,
    pub actions: Patterns,
    pub resources: Patterns,
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The policy language version (`Version`), when given. Policy variables such as
    /// `${aws:username}` are substituted only under `2012-10-17`; AWS reads them as
    /// literal text otherwise.
    pub version: Option<String>,
    pub statements: Vec<Statement>,
}

/// Condition keys that, when present with a concrete value, restrict a statement to
/// known callers, so that a `"*"` principal is not public.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:username",
    "kms:calleraccount",
];

impl Policy {
    /// Parses a document given as a JSON value: an object, or a string holding JSON
    /// (plain or URL-encoded).
    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        match value {
            Value::String(text) => Policy::from_text(text),
            Value::Object(_) => Policy::from_object(value),
            other => Err(PolicyError::Json(format!(
                "expected an object or a JSON string, found {}",
                kind_of(other)
            ))),
        }
    }

    /// Parses a document built in code as a `serde_json` value.
    pub fn from_json(value: &serde_json::Value) -> Result<Policy, PolicyError> {
        Policy::from_value(&Value::from(value))
    }

    /// Parses JSON text, URL-decoding it first when it is URL-encoded (as IAM returns it).
    pub fn from_text(text: &str) -> Result<Policy, PolicyError> {
        let trimmed = text.trim_start();
        let decoded;
        let json = if trimmed.starts_with('%') {
            decoded = percent_encoding::percent_decode_str(trimmed)
                .decode_utf8()
                .map_err(|e| PolicyError::Json(format!("bad URL encoding: {e}")))?
                .replace('+', " ");
            decoded.as_str()
        } else {
            trimmed
        };
        let value: Value =
            serde_json::from_str(json).map_err(|e| PolicyError::Json(e.to_string()))?;
        Policy::from_object(&value)
    }

    fn from_object(value: &Value) -> Result<Policy, PolicyError> {
        let statements = match value.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(item @ Value::Object(_)) => vec![item],
            Some(other) => {
                return Err(PolicyError::Json(format!(
                    "`Statement` must be an object or an array, found {}",
                    kind_of(other)
                )));
            }
            None => return Err(PolicyError::NoStatement),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                parse_statement(s).map_err(|message| PolicyError::Statement { index, message })
            })
            .collect::<Result<_, _>>()?;
        let version = value
            .get("Version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Policy {
            version,
            statements,
        })
    }

    /// Does the policy language version substitute policy variables? Only
    /// `2012-10-17` does; under `2008-10-17` or without `Version`, `${aws:username}`
    /// is literal text.
    pub fn supports_variables(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }

    /// Could this policy allow `action` on `resource`? Conditional Allows count;
    /// only unconditional Denies take it away.
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        let applies = |s: &&Statement| s.matches_action(action) && s.matches_resource(resource);
        let allowed = self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .any(|s| applies(&s));
        let denied = self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.conditions.is_empty())
            .any(|s| applies(&s));
        allowed && !denied
    }

    /// Does some Deny statement cover `action`, conditional or not? Guardrails such as
    /// service control policies often deny with a condition (everyone but a
    /// break-glass role), so a condition does not disqualify a Deny here.
    pub fn denies(&self, action: &str) -> bool {
        self.statements
            .iter()
            .any(|s| s.effect == Effect::Deny && s.matches_action(action))
    }

    /// Does the policy grant every action on every resource without condition, as
    /// CIS 1.16 and FSBP IAM.1 define administrator access? Any spelling of "every
    /// action" counts (`*`, `*:*`, `?*`), and so does a `NotAction` that still leaves
    /// the IAM writes that make anyone an administrator (`NotAction: iam:PassRole`).
    /// Only a Deny of every action undoes it: a narrower Deny leaves an admin who can
    /// remove that Deny.
    pub fn is_admin(&self) -> bool {
        let grants = self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.conditions.is_empty()
                && s.grants_every_action()
                && (s.resources == Patterns::Absent || every_resource(&s.resources))
        });
        let blocked = self.statements.iter().any(|s| {
            s.effect == Effect::Deny
                && s.conditions.is_empty()
                && matches!(&s.actions, Patterns::Only(list) if list.iter().any(|p| every_action(p)))
        });
        grants && !blocked
    }

    /// Does some Allow statement admit anyone (`"*"`, `{"AWS": "*"}` or a
    /// `NotPrincipal`) without a condition that pins the caller down?
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Allow && s.principals.includes_everyone() && !s.is_restricted()
        })
    }

    /// Is `key` tested by a condition of any statement? Keys compare case-insensitively.
    pub fn has_condition_key(&self, key: &str) -> bool {
        self.statements
            .iter()
            .flat_map(|s| &s.conditions)
            .any(|c| c.key.eq_ignore_ascii_case(key))
    }

    /// Does the policy deny requests that do not use TLS (a Deny on
    /// `aws:SecureTransport` = false for everyone)?
    pub fn denies_insecure_transport(&self) -> bool {
        self.statements.iter().any(|s| {
            s.effect == Effect::Deny
                && s.principals.includes_everyone()
                && s.conditions.iter().any(|c| {
                    c.operator.to_ascii_lowercase().starts_with("bool")
                        && c.key.eq_ignore_ascii_case("aws:SecureTransport")
                        && c.values.iter().any(|v| v.eq_ignore_ascii_case("false"))
                })
        })
    }

    /// The principals of `kind` named by Allow statements that do not test the condition
    /// `key`: who may act (typically assume a role) without, say, an `sts:ExternalId`
    /// or an OIDC `sub`. Keys compare case-insensitively; a `key` starting with `:`
    /// matches every key ending with it (`:sub` matches `<provider>:sub`).
    pub fn principals_without(&self, kind: &str, key: &str) -> Vec<String> {
        let key = key.to_ascii_lowercase();
        let tests = |c: &Condition| {
            let k = c.key.to_ascii_lowercase();
            if key.starts_with(':') {
                k.ends_with(&key)
            } else {
                k == key
            }
        };
        let mut out: Vec<String> = self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && !s.conditions.iter().any(tests))
            .flat_map(|s| match &s.principals {
                Principals::Listed(list) => list
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(kind))
                    .map(|(_, v)| v.clone())
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every principal named by an Allow statement, as `TYPE:value` (`AWS:arn:...`,
    /// `Service:ec2.amazonaws.com`, `*` for everyone).
    pub fn allowed_principals(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.statements.iter().filter(|s| s.effect == Effect::Allow) {
            match &s.principals {
                Principals::Everyone | Principals::AllBut(_) => out.push("*".to_owned()),
                Principals::Listed(list) => {
                    out.extend(list.iter().map(|(kind, value)| format!("{kind}:{value}")))
                }
                Principals::Absent => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Statement {
    pub fn matches_action(&self, action: &str) -> bool {
        match &self.actions {
            Patterns::Absent => false,
            Patterns::Only(list) => list.iter().any(|p| wildcard_match(p, action, false)),
            Patterns::AllBut(list) => !list.iter().any(|p| wildcard_match(p, action, false)),
        }
    }

    pub fn matches_resource(&self, resource: &str) -> bool {
        match &self.resources {
            Patterns::Absent => true,
            Patterns::Only(list) => list.iter().any(|p| wildcard_match(p, resource, true)),
            Patterns::AllBut(list) => !list.iter().any(|p| wildcard_match(p, resource, true)),
        }
    }

    /// Does the statement allow every action: a pattern matching any action, or a
    /// `NotAction` that leaves the actions that grant administrator access?
    fn grants_every_action(&self) -> bool {
        match &self.actions {
            Patterns::Only(list) => list.iter().any(|p| every_action(p)),
            Patterns::AllBut(_) => ESCALATION_PROBES.iter().all(|a| self.matches_action(a)),
            Patterns::Absent => false,
        }
    }

    /// A condition that pins the caller to known accounts, organisations, networks or
    /// principals. Negated operators (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`)
    /// grant everyone *outside* the named set, so they never restrict; nor do
    /// `…IfExists`, `Null`, `ForAllValues` (true when the key is absent), wildcard
    /// values that leave the account or organisation open (`o-*`, `arn:aws:iam::*:…`)
    /// or address blocks that together span a large part of the internet.
    fn is_restricted(&self) -> bool {
        self.conditions.iter().any(|c| {
            let op = c.operator.to_ascii_lowercase();
            let key = c.key.to_ascii_lowercase();
            RESTRICTING_KEYS.contains(&key.as_str())
                && !op.contains("not")
                && !op.contains("ifexists")
                && !op.starts_with("null")
                && !op.starts_with("forallvalues")
                && !c.values.is_empty()
                && if key.ends_with("sourceip") {
                    op.contains("ipaddress") && c.values.iter().all(|v| narrow_ip_block(v))
                } else {
                    c.values
                        .iter()
                        .all(|v| concrete_value(&key, v, op.contains("like")))
                }
        })
    }
}

/// Actions whose grant makes a principal an administrator or lets it become one: a
/// `NotAction` statement that still allows all of them grants administrator access.
const ESCALATION_PROBES: &[&str] = &[
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateAccessKey",
    "sts:AssumeRole",
    "s3:GetObject",
    "ec2:RunInstances",
    "kms:Decrypt",
];

/// Does an action pattern match every action? It must be made of wildcards only
/// (`*`, `?*`, `*:*`) and match actions of every shape, the shortest included.
fn every_action(pattern: &str) -> bool {
    pattern.contains('*')
        && pattern.chars().all(|c| matches!(c, '*' | '?' | ':'))
        && ["a:B", "s3:GetObject", "iam:AttachUserPolicy"]
            .iter()
            .all(|a| wildcard_match(pattern, a, false))
}

/// Does a resource pattern match every resource (`*`, `?*`, `arn:*`, `arn:aws:*`)?
fn every_resource(patterns: &Patterns) -> bool {
    const PROBES: &[&str] = &[
        "arn:aws:iam::123456789012:role/r",
        "arn:aws:s3:::b/k",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
        "arn:aws:kms:eu-west-1:123456789012:key/k",
    ];
    match patterns {
        Patterns::Only(list) => list
            .iter()
            .any(|p| PROBES.iter().all(|r| wildcard_match(p, r, true))),
        // `NotResource` leaves something out: not every resource.
        Patterns::AllBut(_) => false,
        Patterns::Absent => true,
    }
}

/// Is a condition value specific enough to name one account, organisation or
/// principal? Under a `…Like` operator, wildcards may only follow the part that names
/// the account (ARNs) or the organisation (organisation paths).
fn concrete_value(key: &str, value: &str, like: bool) -> bool {
    let wild = |s: &str| like && (s.contains('*') || s.contains('?'));
    if value.is_empty() || value == "*" {
        return false;
    }
    match key {
        "aws:sourcearn" | "aws:principalarn" => {
            // arn:partition:service:region:account:resource — the account (or, for S3
            // buckets, which have none, the resource) must be fixed.
            let parts: Vec<&str> = value.splitn(6, ':').collect();
            if parts.len() < 6 || parts[..3].iter().any(|p| wild(p)) {
                return false;
            }
            if parts[4].is_empty() {
                let head = parts[5].split('/').next().unwrap_or("");
                !head.is_empty() && !wild(head)
            } else {
                !wild(parts[4])
            }
        }
        "aws:principalorgpaths" | "aws:sourceorgpaths" => {
            let org = value.split('/').next().unwrap_or("");
            !org.is_empty() && !wild(org)
        }
        _ => !wild(value) && !value.ends_with(":*"),
    }
}

/// Is an address block narrow enough to pin callers to a network? Blocks wider than
/// a /8 (IPv4) or a /16 (IPv6), such as `0.0.0.0/1`, span much of the internet.
fn narrow_ip_block(value: &str) -> bool {
    match crate::helpers::net::parse_cidr(value) {
        Ok(ipnet::IpNet::V4(net)) => net.prefix_len() >= 8,
        Ok(ipnet::IpNet::V6(net)) => net.prefix_len() >= 16,
        Err(_) => false,
    }
}

impl Principals {
    fn includes_everyone(&self) -> bool {
        match self {
            Principals::Everyone | Principals::AllBut(_) => true,
            Principals::Listed(list) => list
                .iter()
                .any(|(kind, value)| value == "*" && (kind == "AWS" || kind == "CanonicalUser")),
            Principals::Absent => false,
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_statement(s: &Value) -> Result<Statement, String> {
    let obj = s
        .as_object()
        .ok_or_else(|| format!("expected an object, found {}", kind_of(s)))?;
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(format!("`Effect` must be Allow or Deny, found `{other}`")),
        None => return Err("missing `Effect`".to_owned()),
    };
    let actions = patterns(obj.get("Action"), obj.get("NotAction"), "Action")?;
    if actions == Patterns::Absent {
        return Err("missing `Action` or `NotAction`".to_owned());
    }
    let resources = patterns(obj.get("Resource"), obj.get("NotResource"), "Resource")?;
    let principals = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err("both `Principal` and `NotPrincipal`".to_owned()),
        (Some(Value::String(star)), None) if &**star == "*" => Principals::Everyone,
        (Some(p), None) => Principals::Listed(principal_list(p)?),
        (None, Some(p)) => Principals::AllBut(principal_list(p)?),
        (None, None) => Principals::Absent,
    };
    let mut conditions = Vec::new();
    if let Some(cond) = obj.get("Condition") {
        let cond = cond
            .as_object()
            .ok_or_else(|| format!("`Condition` must be an object, found {}", kind_of(cond)))?;
        for (operator, tests) in cond {
            let tests = tests.as_object().ok_or_else(|| {
                format!(
                    "`Condition.{operator}` must be an object, found {}",
                    kind_of(tests)
                )
            })?;
            for (key, values) in tests {
                conditions.push(Condition {
                    operator: operator.to_owned(),
                    key: key.to_owned(),
                    values: string_list(values)
                        .map_err(|e| format!("`Condition.{operator}.{key}`: {e}"))?,
                });
            }
        }
    }
    Ok(Statement {
        sid: obj.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

fn patterns(only: Option<&Value>, all_but: Option<&Value>, name: &str) -> Result<Patterns, String> {
    match (only, all_but) {
        (Some(_), Some(_)) => Err(format!("both `{name}` and `Not{name}`")),
        (Some(v), None) => Ok(Patterns::Only(
            string_list(v).map_err(|e| format!("`{name}`: {e}"))?,
        )),
        (None, Some(v)) => Ok(Patterns::AllBut(
            string_list(v).map_err(|e| format!("`Not{name}`: {e}"))?,
        )),
        (None, None) => Ok(Patterns::Absent),
    }
}

/// IAM accepts a single value or a list; values may be strings, numbers or booleans.
fn string_list(value: &Value) -> Result<Vec<String>, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(String::from(&**s)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "expected a string or a list of strings, found {}",
            kind_of(other)
        )),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn principal_list(value: &Value) -> Result<Vec<(String, String)>, String> {
    match value {
        Value::String(s) => Ok(vec![("AWS".to_owned(), String::from(&**s))]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, values) in map {
                for v in string_list(values).map_err(|e| format!("`Principal.{kind}`: {e}"))? {
                    out.push((kind.to_owned(), v));
                }
            }
            Ok(out)
        }
        other => Err(format!(
            "`Principal` must be \"*\" or an object, found {}",
            kind_of(other)
        )),
    }
}

/// One element of an IAM wildcard pattern: a literal character, `?` (any one
/// character) or `*` (any run of characters). Policy variables such as `${*}` produce
/// literal `*` characters, which is why patterns are tokens and not plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glob {
    Lit(char),
    One,
    Any,
}

/// Reads `*` and `?` as wildcards and every other character as itself.
pub fn glob(pattern: &str) -> Vec<Glob> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Glob::Any,
            '?' => Glob::One,
            c => Glob::Lit(c),
        })
        .collect()
}

/// IAM wildcard match: `*` any run of characters, `?` one character. Actions compare
/// case-insensitively, resources case-sensitively.
pub fn wildcard_match(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    glob_match(&glob(pattern), text, case_sensitive)
}

/// [`wildcard_match`] over a tokenised pattern.
///
/// Linear in the text for hostile input: the pattern is cut at its stars, the first
/// piece must start the text and the last must end it, and each piece in between is
/// found leftmost after the previous one (leftmost is always safe: a star absorbs what
/// lies between). Pieces without `?` are found with Knuth–Morris–Pratt; pieces with `?`
/// by direct comparison at each position.
pub fn glob_match(pattern: &[Glob], text: &str, case_sensitive: bool) -> bool {
    let fold = |c: char| {
        if case_sensitive {
            c
        } else {
            c.to_ascii_lowercase()
        }
    };
    // Most policy patterns hold at most one `*` (`*`, `s3:*`, `s3:GetObject`,
    // `arn:aws:s3:::bucket/*`): those are matched from both ends without copying the
    // pattern or the text, which policy evaluation does for every statement it reads.
    let stars = pattern.iter().filter(|&&g| g == Glob::Any).count();
    if stars <= 1 {
        let lit = |g: &Glob, c: char| match *g {
            Glob::Lit(l) => fold(l) == fold(c),
            _ => true,
        };
        let chars = text.chars().count();
        let Some(star) = pattern.iter().position(|&g| g == Glob::Any) else {
            return chars == pattern.len()
                && pattern.iter().zip(text.chars()).all(|(g, c)| lit(g, c));
        };
        let (first, last) = (&pattern[..star], &pattern[star + 1..]);
        return chars >= first.len() + last.len()
            && first.iter().zip(text.chars()).all(|(g, c)| lit(g, c))
            && last
                .iter()
                .rev()
                .zip(text.chars().rev())
                .all(|(g, c)| lit(g, c));
    }
    by_pieces(pattern, text, case_sensitive)
}

/// [`glob_match`] for any pattern: cut at the stars, as its comment says.
fn by_pieces(pattern: &[Glob], text: &str, case_sensitive: bool) -> bool {
    let fold = |c: char| {
        if case_sensitive {
            c
        } else {
            c.to_ascii_lowercase()
        }
    };
    let p: Vec<Glob> = pattern
        .iter()
        .map(|g| match *g {
            Glob::Lit(c) => Glob::Lit(fold(c)),
            other => other,
        })
        .collect();
    let t: Vec<char> = text.chars().map(fold).collect();
    let pieces: Vec<&[Glob]> = p.split(|&g| g == Glob::Any).collect();
    if pieces.len() == 1 {
        return same(&p, &t);
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if t.len() < first.len() + last.len()
        || !same(first, &t[..first.len()])
        || !same(last, &t[t.len() - last.len()..])
    {
        return false;
    }
    let mut from = first.len();
    let end = t.len() - last.len();
    for piece in &pieces[1..pieces.len() - 1] {
        if piece.is_empty() {
            continue;
        }
        match find(piece, &t[from..end]) {
            Some(at) => from += at + piece.len(),
            None => return false,
        }
    }
    true
}

/// Does a star-free piece match `at` exactly (`?` matching any one character)?
fn same(piece: &[Glob], at: &[char]) -> bool {
    piece.len() == at.len()
        && piece.iter().zip(at).all(|(g, &c)| match *g {
            Glob::Lit(l) => l == c,
            _ => true,
        })
}

/// Leftmost position of a star-free `piece` in `text`, where `?` matches any one char.
fn find(piece: &[Glob], text: &[char]) -> Option<usize> {
    if piece.len() > text.len() {
        return None;
    }
    if piece.contains(&Glob::One) {
        return (0..=text.len() - piece.len()).find(|&i| same(piece, &text[i..i + piece.len()]));
    }
    let piece: Vec<char> = piece
        .iter()
        .filter_map(|g| match *g {
            Glob::Lit(c) => Some(c),
            _ => None,
        })
        .collect();
    // Knuth–Morris–Pratt: the failure table, then one pass over the text.
    let mut fail = vec![0usize; piece.len()];
    let mut k = 0;
    for i in 1..piece.len() {
        while k > 0 && piece[i] != piece[k] {
            k = fail[k - 1];
        }
        if piece[i] == piece[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, &c) in text.iter().enumerate() {
        while k > 0 && c != piece[k] {
            k = fail[k - 1];
        }
        if c == piece[k] {
            k += 1;
        }
        if k == piece.len() {
            return Some(i + 1 - k);
        }
    }
    None
}

#[cfg(test)]
mod tests;
