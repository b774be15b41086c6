use super::*;
use serde_json::json;

fn both(source: &str, properties: serde_json::Value) -> (Option<bool>, Result<bool, String>) {
    let program = cel::Program::compile(source).unwrap();
    let mut resource = Resource::new("r-1", "aws.s3.bucket", "111111111111", "us-east-1");
    resource.properties = properties.into();
    let inventory = Inventory::new(vec![resource.clone()], vec![], vec![]).unwrap();
    let settings = Json::from(json!({"keys": ["a"]}));
    let scope = Scope {
        inventory: &inventory,
        subject: 0,
        settings: &settings,
        now: "2026-06-01T00:00:00Z".parse().unwrap(),
        shared: None,
    };
    // No helper runs without their shared state, so none fails.
    let direct = compiled_and_walked(&program, scope, source);
    let env = std::sync::Arc::new(cel::Env::stdlib());
    let mut root = cel::Context::with_env(env);
    root.add_variable_from_value(
        "settings",
        crate::expr::convert::json_to_cel(&json!({"keys": ["a"]})),
    );
    let mut scope = root.new_inner_scope();
    crate::EvalContext::bind(&mut scope, &resource);
    let cel = match program.execute(&scope) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        other => Err(format!("{other:?}")),
    };
    (direct, cel)
}

/// `exists` and `all` take the walker's short loop only in the exact shape the
/// parser gives them; other comprehensions take the general one.
#[test]
fn exists_and_all_are_recognised_in_the_parsers_shape_only() {
    let shape = |source: &str| {
        let program = cel::Program::compile(source).unwrap();
        let Ast::Comprehension(c) = &program.expression().expr else {
            panic!("{source} is not a comprehension");
        };
        quantifier(c).map(|(exists, _)| exists)
    };
    assert_eq!(shape("properties.l.exists(i, i == 2)"), Some(true));
    assert_eq!(shape("properties.l.all(i, i < 2)"), Some(false));
    assert_eq!(shape("properties.l.exists_one(i, i == 1)"), None);
    assert_eq!(shape("properties.l.map(i, i + 1)"), None);
    assert_eq!(shape("properties.l.filter(i, i > 1)"), None);
}

#[test]
fn agrees_with_cel_where_it_answers_and_gives_up_elsewhere() {
    let p = json!({"a": "x", "n": 3, "z": null, "l": [1, 2], "m": {"k": true}, "d": 1.5});
    for source in [
        r#"properties.a == "x""#,
        r#"properties.a != "y" && properties.n > 2"#,
        "properties.z == null",
        "properties.a == null",
        "null != properties.n",
        "properties.d == null",
        "properties.l.exists(i, i == 2)",
        "properties.l.all(i, i < 2)",
        "size(properties.l) == 2",
        "has(properties.m.k) && properties.m.k",
        "!has(properties.q)",
        r#"resource.region.startsWith("us-") || resource.name == null"#,
        r#"[1, 2].exists(i, i == properties.n)"#,
        "properties.l.exists_one(i, i == 1)",
        r#"properties.a in ["x", "y"] && 2 in properties.l && "k" in properties.m"#,
        r#"settings.keys.exists(k, k in properties && properties[k] != "")"#,
        r#"!("Owner" in resource.tags)"#,
        r#"(properties.n > 2 ? properties.a : "z") == "x""#,
        r#"(properties.n > 5 ? properties.missing : properties.n) == 3"#,
        r#"{"x": 1, "y": 2}[properties.a] == 1 && properties.a in {"x": "p"}"#,
        r#"[{"x": "2020-01-01"}].all(m, !(properties.a in m) || m[properties.a] < "2021")"#,
        r#"properties.a + "-" + resource.region == "x-us-east-1""#,
        r#"properties.n + 1 == 4 && -properties.n == -3 && properties.n - 5 == -2"#,
        r#"properties.a.matches("^x$") && !resource.region.matches("^eu-")"#,
        "properties.m != null && properties.l != null && !(null == properties.m)",
        "size(properties.l.filter(i, i > 1)) == 1 && properties.l.filter(i, i > 5).size() == 0",
        "properties.l.filter(i, i < 2).all(i, i == 1) && 2 in properties.l.filter(i, i > 1)",
        "size([1, properties.n]) == 2 && properties.l.map(i, i + 1).exists(i, i == 3)",
        // Four comprehensions deep: more variables than the walker holds inline.
        "properties.l.exists(a, properties.l.exists(b, properties.l.exists(c, properties.l.all(d, a + b + c + d > 3 && a == 1))))",
        "properties.l.exists(a, properties.l.exists(b, properties.l.exists(c, properties.l.exists(d, a + b + c + d == 8)))) && properties.l.all(i, i > 0)",
        // The item that settles the answer ends the loop: what follows is not read.
        "properties.l.exists(i, i == 1 || properties.missing == 1)",
        "!properties.l.all(i, i == 2 && properties.missing == 1)",
        "[].exists(i, i == 1) == false && [].all(i, i == 1)",
        // `type` as CEL names types, for values read from JSON and literals.
        "type(properties.l) == type([]) && type(properties.a) != type([])",
        r#"(type(properties.a) == type([]) ? properties.a : [properties.a]).all(s, s == "x")"#,
        "(type(properties.l) == type([]) ? properties.l : [properties.l]).exists(i, i == 2)",
        "type(properties.n) == type(1) && type(properties.d) != type(1) && type(properties.z) == type(null)",
        r#"type(properties.m) == type({"k": 1}) && type(properties.m.k) == type(true) && type("a") == type(properties.a)"#,
        "type(properties.d) == type(properties.d) && type(properties.m) != type(properties.l)",
        // `string` of a string, an int and a bool.
        r#"string(properties.n) == "3" && string(properties.a) == "x" && string(properties.m.k) == "true""#,
        r#"string(properties.n) in ["-1", "3"] && !(string(false) in ["true"])"#,
    ] {
        let (direct, cel) = both(source, p.clone());
        match direct {
            Some(direct) => assert_eq!(Ok(direct), cel, "{source}"),
            // `exists_one` counts with `+`, which is left to CEL.
            None => assert!(source.contains("exists_one"), "gave up on {source}"),
        }
    }
    // Missing keys and odd types are CEL's to word.
    for source in [
        "properties.missing == 1",
        "properties.n == 3.0",
        r#"properties.a == 1"#,
        "properties.l == [1, 2]",
        r#"properties.a.matches("(")"#,
        r#"{"x": 1, "x": 2}["x"] == 2"#,
        "properties.l + [3] == [1, 2, 3]",
        "9223372036854775807 + properties.n > 0",
        "size([1, properties.missing]) == 2",
        r#"string(properties.d) == "1.5""#,
        "type([properties.missing]) == type([])",
        "type(properties.missing) == type(1)",
    ] {
        assert_eq!(both(source, p.clone()).0, None, "{source}");
    }
}

