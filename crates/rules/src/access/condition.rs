//! Condition operators, evaluated as far as the request context allows.
//!
//! Every operator of the IAM policy language: String*, Numeric*, Date*, Bool,
//! BinaryEquals, IpAddress/NotIpAddress, Arn*, Null, the `…IfExists` suffix and the
//! `ForAnyValue:` / `ForAllValues:` set qualifiers. A test over a key whose value is
//! unknown is `Unknown`, never guessed.
//!
//! The documented rules applied here
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html):
//! - "If the key that you specify in a policy condition is not present in the request
//!   context, the values do not match and the condition is false. If the policy
//!   condition requires that the key is not matched, such as StringNotLike or
//!   ArnNotLike, and the right key is not present, the condition is true. This logic
//!   applies to all condition operators except ...IfExists and Null check."
//! - `…IfExists`: "If the key is not present, evaluate the condition element as true."
//! - "If a single condition operator includes multiple values for a context key, those
//!   values are evaluated using a logical OR"; for a negated operator "using a logical
//!   NOR".
//! - `ForAllValues` is true when every request value matches some policy value, and
//!   when the key is missing or empty; `ForAnyValue` when some request value does, and
//!   false when the key is missing or empty.
//!
//! Readings AWS does not document: a policy value that does not parse for the
//! operator's type (a number, date or address) matches nothing; a request value that
//! does not parse matches nothing; a four-digit date is a year, a longer run of digits
//! is epoch seconds; a multivalued key under an operator without a set qualifier
//! matches when any of its values does (negated: when none does).

use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::context::{ContextValue, Lookup};
use super::tri::Tri;
use super::variables::{Resolved, literal, resolve};
use crate::helpers::iam::{Condition, Glob, glob, glob_match};
use crate::helpers::net::parse_cidr;

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// The comparison a condition operator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const TESTS: &[(&str, Test)] = &[
    ("StringEquals", Test::StringEquals),
    ("StringNotEquals", Test::StringNotEquals),
    ("StringEqualsIgnoreCase", Test::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Test::StringNotEqualsIgnoreCase),
    ("StringLike", Test::StringLike),
    ("StringNotLike", Test::StringNotLike),
    ("NumericEquals", Test::NumericEquals),
    ("NumericNotEquals", Test::NumericNotEquals),
    ("NumericLessThan", Test::NumericLessThan),
    ("NumericLessThanEquals", Test::NumericLessThanEquals),
    ("NumericGreaterThan", Test::NumericGreaterThan),
    ("NumericGreaterThanEquals", Test::NumericGreaterThanEquals),
    ("DateEquals", Test::DateEquals),
    ("DateNotEquals", Test::DateNotEquals),
    ("DateLessThan", Test::DateLessThan),
    ("DateLessThanEquals", Test::DateLessThanEquals),
    ("DateGreaterThan", Test::DateGreaterThan),
    ("DateGreaterThanEquals", Test::DateGreaterThanEquals),
    ("Bool", Test::Bool),
    ("BinaryEquals", Test::BinaryEquals),
    ("IpAddress", Test::IpAddress),
    ("NotIpAddress", Test::NotIpAddress),
    ("ArnEquals", Test::ArnEquals),
    ("ArnLike", Test::ArnLike),
    ("ArnNotEquals", Test::ArnNotEquals),
    ("ArnNotLike", Test::ArnNotLike),
    ("Null", Test::Null),
];

impl Test {
    /// Negated operators match when no policy value matches (logical NOR), and when
    /// the key is missing.
    pub fn negated(self) -> bool {
        matches!(
            self,
            Test::StringNotEquals
                | Test::StringNotEqualsIgnoreCase
                | Test::StringNotLike
                | Test::NumericNotEquals
                | Test::DateNotEquals
                | Test::NotIpAddress
                | Test::ArnNotEquals
                | Test::ArnNotLike
        )
    }

    /// AWS: "You can use a policy variable with the String condition operator", "with
    /// the ARN condition operator" and "with the Boolean condition operator"; not with
    /// the others.
    fn takes_variables(self) -> bool {
        matches!(
            self,
            Test::StringEquals
                | Test::StringNotEquals
                | Test::StringEqualsIgnoreCase
                | Test::StringNotEqualsIgnoreCase
                | Test::StringLike
                | Test::StringNotLike
                | Test::ArnEquals
                | Test::ArnLike
                | Test::ArnNotEquals
                | Test::ArnNotLike
                | Test::Bool
        )
    }

