use super::*;

fn collector_services() -> Vec<&'static str> {
    vigil_collect::COLLECTORS
        .iter()
        .map(|c| c.service)
        .collect()
}

fn env(name: &str) -> Option<String> {
    (name == "VIGIL_API_TOKEN").then(|| "t0ken".to_owned())
}

fn parse_text(text: &str) -> Result<Config, ConfigErrors> {
    parse(Path::new("vigil.toml"), text, &env, &collector_services())
}

#[test]
fn the_template_is_a_valid_configuration() {
    let config = parse_text(TEMPLATE).unwrap_or_else(|e| panic!("{e}"));
    assert!(!config.schedules.is_empty());
    assert_eq!(config.api.listen, "127.0.0.1:9464");
}

/// The example configurations in `deploy/examples/` stay valid.
#[test]
fn the_deploy_examples_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/examples");
    let env = |name: &str| name.starts_with("VIGIL_").then(|| "t0ken".to_owned());
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            parse(&path, &text, &env, &collector_services()).unwrap_or_else(|e| panic!("{e}"));
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} examples");
}

#[test]
fn every_problem_is_reported_at_once_with_line_and_field() {
    let text = r#"
[api]
token_env = "MISSING_TOKEN"

[[accounts]]
role_arn = "arn:aws:iam::12345:role/Scanner"

[[accounts]]
profile = "prod"
rol_arn = "typo"

[[schedules]]
cron = "every hour"

[scan]
regions = ["eu-west-1", "Europe"]
services = ["iam", "dynamo"]
"#;
    let err = parse_text(text).unwrap_err();
    let found: Vec<(Option<usize>, &str)> = err
        .issues
        .iter()
        .map(|i| (i.line, i.field.as_str()))
        .collect();
    assert!(found.contains(&(Some(6), "accounts[0].role_arn")), "{err}");
    assert!(found.contains(&(Some(10), "accounts[1]")), "{err}");
    assert!(found.contains(&(Some(13), "schedules[0].cron")), "{err}");
    assert!(found.contains(&(Some(16), "scan.regions")), "{err}");
    assert!(found.contains(&(Some(17), "scan.services")), "{err}");
    assert!(found.contains(&(Some(3), "api.token_env")), "{err}");
    assert_eq!(err.issues.len(), 6, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("vigil.toml:10: accounts[1]: unknown field `rol_arn`"),
        "{text}"
    );
    assert!(text.contains("MISSING_TOKEN"), "{text}");
}

#[test]
fn a_syntax_error_names_its_line() {
    let err = parse_text("[api]\ntoken_env = \n").unwrap_err();
    assert_eq!(err.issues.len(), 1);
    assert_eq!(err.issues[0].line, Some(2), "{err}");
}

#[test]
fn unknown_top_level_sections_and_nothing_to_scan_are_errors() {
    let err = parse_text("[api]\ntoken_env = \"VIGIL_API_TOKEN\"\n[shedule]\n").unwrap_err();
    assert!(err.to_string().contains("shedule"), "{err}");
    let err = parse_text("[api]\ntoken_env = \"VIGIL_API_TOKEN\"\n").unwrap_err();
    assert!(err.to_string().contains("nothing to scan"), "{err}");
}

#[test]
fn backoff_doubles_and_is_capped() {
    let d = DeliveryConfig {
        min_backoff_secs: 5,
        max_backoff_secs: 60,
        ..DeliveryConfig::default()
    };
    assert_eq!(d.backoff(1), Duration::from_secs(5));
    assert_eq!(d.backoff(2), Duration::from_secs(10));
    assert_eq!(d.backoff(4), Duration::from_secs(40));
    assert_eq!(d.backoff(5), Duration::from_secs(60));
    assert_eq!(d.backoff(500), Duration::from_secs(60));
}

#[test]
fn names_are_checked() {
    assert!(is_region("eu-west-1") && is_region("us-gov-west-1"));
    assert!(!is_region("Europe") && !is_region("eu-west") && !is_region("eu-west-"));
    assert!(is_role_arn(
        "arn:aws:iam::123456789012:role/path/Vigil-Scanner"
    ));
    assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
    assert!(!is_role_arn("arn:aws:s3:::bucket"));
}