/// The walker's answer and plain CEL's, with Vigil's helpers registered for CEL.
fn both_with_helpers(
    source: &str,
    properties: serde_json::Value,
) -> (Option<bool>, Result<bool, String>) {
    let mut resource = Resource::new("r-1", "aws.ec2.security_group", "111111111111", "us-east-1");
    resource.properties = properties.into();
    let inventory = std::sync::Arc::new(Inventory::new(vec![resource], vec![], vec![]).unwrap());
    let ctx = crate::EvalContext::new(inventory, "2026-06-01T00:00:00Z".parse().unwrap())
        .with_plain_cel();
    let program = cel::Program::compile(source).unwrap();
    let scope = Scope {
        inventory: ctx.inventory(),
        subject: 0,
        settings: ctx.settings_json(),
        now: ctx.now(),
        shared: None,
    };
    let direct = compiled_and_walked(&program, scope, source);
    let expr = crate::expr::Expr::compile(source).unwrap();
    (direct, crate::eval::evaluate_expr(&ctx, &expr, 0))
}

/// The answer with the expression's compiled forms, checked against the walker alone
/// (no compiled forms): they must agree, giving up included.
fn compiled_and_walked(program: &cel::Program, scope: Scope<'_>, source: &str) -> Option<bool> {
    let plans = Plans::compile(program.expression());
    let compiled =
        evaluate(program.expression(), &plans, scope).map(|r| r.expect("no helper failure"));
    let walked = evaluate(program.expression(), &Plans::default(), scope)
        .map(|r| r.expect("no helper failure"));
    assert_eq!(compiled, walked, "compiled and walked differ on {source}");
    compiled
}