    fn wildcards(self) -> bool {
        matches!(
            self,
            Test::StringLike
                | Test::StringNotLike
                | Test::ArnEquals
                | Test::ArnLike
                | Test::ArnNotEquals
                | Test::ArnNotLike
        )
    }
}

/// A parsed condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub test: Test,
    pub if_exists: bool,
}

impl FromStr for Operator {
    type Err = String;

    /// Operator names compare case-insensitively. `Null` takes no `IfExists`.
    fn from_str(text: &str) -> Result<Operator, String> {
        let unknown = || format!("unknown condition operator `{text}`");
        let lower = text.to_ascii_lowercase();
        let (qualifier, rest) = if let Some(rest) = lower.strip_prefix("foranyvalue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = lower.strip_prefix("forallvalues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, lower.as_str())
        };
        let (name, if_exists) = match rest.strip_suffix("ifexists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let test = TESTS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, t)| t)
            .ok_or_else(unknown)?;
        if test == Test::Null && if_exists {
            return Err(unknown());
        }
        Ok(Operator {
            qualifier,
            test,
            if_exists,
        })
    }
}

/// The result of one condition (operator, key, values) against the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionOutcome {
    pub outcome: Tri,
    pub detail: String,
    /// Keys whose unknown values left the outcome undecided.
    pub unknown_keys: Vec<String>,
    /// A policy variable's key is absent: the whole statement is invalid.
    pub invalid: bool,
}

impl ConditionOutcome {
    fn decided(outcome: bool, detail: String) -> ConditionOutcome {
        ConditionOutcome {
            outcome: outcome.into(),
            detail,
            unknown_keys: Vec::new(),
            invalid: false,
        }
    }

    fn unknown(keys: Vec<String>, detail: String) -> ConditionOutcome {
        ConditionOutcome {
            outcome: Tri::Unknown,
            detail,
            unknown_keys: keys,
            invalid: false,
        }
    }
}

