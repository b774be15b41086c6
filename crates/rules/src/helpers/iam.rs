//! IAM policy analysis: parse a policy document (object, JSON text, or the URL-encoded
//! JSON that the IAM API returns) and answer the questions rules ask of it.
//!
//! The analysis is deliberately pessimistic where IAM's answer depends on request
//! context Vigil does not have: a conditional Allow counts as allowing (it may), and a
//! conditional Deny does not count as denying (it may not). Public-principal checks go
//! the other way only for conditions that pin the caller to known accounts, networks or
//! organisations.

use serde_json::Value;
use thiserror::Error;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        Ok(Policy { statements })
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
    /// CIS 1.16 and FSBP IAM.1 define administrator access? Only a Deny of every
    /// action undoes it: a narrower Deny leaves an admin who can remove that Deny.
    pub fn is_admin(&self) -> bool {
        let full = |p: &Patterns| matches!(p, Patterns::Only(list) if list.iter().any(|x| x == "*" || x == "*:*"));
        let grants = self.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.conditions.is_empty()
                && full(&s.actions)
                && (full(&s.resources) || s.resources == Patterns::Absent)
        });
        let blocked = self
            .statements
            .iter()
            .any(|s| s.effect == Effect::Deny && s.conditions.is_empty() && full(&s.actions));
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

    /// A condition on a restricting key whose values are all concrete.
    fn is_restricted(&self) -> bool {
        self.conditions.iter().any(|c| {
            let op = c.operator.to_ascii_lowercase();
            RESTRICTING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
                && !op.starts_with("not")
                && !op.contains("ifexists")
                && !op.starts_with("null")
                && !c.values.is_empty()
                && c.values
                    .iter()
                    .all(|v| v != "*" && v != "0.0.0.0/0" && v != "::/0" && !v.ends_with(":*"))
        })
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
        (Some(Value::String(star)), None) if star == "*" => Principals::Everyone,
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
                    operator: operator.clone(),
                    key: key.clone(),
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
        Value::String(s) => Ok(s.clone()),
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
        Value::String(s) => Ok(vec![("AWS".to_owned(), s.clone())]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, values) in map {
                for v in string_list(values).map_err(|e| format!("`Principal.{kind}`: {e}"))? {
                    out.push((kind.clone(), v));
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

/// IAM wildcard match: `*` any run of characters, `?` one character. Actions compare
/// case-insensitively, resources case-sensitively.
pub fn wildcard_match(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    let eq = |a: char, b: char| {
        if case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    };
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {

    #[test]
    fn denies_sees_conditional_and_wildcard_denies() {
        let scp = Policy::from_text(
            r#"{"Statement":[
                {"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
                {"Effect":"Deny","Action":["cloudtrail:Stop*","cloudtrail:DeleteTrail"],"Resource":"*",
                 "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}},
                {"Effect":"Allow","Action":"guardduty:DeleteDetector","Resource":"*"}]}"#,
        )
        .unwrap();
        assert!(scp.denies("organizations:LeaveOrganization"));
        assert!(scp.denies("CloudTrail:StopLogging"));
        assert!(scp.denies("cloudtrail:DeleteTrail"));
        assert!(!scp.denies("cloudtrail:UpdateTrail"));
        assert!(
            !scp.denies("guardduty:DeleteDetector"),
            "an Allow is not a Deny"
        );
        let not_action = Policy::from_text(
            r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#,
        )
        .unwrap();
        assert!(not_action.denies("config:StopConfigurationRecorder"));
        assert!(!not_action.denies("iam:CreateUser"));
    }
    use super::*;
    use serde_json::json;

    fn policy(v: Value) -> Policy {
        Policy::from_value(&v).unwrap()
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject", false));
        assert!(wildcard_match("S3:get*", "s3:GetObject", false));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject", false));
        assert!(wildcard_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", true));
        assert!(!wildcard_match(
            "arn:aws:s3:::B/*",
            "arn:aws:s3:::b/k",
            true
        ));
        assert!(wildcard_match("iam:?etUser", "iam:GetUser", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("a?", "a", false));
    }

    #[test]
    fn allow_and_explicit_deny() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
        ]}));
        assert!(p.allows("s3:GetObject", "arn:aws:s3:::b/k"));
        assert!(!p.allows("s3:DeleteBucket", "arn:aws:s3:::b"));
        assert!(!p.allows("ec2:RunInstances", "*"));
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = policy(
            json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}}),
        );
        assert!(p.allows("s3:GetObject", "arn:aws:s3:::public/x"));
        assert!(!p.allows("iam:CreateUser", "*"));
        assert!(!p.allows("s3:GetObject", "arn:aws:s3:::secret/x"));
    }

    #[test]
    fn conditional_deny_does_not_remove_an_allow() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]}));
        assert!(p.allows("iam:CreateUser", "*"));
        assert!(p.has_condition_key("AWS:MultiFactorAuthPresent"));
        assert!(!p.has_condition_key("aws:SourceIp"));
    }

    #[test]
    fn admin_detection() {
        assert!(
            policy(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
                .is_admin()
        );
        assert!(
            policy(
                json!({"Statement": [{"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}]})
            )
            .is_admin()
        );
        assert!(
            !policy(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
                .is_admin()
        );
        assert!(!policy(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]})).is_admin());
        assert!(!policy(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})).is_admin());
        assert!(
            !policy(json!({"Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": "*"}
            ]}))
            .is_admin()
        );
    }

    #[test]
    fn public_principals() {
        let star = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
        assert!(policy(star).is_public());
        let aws_star = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}, "Action": "sqs:*", "Resource": "*"}]});
        assert!(policy(aws_star).is_public());
        let restricted = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]});
        assert!(!policy(restricted).is_public());
        let fake_restriction = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}]});
        assert!(policy(fake_restriction).is_public());
        let not_restricting = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]});
        assert!(policy(not_restricting).is_public());
        let account = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy(account).is_public());
        let service = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"}]});
        assert!(!policy(service).is_public());
        let deny_star = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy(deny_star).is_public());
    }

    #[test]
    fn secure_transport() {
        let p = policy(
            json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
        );
        assert!(p.denies_insecure_transport());
        let p = policy(
            json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": false}}}]}),
        );
        assert!(p.denies_insecure_transport(), "booleans as JSON booleans");
        let p = policy(
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}),
        );
        assert!(!p.denies_insecure_transport());
    }

    #[test]
    fn parses_text_and_url_encoded_text() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(Policy::from_text(text).unwrap().is_admin());
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        assert!(Policy::from_text(encoded).unwrap().is_admin());
    }

    #[test]
    fn malformed_documents_are_errors_that_say_where() {
        assert!(matches!(
            Policy::from_text("{not json"),
            Err(PolicyError::Json(_))
        ));
        assert_eq!(
            Policy::from_value(&json!({"Version": "2012-10-17"})),
            Err(PolicyError::NoStatement)
        );
        let err = Policy::from_value(&json!({"Statement": [{"Effect": "Allow", "Action": "*"}, {"Effect": "Maybe", "Action": "*"}]})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy statement 1: `Effect` must be Allow or Deny, found `Maybe`"
        );
        let err = Policy::from_value(&json!({"Statement": {"Effect": "Allow", "Resource": "*"}}))
            .unwrap_err();
        assert!(err.to_string().contains("missing `Action`"));
        assert!(Policy::from_value(&json!(42)).is_err());
    }

    #[test]
    fn principals_listed() {
        let p = policy(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root", "Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}),
        );
        assert_eq!(
            p.allowed_principals(),
            vec!["AWS:arn:aws:iam::1:root", "Service:ec2.amazonaws.com"]
        );
    }
}