/// Conditions and predicates compiled to native checks decide as the walker and CEL
/// do, give up where they do, and are compiled only for the shapes `pred.rs` knows.
#[test]
fn compiled_predicates_agree_with_the_walker_and_cel() {
    let p = json!({
        "ingress": [
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"},
            {"protocol": "-1", "from_port": null, "to_port": null, "cidr": "::/0", "enabled": true},
            {"protocol": "tcp", "from_port": 80, "to_port": 90, "cidr": "0.0.0.0/0", "n": 3},
            {"protocol": "udp", "cidr": "192.168.1.0/24", "enabled": false}
        ],
        "names": ["a", "b", null],
        "odd": [{"cidr": 7}, {"cidr": "nonsense"}, 5]
    });
    let whole = |source: &str| {
        Plans::compile(cel::Program::compile(source).unwrap().expression()).is_whole()
    };
    for source in [
        "properties.ingress.exists(r, cidr_is_internet(r.cidr) && opens_any_port(r, [22, 3389]))",
        "!properties.ingress.exists(r, cidr_is_internet(r.cidr) && opens_port(r, 85))",
        "properties.ingress.exists(r, cidr_is_internet(r.cidr) && opens_port(r, 1) && opens_port(r, 65535))",
        r#"properties.ingress.all(r, has(r.cidr) && !cidr_contains("10.0.0.0/8", r.cidr) || r.protocol == "tcp")"#,
        r#"properties.ingress.exists(r, cidr_contains("::/0", r.cidr) && (opens_port(r, 22) || opens_port(r, 3389)))"#,
        r#"!properties.ingress.exists(r, cidr_is_internet(r.cidr) && (r.protocol == "-1" || r.protocol in ["udp", "17"]))"#,
        r#"properties.ingress.exists(r, "tcp" != r.protocol && r.enabled)"#,
        "properties.ingress.exists(r, has(r.n) && r.n == 3)",
        r#"properties.ingress.all(r, r.cidr != "1.2.3.4/32")"#,
        r#"properties.names.exists(n, n == "b") && !properties.names.all(n, n != null)"#,
        r#"properties.names.exists(n, n in ["c", "b"])"#,
    ] {
        assert!(whole(source), "not compiled: {source}");
        let (direct, cel) = both_with_helpers(source, p.clone());
        assert_eq!(direct.map(Ok), Some(cel), "{source}");
    }
    // Where the walker gives up, so do the checks: a missing field read, a non-string
    // block, a text that is no block, a field of something not an object, a bool
    // expected of a non-bool.
    for source in [
        "properties.ingress.exists(r, r.missing == 1)",
        "properties.ingress.all(r, r.from_port != 8080)",
        "properties.odd.exists(r, cidr_is_internet(r.cidr))",
        "properties.odd.all(r, has(r.cidr))",
        "properties.ingress.all(r, r.protocol)",
        "properties.ingress.exists(r, r.enabled)",
    ] {
        assert!(whole(source), "not compiled: {source}");
        let (direct, cel) = both_with_helpers(source, p.clone());
        assert_eq!(direct, None, "{source}: CEL says {cel:?}");
    }
    // Shapes left to the walker, whole or in part: an index, an outer comprehension's
    // variable, `resource`, a ternary, a regular expression, a helper not in the list,
    // a variable named `properties`.
    for (source, predicates) in [
        (
            "properties.ingress.exists(r, r.n == properties.ingress[0].n)",
            0,
        ),
        (
            "properties.ingress.exists(r, properties.names.exists(n, n == r.protocol))",
            0,
        ),
        (
            r#"resource.region == "x" || properties.ingress.exists(r, r.enabled)"#,
            1,
        ),
        (
            "(properties.n > 2 ? properties.ingress : []).all(r, has(r.cidr))",
            1,
        ),
        (
            r#"properties.ingress.exists(r, r.protocol.matches("^t"))"#,
            0,
        ),
        ("properties.ingress.exists(r, days_since(r.date) > 3)", 0),
        ("properties.names.exists(properties, properties == null)", 0),
    ] {
        let plans = Plans::compile(cel::Program::compile(source).unwrap().expression());
        assert!(!plans.is_whole(), "compiled whole: {source}");
        assert_eq!(plans.len(), predicates, "{source}");
    }
    // Whole conditions over the properties.
    let q = json!({"a": "xyz", "n": 3, "l": [1, 2], "m": {"k": true, "s": "b"}, "z": null});
    for (source, compiles) in [
        (
            r#"properties.a == "xyz" && size(properties.l) == 2 && properties.m.size() == 2"#,
            true,
        ),
        (
            "has(properties.m.k) && properties.m.k && !has(properties.m.q)",
            true,
        ),
        (
            r#"properties.n > 2 && properties.n <= 3 && properties.a < "y" && 1 < properties.n"#,
            true,
        ),
        (
            r#""k" in properties.m && 2 in properties.l && properties.m.s in ["a", "b"]"#,
            true,
        ),
        (
            r#"properties.a.startsWith("x") && properties.a.endsWith("z") && !properties.a.contains("q")"#,
            true,
        ),
        (
            "properties.z == null && properties.m != null && properties.l.all(i, i > 0)",
            true,
        ),
        (
            r#"properties.l.exists(i, i == properties.n - 1) || properties.a != "xyz""#,
            false,
        ),
    ] {
        let plans = Plans::compile(cel::Program::compile(source).unwrap().expression());
        assert_eq!(plans.is_whole(), compiles, "{source}");
        let (direct, cel) = both_with_helpers(source, q.clone());
        assert_eq!(direct.map(Ok), Some(cel), "{source}");
    }
}
