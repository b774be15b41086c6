//! JSON helpers for comparing resources and evidence: a canonical serialisation (keys
//! sorted) and its SHA-256, a structural diff that names each changed path as a JSON
//! Pointer (RFC 6901), and the masking of values under secret-looking keys.
//!
//! The canonical form and the diff follow the store's drift (`vigil-store`'s `diff`
//! module), so a saved scan's resource hash and a stored resource's hash agree and a
//! path means the same thing in `vigil diff` and in the daemon's drift.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One changed value. `old` is absent for a value that appeared, `new` for one that
/// disappeared; a `null` value is present and null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// JSON Pointer into the compared document (`/properties/versioning/status`,
    /// `/tags/owner`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// `value` serialised with object keys in sorted order, so equal values always give
/// the same bytes whatever the map order of the `serde_json` build.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(512);
    write_canonical(value, &mut out);
    // Only serde_json's output and ASCII punctuation went in, so this cannot fail.
    String::from_utf8(out).unwrap_or_default()
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(key, out);
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing a string, number, bool or null into memory cannot fail.
    let _infallible = serde_json::to_writer(out, value);
}

/// SHA-256 of the canonical text, in lowercase hex. Cryptographic on purpose: it
/// decides whether a resource changed, and a collision would hide a change.
pub fn sha256_hex(canonical: &str) -> String {
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The changes from `old` to `new`, with secret-looking values masked. Objects are
/// compared key by key, recursively; anything else (scalars, arrays) is compared
/// whole, because an index path into a list that gained an element at the front would
/// report every later element as changed. A missing key and a `null` differ: `null`
/// means "looked, empty" and a missing key "not collected".
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(Some(old), Some(new), None, &mut path, &mut out);
    out
}

fn walk(
    old: Option<&Value>,
    new: Option<&Value>,
    key: Option<&str>,
    path: &mut String,
    out: &mut Vec<FieldChange>,
) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            keys.sort_unstable();
            for k in keys {
                let len = path.len();
                path.push('/');
                push_escaped(k, path);
                walk(a.get(k), b.get(k), Some(k.as_str()), path, out);
                path.truncate(len);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path: path.clone(),
            old: a.map(|v| masked(key, v)),
            new: b.map(|v| masked(key, v)),
        }),
    }
}

/// RFC 6901: `~` becomes `~0` and `/` becomes `~1` (tag keys such as
/// `aws:cloudformation/stack-name` contain slashes).
fn push_escaped(key: &str, path: &mut String) {
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// What a masked value prints as.
pub const MASKED: &str = "(redacted)";

/// Words that name a secret in a key. The collectors never store a secret value
/// (Lambda and CodeBuild environment values, user data, stage variables and SNS
/// endpoints are reduced to names or domains at collection), so this is the second
/// line: a hand-written snapshot, or a future collector's slip, still never puts a
/// secret on a terminal or into a diff file.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "secret",
    "token",
    "private_key",
    "privatekey",
    "credential",
    "passphrase",
    "api_key",
    "user_data",
];

/// Suffixes that name something about a secret rather than the secret itself:
/// `secret_arn`, `password_enabled`, `minimum_password_length`.
const NOT_SECRET_SUFFIXES: [&str; 14] = [
    "_arn",
    "_arns",
    "_id",
    "_ids",
    "_name",
    "_names",
    "_enabled",
    "_length",
    "_count",
    "_type",
    "_last_used",
    "_last_changed",
    "_age",
    "_days",
];

/// Does `key` name a secret value?
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
        && !NOT_SECRET_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// `value` with every string under a secret-looking key replaced by [`MASKED`];
/// `key` is the key `value` itself sits under. Booleans, numbers and nulls stay: they
/// say whether a secret is set, never what it is.
pub fn masked(key: Option<&str>, value: &Value) -> Value {
    let secret = key.is_some_and(is_secret_key);
    match value {
        Value::String(_) if secret => Value::String(MASKED.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| masked(key, v)).collect()),
        // Under a secret key everything below is secret; elsewhere each child is
        // judged by its own key.
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let below = if secret { key } else { Some(k.as_str()) };
                    (k.clone(), masked(below, v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_and_hash_ignore_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":1}],"x":null}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#).unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#
        );
        assert_eq!(
            sha256_hex(&canonical_json(&a)),
            sha256_hex(&canonical_json(&b))
        );
        assert_eq!(sha256_hex("").len(), 64);
        assert_ne!(
            sha256_hex(&canonical_json(&a)),
            sha256_hex(&canonical_json(&json!({"b": 2})))
        );
    }

    #[test]
    fn diff_names_pointers_and_tells_missing_from_null() {
        let old = json!({"properties": {"versioning": {"status": "Suspended"}, "a": null},
                         "tags": {"team/x": "a"}});
        let new = json!({"properties": {"versioning": {"status": "Enabled"}},
                         "tags": {"team/x": "b"}});
        let changes = diff(&old, &new);
        assert_eq!(
            changes,
            vec![
                FieldChange {
                    path: "/properties/a".into(),
                    old: Some(Value::Null),
                    new: None
                },
                FieldChange {
                    path: "/properties/versioning/status".into(),
                    old: Some(json!("Suspended")),
                    new: Some(json!("Enabled"))
                },
                FieldChange {
                    path: "/tags/team~1x".into(),
                    old: Some(json!("a")),
                    new: Some(json!("b"))
                },
            ]
        );
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn secrets_are_masked_at_any_depth_but_facts_about_them_are_not() {
        let old = json!({"properties": {"db_password": "hunter2", "password_enabled": false,
                         "secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:x"}});
        let new = json!({"properties": {"db_password": "swordfish", "password_enabled": true,
                         "secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:y",
                         "env": {"API_TOKEN": "abc", "REGION": "eu-west-1"},
                         "tokens": ["t1", "t2"]}});
        let changes = diff(&old, &new);
        let text = serde_json::to_string(&changes).unwrap();
        for secret in ["hunter2", "swordfish", "abc", "t1"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("eu-west-1"), "{text}");
        assert!(text.contains("secret:y"), "{text}");
        let enabled = changes
            .iter()
            .find(|c| c.path == "/properties/password_enabled")
            .unwrap();
        assert_eq!(enabled.new, Some(json!(true)));
        let env = changes
            .iter()
            .find(|c| c.path == "/properties/env")
            .unwrap();
        assert_eq!(
            env.new,
            Some(json!({"API_TOKEN": MASKED, "REGION": "eu-west-1"}))
        );
    }
}