/// Evaluates one condition. `variables` says whether the policy's language version
/// substitutes policy variables.
pub(crate) fn evaluate(cond: &Condition, lookup: &Lookup, variables: bool) -> ConditionOutcome {
    let op: Operator = match cond.operator.parse() {
        Ok(op) => op,
        Err(message) => {
            return ConditionOutcome::unknown(
                Vec::new(),
                format!("{message}: Vigil cannot evaluate it"),
            );
        }
    };
    let key = cond.key.as_str();
    let value = lookup.get(key);
    let shown = match &value {
        ContextValue::Unknown => "unknown".to_owned(),
        ContextValue::Absent => "absent".to_owned(),
        ContextValue::Values(v) if v.is_empty() => "empty".to_owned(),
        ContextValue::Values(v) if v.len() == 1 => format!("`{}`", v[0]),
        ContextValue::Values(v) => format!("{v:?}"),
    };
    if op.test == Test::Null {
        let is_null = match &value {
            ContextValue::Unknown => {
                return ConditionOutcome::unknown(
                    vec![key.to_owned()],
                    format!("Null on `{key}`: whether it is present is unknown"),
                );
            }
            ContextValue::Absent => true,
            ContextValue::Values(v) => v.is_empty(),
        };
        let held = cond
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case(if is_null { "true" } else { "false" }));
        return ConditionOutcome::decided(
            held,
            format!(
                "Null {:?} on `{key}`, which is {}",
                cond.values,
                if is_null { "absent" } else { "present" }
            ),
        );
    }
    let request: Vec<String> = match value {
        ContextValue::Unknown => {
            return ConditionOutcome::unknown(
                vec![key.to_owned()],
                format!("{} on `{key}`: its value is unknown", cond.operator),
            );
        }
        ContextValue::Absent => Vec::new(),
        ContextValue::Values(v) => v,
    };
    if request.is_empty() {
        let held = if op.if_exists {
            true
        } else {
            match op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.test.negated(),
            }
        };
        return ConditionOutcome::decided(
            held,
            format!(
                "{} on `{key}`, which is {shown}: {}",
                cond.operator,
                if held { "holds" } else { "does not hold" }
            ),
        );
    }
    // Resolve the policy values once.
    let mut patterns = Vec::with_capacity(cond.values.len());
    let mut unknown_vars = Vec::new();
    let mut may_be_invalid = false;
    for v in &cond.values {
        let resolved = if op.test.takes_variables() {
            resolve(v, op.test.wildcards(), variables, lookup)
        } else {
            Resolved::Pattern(glob_or_literal(v, op.test.wildcards()))
        };
        match resolved {
            Resolved::Pattern(p) => patterns.push(Some(p)),
            Resolved::Unknown {
                keys,
                may_be_invalid: maybe,
            } => {
                unknown_vars.extend(keys);
                may_be_invalid |= maybe;
                patterns.push(None);
            }
            Resolved::Invalid(var) => {
                return ConditionOutcome {
                    outcome: Tri::No,
                    detail: format!(
                        "policy variable `${{{var}}}` is not present in the request: the statement is invalid"
                    ),
                    unknown_keys: Vec::new(),
                    invalid: true,
                };
            }
        }
    }
    // One request value against every policy value: OR, or NOR when negated.
    let one = |r: &str| {
        let any = Tri::any(patterns.iter().map(|p| match p {
            Some(p) => Tri::from(compare(op.test, r, p)),
            None => Tri::Unknown,
        }));
        if op.test.negated() { !any } else { any }
    };
    let per_value = request.iter().map(|r| one(r));
    let outcome = match op.qualifier {
        Some(SetQualifier::ForAllValues) => Tri::all(per_value),
        Some(SetQualifier::ForAnyValue) => Tri::any(per_value),
        None if op.test.negated() => Tri::all(per_value),
        None => Tri::any(per_value),
    };
    // A variable that may yet be absent may make the statement invalid: a condition
    // that holds might not.
    let outcome = if may_be_invalid && outcome.is_yes() {
        Tri::Unknown
    } else {
        outcome
    };
    let detail = format!(
        "{} `{key}` {:?} against {shown}: {}",
        cond.operator,
        cond.values,
        match outcome {
            Tri::Yes => "holds",
            Tri::No => "does not hold",
            Tri::Unknown => "undecided (policy variables unknown or possibly absent)",
        }
    );
    ConditionOutcome {
        outcome,
        detail,
        unknown_keys: if outcome.is_unknown() {
            unknown_vars
        } else {
            Vec::new()
        },
        invalid: false,
    }
}

fn glob_or_literal(text: &str, wildcards: bool) -> Vec<Glob> {
    if wildcards {
        glob(text)
    } else {
        text.chars().map(Glob::Lit).collect()
    }
}

/// Does one request value match one policy value under the (positive form of the)
/// test?
fn compare(test: Test, request: &str, policy: &[Glob]) -> bool {
    use Test::*;
    match test {
        StringEquals | StringNotEquals | BinaryEquals => literal(policy) == request,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            literal(policy).to_lowercase() == request.to_lowercase()
        }
        StringLike | StringNotLike => glob_match(policy, request, true),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_match(policy, request),
        Bool => {
            let p = literal(policy);
            let is_bool =
                |s: &str| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false");
            is_bool(&p) && is_bool(request) && p.eq_ignore_ascii_case(request)
        }
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => match (number(request), number(&literal(policy))) {
            (Some(r), Some(p)) => ordered(test, r.partial_cmp(&p)),
            _ => false,
        },
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => match (date(request), date(&literal(policy))) {
            (Some(r), Some(p)) => ordered(test, Some(r.cmp(&p))),
            _ => false,
        },
        IpAddress | NotIpAddress => match (
            request.trim().parse::<IpAddr>(),
            parse_cidr(&literal(policy)),
        ) {
            (Ok(ip), Ok(net)) => net.contains(&ip),
            _ => false,
        },
        Null => false,
    }
}

