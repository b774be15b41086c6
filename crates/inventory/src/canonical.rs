//! JSON as Vigil compares it: a canonical serialisation (object keys sorted) with its
//! SHA-256, and a structural diff that names each changed path as a JSON Pointer
//! (RFC 6901). One implementation for the store's drift and for `vigil diff`, so that a
//! saved scan's resource hash equals the stored one and a path means the same in both.
//!
//! The hash is cryptographic on purpose: it decides whether a resource changed, and a
//! hash an attacker could collide would let them change a resource unreported.

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
    // Writing a string, number, bool or null into memory cannot fail: no I/O, no map
    // keys to reject.
    let _infallible = serde_json::to_writer(out, value);
}

/// SHA-256 of the canonical text.
pub fn sha256(canonical: &str) -> [u8; 32] {
    Sha256::digest(canonical.as_bytes()).into()
}

/// The changes from `old` to `new`. Objects are compared key by key, recursively;
/// anything else (scalars, arrays) is compared whole, because an index path into a
/// list that gained an element at the front would report every later element as
/// changed. A missing key and a `null` differ: `null` means "looked, empty" and a
/// missing key "not collected".
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    diff_shown(old, new, |_, v| v.clone())
}

/// [`diff`], with each reported value passed through `show` along with the key it sits
/// under (for example to mask secret-looking values before they reach a terminal).
pub fn diff_shown(
    old: &Value,
    new: &Value,
    show: impl Fn(Option<&str>, &Value) -> Value,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(Some(old), Some(new), None, &mut path, &show, &mut out);
    out
}

fn walk(
    old: Option<&Value>,
    new: Option<&Value>,
    key: Option<&str>,
    path: &mut String,
    show: &dyn Fn(Option<&str>, &Value) -> Value,
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
                walk(a.get(k), b.get(k), Some(k.as_str()), path, show, out);
                path.truncate(len);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path: path.clone(),
            old: a.map(|v| show(key, v)),
            new: b.map(|v| show(key, v)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_ignores_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"q":2,"p":1}],"x":null}}"#).unwrap();
        let b = json!({"a": {"x": null, "y": [1, {"p": 1, "q": 2}]}, "b": 1});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#
        );
        assert_eq!(sha256(&canonical_json(&a)), sha256(&canonical_json(&b)));
        assert_ne!(
            sha256(&canonical_json(&a)),
            sha256(&canonical_json(&json!({"b": 2})))
        );
    }

    #[test]
    fn nested_changes_are_named_by_pointer() {
        let old = json!({"pab": {"block_public_acls": true, "ignore": true}, "tags": {"a/b": "1"}, "gone": 1});
        let new = json!({"pab": {"block_public_acls": false, "ignore": true}, "tags": {"a/b": "2"}, "added": null});
        let changes = diff(&old, &new);
        let summary: Vec<_> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.old.clone(), c.new.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("/added", None, Some(Value::Null)),
                ("/gone", Some(json!(1)), None),
                (
                    "/pab/block_public_acls",
                    Some(json!(true)),
                    Some(json!(false))
                ),
                ("/tags/a~1b", Some(json!("1")), Some(json!("2"))),
            ]
        );
    }

    #[test]
    fn arrays_and_type_changes_are_compared_whole() {
        let changes = diff(
            &json!({"cidrs": ["a", "b"], "x": {"k": 1}}),
            &json!({"cidrs": ["b"], "x": 5}),
        );
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].path, "/cidrs");
        assert_eq!(changes[0].new, Some(json!(["b"])));
        assert_eq!(changes[1].path, "/x");
        assert_eq!(changes[1].old, Some(json!({"k": 1})));
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let doc = json!({"a": [1, 2], "b": {"c": null}});
        assert!(diff(&doc, &doc.clone()).is_empty());
    }
}
