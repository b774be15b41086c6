//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${aws:userid,
//! 'anonymous'}` and the special `${*}`, `${?}`, `${$}`, substituted from the request
//! context into `Resource` patterns and string and ARN condition values.
//!
//! AWS: "If AWS cannot resolve a variable, this might cause the entire statement to be
//! invalid", and, for keys *not present*, "any attempt to match it fails and causes
//! the statement to be invalid". A variable whose key is known to be absent (and has
//! no default) therefore makes the statement not apply; one whose value Vigil does not
//! know leaves the statement undecided.
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

use super::context::{ContextValue, Lookup};
use crate::helpers::iam::Glob;

/// A pattern after substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    Pattern(Vec<Glob>),
    /// Some variable's value is unknown: these keys. When one of them has no default
    /// it may yet turn out absent, which would make the statement invalid.
    Unknown {
        keys: Vec<String>,
        may_be_invalid: bool,
    },
    /// A variable's key is absent from the request and has no default: the statement
    /// is invalid.
    Invalid(String),
}

/// Substitutes the variables of `text` (when `variables`, i.e. under policy version
/// 2012-10-17) and reads `*` and `?` as wildcards when `wildcards`. Substituted values
/// are always literal.
pub(crate) fn resolve(text: &str, wildcards: bool, variables: bool, lookup: &Lookup) -> Resolved {
    let mut out = Vec::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut may_be_invalid = false;
    let mut rest = text;
    while !rest.is_empty() {
        let var = if variables { rest.find("${") } else { None };
        let (literal, after) = match var {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        for c in literal.chars() {
            out.push(match c {
                '*' if wildcards => Glob::Any,
                '?' if wildcards => Glob::One,
                c => Glob::Lit(c),
            });
        }
        if after.is_empty() {
            break;
        }
        let Some(close) = after.find('}') else {
            // An unclosed `${` is literal text.
            out.extend(after.chars().map(Glob::Lit));
            break;
        };
        let inner = &after[2..close];
        rest = &after[close + 1..];
        match inner {
            "*" | "?" | "$" => out.push(Glob::Lit(inner.chars().next().unwrap_or('$'))),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((key, default)) => (key.trim(), Some(unquote(default.trim()))),
                    None => (inner.trim(), None),
                };
                match (lookup.get(key), default) {
                    (ContextValue::Values(values), _) if values.len() == 1 => {
                        out.extend(values[0].chars().map(Glob::Lit))
                    }
                    (ContextValue::Values(values), Some(default)) if values.is_empty() => {
                        out.extend(default.chars().map(Glob::Lit))
                    }
                    (ContextValue::Absent, Some(default)) => {
                        out.extend(default.chars().map(Glob::Lit))
                    }
                    (ContextValue::Absent, None) => return Resolved::Invalid(key.to_owned()),
                    (ContextValue::Values(values), None) if values.is_empty() => {
                        return Resolved::Invalid(key.to_owned());
                    }
                    // Unknown, or a multivalued key whose substitution AWS does not
                    // document.
                    (value, default) => {
                        may_be_invalid |= default.is_none() && value == ContextValue::Unknown;
                        unknown.push(key.to_owned());
                    }
                }
            }
        }
    }
    if unknown.is_empty() {
        Resolved::Pattern(out)
    } else {
        Resolved::Unknown {
            keys: unknown,
            may_be_invalid,
        }
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(text)
}

/// The literal text of a pattern without wildcards (for equality operators).
pub(crate) fn literal(pattern: &[Glob]) -> String {
    pattern
        .iter()
        .map(|g| match *g {
            Glob::Lit(c) => c,
            Glob::Any => '*',
            Glob::One => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::context::RequestContext;
    use crate::access::principal::Principal;
    use crate::helpers::iam::glob_match;

    fn with<R>(principal: &Principal, ctx: &RequestContext, f: impl FnOnce(&Lookup) -> R) -> R {
        f(&Lookup {
            context: ctx,
            principal,
            resource_account: None,
        })
    }

    fn matches(r: &Resolved, text: &str) -> bool {
        match r {
            Resolved::Pattern(p) => glob_match(p, text, true),
            other => panic!("not a pattern: {other:?}"),
        }
    }

    /// AWS: "When this policy is evaluated, IAM replaces the variable
    /// ${aws:username} with the friendly name of the actual current user."
    #[test]
    fn username_and_principal_tags_substitute() {
        let alice =
            Principal::user("arn:aws:iam::111122223333:user/alice").with_tag("team", "blue");
        let ctx = RequestContext::new();
        with(&alice, &ctx, |l| {
            let r = resolve("arn:aws:s3:::home/${aws:username}/*", true, true, l);
            assert!(matches(&r, "arn:aws:s3:::home/alice/notes.txt"));
            assert!(!matches(&r, "arn:aws:s3:::home/bob/notes.txt"));
            let r = resolve("arn:aws:s3:::${aws:PrincipalTag/team}", true, true, l);
            assert!(matches(&r, "arn:aws:s3:::blue"));
        });
    }

    /// AWS: "If you don't include the Version element … variables like
    /// ${aws:username} are treated as literal strings in the policy."
    #[test]
    fn without_version_2012_variables_are_literal() {
        let alice = Principal::user("arn:aws:iam::111122223333:user/alice");
        let ctx = RequestContext::new();
        with(&alice, &ctx, |l| {
            let r = resolve("home/${aws:username}", true, false, l);
            assert!(matches(&r, "home/${aws:username}"));
            assert!(!matches(&r, "home/alice"));
        });
    }

    /// AWS: "${*} - use where you need an * (asterisk) character"; and "anonymous
    /// users will not populate the ${aws:userid} variable. You can set the default
    /// value to anonymous".
    #[test]
    fn special_characters_and_defaults() {
        let role = Principal::role("arn:aws:iam::111122223333:role/app");
        let ctx = RequestContext::new().with_absent("aws:SourceIdentity");
        with(&role, &ctx, |l| {
            let r = resolve("a${*}b", true, true, l);
            assert!(matches(&r, "a*b"));
            assert!(!matches(&r, "axxb"));
            let r = resolve("${aws:username, 'nobody'}/x", true, true, l);
            assert!(matches(&r, "nobody/x"));
            assert_eq!(
                resolve("${aws:username}/x", true, true, l),
                Resolved::Invalid("aws:username".into())
            );
            assert_eq!(
                resolve("${aws:userid}", true, true, l),
                Resolved::Unknown {
                    keys: vec!["aws:userid".into()],
                    may_be_invalid: true
                }
            );
            assert_eq!(
                resolve("${aws:userid, 'anonymous'}", true, true, l),
                Resolved::Unknown {
                    keys: vec!["aws:userid".into()],
                    may_be_invalid: false
                }
            );
            assert_eq!(
                resolve("${aws:SourceIdentity,'none'}", true, true, l),
                Resolved::Pattern("none".chars().map(Glob::Lit).collect())
            );
            let r = resolve("${unclosed", true, true, l);
            assert!(matches(&r, "${unclosed"));
        });
    }
}
