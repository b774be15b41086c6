use proptest::prelude::*;
use serde_json::json;

use super::*;

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|n| json!(n)),
        "[a-z_\"\\\\é]{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z]{0,3}", inner, 0..10)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever the JSON, the compact value writes the same text as serde_json, reads
    /// back equal, and compares equal to the serde_json value it came from.
    #[test]
    fn same_text_and_round_trip_as_serde_json(json in arb_json()) {
        let text = serde_json::to_string(&json).unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let converted = Value::from(json.clone());
        prop_assert_eq!(&parsed, &converted);
        prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), text.clone());
        prop_assert_eq!(parsed.to_string(), text);
        prop_assert!(parsed == json);
        prop_assert_eq!(parsed.to_json(), json);
    }
}

#[test]
fn a_value_is_24_bytes() {
    // The point of the type: serde_json::Value is 32 and an object's node 632.
    assert_eq!(std::mem::size_of::<Value>(), 24);
    assert_eq!(std::mem::size_of::<(Key, Value)>(), 40);
}

#[test]
fn keys_are_sorted_and_a_repeated_key_keeps_its_last_value() {
    let v: Value = serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
    assert_eq!(v.to_string(), r#"{"a":2,"b":3}"#);
    let serde: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
    assert!(v == serde);
}

#[test]
fn reading_mirrors_serde_json() {
    let v = Value::from(json!({
        "versioning": {"status": "Enabled"},
        "rules": [{"port": 22}, {"port": 443}],
        "n": -3, "big": 18446744073709551615u64, "f": 1.5, "ok": true, "none": null,
        "a/b": {"~x": 1}
    }));
    assert_eq!(v["versioning"]["status"], "Enabled");
    assert_eq!(
        v.get("versioning")
            .and_then(|s| s.get("status"))
            .and_then(Value::as_str),
        Some("Enabled")
    );
    assert!(v["absent"]["deeper"].is_null());
    assert!(v.get("absent").is_none());
    assert!(v.get("none").is_some_and(Value::is_null));
    assert_eq!(v["rules"][1]["port"].as_i64(), Some(443));
    assert_eq!(v["rules"].as_array().map(<[Value]>::len), Some(2));
    assert_eq!(v["n"].as_i64(), Some(-3));
    assert_eq!(v["n"].as_u64(), None);
    assert_eq!(v["big"].as_u64(), Some(u64::MAX));
    assert_eq!(v["f"].as_f64(), Some(1.5));
    assert_eq!(v["ok"], true);
    assert_eq!(v.pointer("/rules/0/port"), Some(&Value::from(22i64)));
    assert_eq!(v.pointer("/a~1b/~0x"), Some(&Value::from(1i64)));
    assert_eq!(v.pointer(""), Some(&v));
    assert!(v.pointer("/rules/9").is_none());
    let keys: Vec<&str> = v.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
}

#[test]
fn inserting_and_removing_keep_the_order() {
    let mut map = Map::new();
    for key in ["m", "a", "z", "c"] {
        assert!(map.insert(key, Value::from(key)).is_none());
    }
    assert_eq!(map.insert("a", Value::Bool(true)), Some(Value::from("a")));
    assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "c", "m", "z"]);
    assert_eq!(map.remove("m"), Some(Value::from("m")));
    assert_eq!(map.remove("m"), None);
    assert_eq!(
        Value::Object(map).to_string(),
        r#"{"a":true,"c":"c","z":"z"}"#
    );
}

#[test]
fn larger_objects_are_searched_by_bisection_with_the_same_answers() {
    let json: serde_json::Value = (0..40)
        .map(|i| (format!("k{i:02}"), json!(i)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let v = Value::from(json);
    for i in 0..40 {
        assert_eq!(v[format!("k{i:02}").as_str()].as_i64(), Some(i));
    }
    assert!(v.get("k40").is_none());
    assert!(v.get("a").is_none());
}

#[test]
fn an_interned_key_finds_what_its_text_finds() {
    let small = Value::from(json!({"cidr": "0.0.0.0/0", "from_port": 22, "protocol": "tcp"}));
    let large = Value::from(serde_json::Value::from(
        (0..40)
            .map(|i| (format!("k{i:02}"), json!(i)))
            .collect::<serde_json::Map<_, _>>(),
    ));
    for (value, keys) in [
        (
            &small,
            &["cidr", "from_port", "protocol", "to_port", "", "cidrs"][..],
        ),
        (&large, &["k00", "k17", "k39", "k40", "a"][..]),
    ] {
        let map = value.as_object().unwrap();
        for key in keys {
            assert_eq!(map.get_key(&Key::new(key)), map.get(key), "{key}");
        }
    }
}

#[test]
fn equal_keys_share_one_allocation_and_unused_keys_are_swept() {
    let a = Value::from(json!({"shared_key_for_test": 1}));
    let b: Value = serde_json::from_str(r#"{"shared_key_for_test": 2}"#).unwrap();
    let (Value::Object(a), Value::Object(b)) = (&a, &b) else {
        panic!("objects")
    };
    assert!(Arc::ptr_eq(&a.entries[0].0.0, &b.entries[0].0.0));

    // Keys from data that no value holds any more do not stay: the table is swept when
    // it has doubled, so it cannot grow with every distinct key ever read.
    for i in 0..20_000 {
        drop(Key::new(&format!("transient-{i}")));
    }
    assert!(
        interner::len() < 5_000,
        "the table kept {} keys",
        interner::len()
    );
    // A key still in use survives the sweeps.
    assert_eq!(
        Key::new("shared_key_for_test").as_str(),
        "shared_key_for_test"
    );
    assert!(Arc::ptr_eq(
        &Key::new("shared_key_for_test").0,
        &a.entries[0].0.0
    ));
}

#[test]
fn numbers_that_json_cannot_hold_become_null_as_in_serde_json() {
    let v: Value = serde_json::from_value(json!(1.0)).unwrap();
    assert_eq!(v.as_f64(), Some(1.0));
    assert!(
        ValueVisitor
            .visit_f64::<serde_json::Error>(f64::NAN)
            .unwrap()
            .is_null()
    );
}
