//! JSON helpers for comparing resources and evidence: a canonical serialisation (keys
//! sorted) and its SHA-256, a structural diff that names each changed path as a JSON
//! Pointer (RFC 6901), and the masking of values under secret-looking keys.
//!
//! The canonical form and the diff are the inventory crate's (`canonical`), shared with
//! the store's drift, so a saved scan's resource hash and a stored resource's hash agree
//! and a path means the same thing in `vigil diff` and in the daemon's drift.

use serde_json::Value;
pub use vigil_inventory::canonical::{FieldChange, canonical_json};

/// SHA-256 of the canonical text, in lowercase hex (the store keeps the same digest as
/// bytes).
pub fn sha256_hex(canonical: &str) -> String {
    vigil_inventory::canonical::sha256(canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The changes from `old` to `new` ([`vigil_inventory::canonical::diff`]), with
/// secret-looking values masked.
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    vigil_inventory::canonical::diff_shown(old, new, masked)
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