fn ordered(test: Test, order: Option<std::cmp::Ordering>) -> bool {
    use Test::*;
    use std::cmp::Ordering::*;
    let Some(order) = order else { return false };
    match test {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => order == Equal,
        NumericLessThan | DateLessThan => order == Less,
        NumericLessThanEquals | DateLessThanEquals => order != Greater,
        NumericGreaterThan | DateGreaterThan => order == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => order != Less,
        _ => false,
    }
}

/// AWS ARN operators: "Each of the six colon-delimited components of the ARN is checked
/// separately and each can include multi-character match wildcards (*) or
/// single-character match wildcards (?)." The sixth component is the rest of the ARN.
/// A pattern or value without six components matches nothing.
fn arn_match(pattern: &[Glob], value: &str) -> bool {
    let parts: Vec<&[Glob]> = pattern.splitn(6, |&g| g == Glob::Lit(':')).collect();
    let values: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && values.len() == 6
        && values[0] == "arn"
        && parts
            .iter()
            .zip(&values)
            .all(|(p, v)| glob_match(p, v, true))
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date in one of the W3C profiles of ISO 8601 (`2020`, `2020-04`, `2020-04-01`,
/// `2020-04-01T12:00Z`, `2020-04-01T12:00:00.5+02:00`) or in epoch seconds, as
/// milliseconds since the epoch.
fn date(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        if t.len() == 4 {
            let year = t.parse().ok()?;
            return Some(midnight(NaiveDate::from_ymd_opt(year, 1, 1)?));
        }
        return t.parse::<i64>().ok()?.checked_mul(1000);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    let zoned = match t.strip_suffix(['Z', 'z']) {
        Some(head) => format!("{head}+00:00"),
        None => t.to_owned(),
    };
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(d) = DateTime::parse_from_str(&zoned, format) {
            return Some(d.timestamp_millis());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, format) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(midnight(d));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d") {
        return Some(midnight(d));
    }
    None
}

fn midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|dt| dt.and_utc().timestamp_millis())
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::context::RequestContext;
    use crate::access::principal::Principal;

    fn eval(op: &str, key: &str, values: &[&str], ctx: &RequestContext) -> Tri {
        let principal =
            Principal::user("arn:aws:iam::111122223333:user/alice").with_tag("team", "blue");
        let cond = Condition {
            operator: op.to_owned(),
            key: key.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        evaluate(
            &cond,
            &Lookup {
                context: ctx,
                principal: &principal,
                resource_account: None,
            },
            true,
        )
        .outcome
    }

    use Tri::{No, Unknown, Yes};

    #[test]
    fn operators_parse_with_qualifiers_and_suffixes() {
        let op: Operator = "ForAllValues:StringLikeIfExists".parse().unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(op.test, Test::StringLike);
        assert!(op.if_exists);
        assert_eq!(
            "stringequals".parse::<Operator>().unwrap().test,
            Test::StringEquals
        );
        assert!("NullIfExists".parse::<Operator>().is_err());
        assert!("StringSortOf".parse::<Operator>().is_err());
    }

    /// "StringEquals: Exact matching, case sensitive"; "StringLike: Case-sensitive
    /// matching. The values can include multi-character match wildcards (*) and
    /// single-character match wildcards (?) anywhere in the string."
    #[test]
    fn string_operators() {
        let ctx = RequestContext::new().with("s3:prefix", "home/alice/");
        assert_eq!(
            eval("StringEquals", "s3:prefix", &["home/alice/"], &ctx),
            Yes
        );
        assert_eq!(
            eval("StringEquals", "s3:prefix", &["HOME/alice/"], &ctx),
            No
        );
        assert_eq!(eval("StringEquals", "s3:prefix", &["home/*"], &ctx), No);
        assert_eq!(
            eval(
                "StringEqualsIgnoreCase",
                "s3:prefix",
                &["HOME/Alice/"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval(
                "StringNotEqualsIgnoreCase",
                "s3:prefix",
                &["HOME/Alice/"],
                &ctx
            ),
            No
        );
        assert_eq!(eval("StringLike", "s3:prefix", &["home/*"], &ctx), Yes);
        assert_eq!(eval("StringLike", "s3:prefix", &["home/?lice/"], &ctx), Yes);
        assert_eq!(eval("StringLike", "s3:prefix", &["Home/*"], &ctx), No);
        assert_eq!(eval("StringNotLike", "s3:prefix", &["home/*"], &ctx), No);
        assert_eq!(
            eval("StringLike", "s3:prefix", &["home/${aws:username}/"], &ctx),
            Yes
        );
        assert_eq!(
            eval("StringEquals", "s3:prefix", &["x", "home/alice/"], &ctx),
            Yes,
            "values OR"
        );
        assert_eq!(
            eval("StringNotEquals", "s3:prefix", &["x", "home/alice/"], &ctx),
            No,
            "values NOR"
        );
        assert_eq!(eval("StringNotEquals", "s3:prefix", &["x", "y"], &ctx), Yes);
    }

    /// "If the key that you specify in a policy condition is not present in the
    /// request context, the values do not match and the condition is false. If the
    /// policy condition requires that the key is not matched … the condition is true."
    /// And IfExists: "If the key is not present, evaluate the condition element as
    /// true."
    #[test]
    fn missing_keys_follow_the_operator_polarity_and_if_exists() {
        let ctx = RequestContext::new().with_absent("aws:PrincipalOrgID");
        assert_eq!(
            eval("StringEquals", "aws:PrincipalOrgID", &["o-1"], &ctx),
            No
        );
        assert_eq!(
            eval("StringNotEquals", "aws:PrincipalOrgID", &["o-1"], &ctx),
            Yes
        );
        assert_eq!(
            eval("ArnNotLike", "aws:PrincipalOrgID", &["o-1"], &ctx),
            Yes
        );
        assert_eq!(
            eval("NumericLessThan", "aws:PrincipalOrgID", &["1"], &ctx),
            No
        );
        assert_eq!(
            eval("StringEqualsIfExists", "aws:PrincipalOrgID", &["o-1"], &ctx),
            Yes
        );
        assert_eq!(
            eval(
                "StringNotEqualsIfExists",
                "aws:PrincipalOrgID",
                &["o-1"],
                &ctx
            ),
            Yes
        );
        // A key never mentioned is unknown, whatever the operator.
        let empty = RequestContext::new();
        for op in [
            "StringEquals",
            "StringNotEquals",
            "StringLikeIfExists",
            "Null",
            "ForAllValues:StringEquals",
        ] {
            assert_eq!(
                eval(op, "aws:SourceVpce", &["vpce-1"], &empty),
                Unknown,
                "{op}"
            );
        }
    }

    /// "Use a Null condition operator to check if a condition key is absent at the time
    /// of authorization … true (the key doesn't exist — it is null) or false (the key
    /// exists and its value is not null)."
    #[test]
    fn null() {
        let ctx = RequestContext::new()
            .with_absent("aws:TokenIssueTime")
            .with("aws:SourceIp", "10.0.0.1");
        assert_eq!(eval("Null", "aws:TokenIssueTime", &["true"], &ctx), Yes);
        assert_eq!(eval("Null", "aws:TokenIssueTime", &["false"], &ctx), No);
        assert_eq!(eval("Null", "aws:SourceIp", &["false"], &ctx), Yes);
        assert_eq!(
            eval("Null", "aws:PrincipalTag/cost", &["true"], &ctx),
            Yes,
            "tags known"
        );
    }

    /// "Numeric condition operators let you construct Condition elements that restrict
    /// access based on comparing a key to an integer or decimal value."
    #[test]
    fn numeric() {
        let ctx = RequestContext::new().with("s3:max-keys", "10");
        assert_eq!(
            eval("NumericLessThanEquals", "s3:max-keys", &["10"], &ctx),
            Yes
        );
        assert_eq!(eval("NumericLessThan", "s3:max-keys", &["10"], &ctx), No);
        assert_eq!(
            eval("NumericGreaterThan", "s3:max-keys", &["9.5"], &ctx),
            Yes
        );
        assert_eq!(eval("NumericEquals", "s3:max-keys", &["10.0"], &ctx), Yes);
        assert_eq!(eval("NumericNotEquals", "s3:max-keys", &["10"], &ctx), No);
        assert_eq!(eval("NumericEquals", "s3:max-keys", &["ten"], &ctx), No);
        assert_eq!(
            eval("NumericGreaterThanEquals", "s3:max-keys", &["11"], &ctx),
            No
        );
    }

    /// "You must specify date/time values with one of the W3C implementations of the
    /// ISO 8601 date formats or in epoch (UNIX) time."
    #[test]
    fn dates() {
        let ctx = RequestContext::new()
            .with("aws:CurrentTime", "2024-06-01T12:00:00Z")
            .with("aws:EpochTime", "1717243200");
        assert_eq!(
            eval(
                "DateGreaterThan",
                "aws:CurrentTime",
                &["2024-01-01T00:00:00Z"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval("DateLessThan", "aws:CurrentTime", &["2024-06-01"], &ctx),
            No
        );
        assert_eq!(
            eval("DateLessThan", "aws:CurrentTime", &["2025"], &ctx),
            Yes
        );
        assert_eq!(
            eval(
                "DateLessThanEquals",
                "aws:CurrentTime",
                &["2024-06-01T14:00+02:00"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval("DateEquals", "aws:CurrentTime", &["1717243200"], &ctx),
            Yes
        );
        assert_eq!(
            eval(
                "DateEquals",
                "aws:EpochTime",
                &["2024-06-01T12:00:00Z"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval(
                "DateNotEquals",
                "aws:EpochTime",
                &["2024-06-01T12:00:00.000Z"],
                &ctx
            ),
            No
        );
        assert_eq!(
            eval("DateGreaterThan", "aws:CurrentTime", &["2024-05"], &ctx),
            Yes
        );
        assert_eq!(
            eval("DateGreaterThan", "aws:CurrentTime", &["not a date"], &ctx),
            No
        );
    }

    /// Bool: "Boolean matching"; the JSON literal `false` and the string "false" are
    /// the same value.
    #[test]
    fn bool_and_binary() {
        let ctx = RequestContext::new()
            .with("aws:SecureTransport", "false")
            .with("s3:Body", "QmluYXJ5");
        assert_eq!(eval("Bool", "aws:SecureTransport", &["false"], &ctx), Yes);
        assert_eq!(eval("Bool", "aws:SecureTransport", &["FALSE"], &ctx), Yes);
        assert_eq!(eval("Bool", "aws:SecureTransport", &["true"], &ctx), No);
        assert_eq!(eval("Bool", "aws:SecureTransport", &["no"], &ctx), No);
        assert_eq!(eval("BinaryEquals", "s3:Body", &["QmluYXJ5"], &ctx), Yes);
    }

    /// "If you specify an IP address without the associated routing prefix, IAM uses
    /// the default prefix value of /32"; NotIpAddress: "All IP addresses except the
    /// specified IP address or range".
    #[test]
    fn ip_addresses() {
        let ctx = RequestContext::new().with("aws:SourceIp", "203.0.113.7");
        assert_eq!(
            eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], &ctx),
            Yes
        );
        assert_eq!(
            eval("IpAddress", "aws:SourceIp", &["203.0.113.7"], &ctx),
            Yes
        );
        assert_eq!(
            eval("IpAddress", "aws:SourceIp", &["203.0.113.8"], &ctx),
            No
        );
        assert_eq!(
            eval("IpAddress", "aws:SourceIp", &["2001:DB8::/32"], &ctx),
            No
        );
        assert_eq!(
            eval(
                "NotIpAddress",
                "aws:SourceIp",
                &["10.0.0.0/8", "203.0.113.0/24"],
                &ctx
            ),
            No
        );
        assert_eq!(
            eval("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"], &ctx),
            Yes
        );
        let v6 = RequestContext::new().with("aws:SourceIp", "2001:db8:1234:5678::1");
        assert_eq!(
            eval(
                "IpAddress",
                "aws:SourceIp",
                &["2001:DB8:1234:5678::/64"],
                &v6
            ),
            Yes
        );
    }

    /// AWS's example: pattern `arn:aws:someservice:*:111122223333:finance/*` against
    /// `arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt`:
    /// "With a StringLike condition, the match succeeds … With an ArnLike condition,
    /// which matches elements between colons, the match fails."
    #[test]
    fn arn_operators_match_component_by_component() {
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let ctx = RequestContext::new().with("aws:SourceArn", value);
        let pattern = "arn:aws:someservice:*:111122223333:finance/*";
        assert_eq!(eval("StringLike", "aws:SourceArn", &[pattern], &ctx), Yes);
        assert_eq!(eval("ArnLike", "aws:SourceArn", &[pattern], &ctx), No);
        assert_eq!(eval("ArnNotLike", "aws:SourceArn", &[pattern], &ctx), Yes);
        let ok =
            RequestContext::new().with("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic");
        assert_eq!(
            eval(
                "ArnEquals",
                "aws:SourceArn",
                &["arn:aws:sns:*:111122223333:*"],
                &ok
            ),
            Yes
        );
        assert_eq!(
            eval(
                "ArnLike",
                "aws:SourceArn",
                &["arn:aws:sns:us-east-1:111122223333:topic"],
                &ok
            ),
            Yes
        );
        assert_eq!(
            eval("ArnLike", "aws:SourceArn", &["*"], &ok),
            No,
            "not six components"
        );
    }

    /// "ForAllValues – The condition returns true if there's a match between every one
    /// of the specified key values in the request and at least one value in the
    /// policy"; "If the key values in the request resolve to an empty data set … a
    /// condition operator modified by ForAllValues returns true, and a condition
    /// operator modified by ForAnyValue returns false."
    #[test]
    fn set_qualifiers() {
        let ctx = RequestContext::new()
            .with_values("dynamodb:requestedAttributes", ["PostDateTime", "UserName"])
            .with_values("aws:TagKeys", Vec::<String>::new());
        let allowed = ["PostDateTime", "Message", "Tags"];
        assert_eq!(
            eval(
                "ForAllValues:StringLike",
                "dynamodb:requestedAttributes",
                &allowed,
                &ctx
            ),
            No
        );
        assert_eq!(
            eval(
                "ForAnyValue:StringLike",
                "dynamodb:requestedAttributes",
                &allowed,
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval(
                "ForAllValues:StringLike",
                "dynamodb:requestedAttributes",
                &["*"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval(
                "ForAnyValue:StringEquals",
                "dynamodb:requestedAttributes",
                &["ID"],
                &ctx
            ),
            No
        );
        assert_eq!(
            eval(
                "ForAllValues:StringNotEquals",
                "dynamodb:requestedAttributes",
                &["ID"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval(
                "ForAnyValue:StringNotEquals",
                "dynamodb:requestedAttributes",
                &["UserName"],
                &ctx
            ),
            Yes
        );
        assert_eq!(
            eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &ctx),
            Yes
        );
        assert_eq!(
            eval("ForAnyValue:StringEquals", "aws:TagKeys", &["a"], &ctx),
            No
        );
        let absent = RequestContext::new().with_absent("aws:TagKeys");
        assert_eq!(
            eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &absent),
            Yes
        );
        assert_eq!(
            eval("ForAnyValue:StringEquals", "aws:TagKeys", &["a"], &absent),
            No
        );
    }

    #[test]
    fn unknown_variables_and_absent_variables() {
        let ctx = RequestContext::new().with("s3:prefix", "x");
        assert_eq!(
            eval(
                "StringEquals",
                "s3:prefix",
                &["${aws:SourceIdentity}"],
                &ctx
            ),
            Unknown
        );
        assert_eq!(
            eval(
                "StringEquals",
                "s3:prefix",
                &["x", "${aws:SourceIdentity}"],
                &ctx
            ),
            Unknown,
            "one value matches, but an absent variable would invalidate the statement"
        );
        assert_eq!(
            eval(
                "StringEquals",
                "s3:prefix",
                &["x", "${aws:SourceIdentity, 'none'}"],
                &ctx
            ),
            Yes,
            "with a default the variable cannot invalidate it"
        );
        let absent = ctx.clone().with_absent("aws:SourceIdentity");
        assert_eq!(
            eval(
                "StringNotEquals",
                "s3:prefix",
                &["${aws:SourceIdentity}"],
                &absent
            ),
            No,
            "invalid statement"
        );
        assert_eq!(eval("StringSortOf", "s3:prefix", &["x"], &ctx), Unknown);
    }
}
