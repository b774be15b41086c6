//! Conversion between property values (the inventory's compact JSON) and CEL values.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString,
};
use cel::common::value::Val;
use cel::objects::{Key, KeyRef};
use vigil_inventory::Value as Json;

/// JSON to CEL. Integers become `int` (or `double` beyond `i64`), so that rules can
/// compare them with plain literals.
pub fn to_cel(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(Arc::new(String::from(&**s))),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Json::Object(map) => {
            let map: HashMap<Key, Value> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.to_owned())), to_cel(v)))
                .collect();
            Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

/// JSON straight to the interpreter's value tree, borrowing every string from the
/// inventory: binding a variable this way allocates only the containers, where going
/// through [`Value`] would copy the whole tree twice.
pub fn to_val(json: &Json) -> Box<dyn Val + '_> {
    match json {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Box::new(CelInt::from(i)),
            None => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Json::String(s) => Box::new(CelString::from(&**s)),
        Json::Array(items) => Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>())),
        Json::Object(map) => Box::new(CelMap::from(
            map.iter()
                .map(|(k, v)| (CelMapKey::from(k), to_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

/// A `serde_json` value (a fact a helper built) to CEL, as [`to_cel`] converts the
/// same value in the inventory's form. Straight, not through that form: converting
/// interns every key (a lock and a hash each), which for facts built once per
/// principal was most of what answering `admin_escalation` cost.
pub fn json_to_cel(json: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(Arc::new(s.clone())),
        J::Array(items) => Value::List(Arc::new(items.iter().map(json_to_cel).collect())),
        J::Object(map) => {
            let map: HashMap<Key, Value> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_cel(v)))
                .collect();
            Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
}

/// CEL to JSON, for evidence and for helpers implemented on JSON (policy documents).
pub fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(String::clone(s)),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => Json::Object(
            map.map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Key::String(s) => String::clone(s),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Value::Timestamp(t) => Json::String(t.to_rfc3339()),
        other => Json::String(format!("{other:?}")),
    }
}

/// A string field of a CEL map.
pub fn map_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    match value {
        Value::Map(map) => match map.get(&KeyRef::String(key)) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Any field of a CEL map.
pub fn map_get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Map(map) => map.get(&KeyRef::String(key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fact_converts_as_the_same_value_in_the_inventory_would() {
        let fact = json!({
            "is_admin": false, "n": -3, "big": u64::MAX, "ratio": 0.5, "none": null,
            "path": [{"principal": "arn:a", "hops": [1, "two", {"x": [true]}]}], "": "",
        });
        assert_eq!(json_to_cel(&fact), to_cel(&Json::from(&fact)));
    }

    #[test]
    fn round_trip() {
        let j = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        assert_eq!(to_json(&json_to_cel(&j)), j);
        assert_eq!(map_str(&json_to_cel(&json!({"id": "x"})), "id"), Some("x"));
        assert_eq!(map_str(&json_to_cel(&json!({"id": 1})), "id"), None);
    }
}
