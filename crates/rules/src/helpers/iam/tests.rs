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
    let not_action =
        Policy::from_text(r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#)
            .unwrap();
    assert!(not_action.denies("config:StopConfigurationRecorder"));
    assert!(!not_action.denies("iam:CreateUser"));
}
use super::*;
use serde_json::json;

fn policy(v: serde_json::Value) -> Policy {
    Policy::from_json(&v).unwrap()
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
        policy(json!({"Statement": [{"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}]}))
            .is_admin()
    );
    assert!(
        !policy(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            .is_admin()
    );
    assert!(
        !policy(
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]})
        )
        .is_admin()
    );
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
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
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
        Policy::from_json(&json!({"Version": "2012-10-17"})),
        Err(PolicyError::NoStatement)
    );
    let err = Policy::from_json(&json!({"Statement": [{"Effect": "Allow", "Action": "*"}, {"Effect": "Maybe", "Action": "*"}]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy statement 1: `Effect` must be Allow or Deny, found `Maybe`"
    );
    let err =
        Policy::from_json(&json!({"Statement": {"Effect": "Allow", "Resource": "*"}})).unwrap_err();
    assert!(err.to_string().contains("missing `Action`"));
    assert!(Policy::from_json(&json!(42)).is_err());
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

fn public_under(operator: &str, key: &str, values: serde_json::Value) -> bool {
    policy(json!({"Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {operator: {key: values}}
    }]}))
    .is_public()
}

/// AWS: "StringNotEquals … Negated matching"; a negated operator on the caller's
/// organisation or account matches every caller *outside* it, so `Principal: "*"`
/// under it is open to the world.
#[test]
fn negated_operators_on_caller_keys_are_public() {
    for (op, key, value) in [
        ("StringNotEquals", "aws:PrincipalOrgID", "o-abc123"),
        ("StringNotEquals", "aws:PrincipalAccount", "111122223333"),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:role/x",
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:role/x",
        ),
        ("StringNotEquals", "aws:SourceAccount", "111122223333"),
        ("StringNotLike", "aws:PrincipalOrgID", "o-abc123"),
    ] {
        assert!(public_under(op, key, json!(value)), "{op} {key}");
    }
    // The positive forms do restrict.
    assert!(!public_under(
        "StringEquals",
        "aws:PrincipalOrgID",
        json!("o-abc123")
    ));
    assert!(!public_under(
        "ArnLike",
        "aws:PrincipalArn",
        json!("arn:aws:iam::111122223333:role/*")
    ));
}

/// `0.0.0.0/1` and `128.0.0.0/1` together are the whole IPv4 internet.
#[test]
fn ip_blocks_spanning_the_internet_are_public() {
    assert!(public_under(
        "IpAddress",
        "aws:SourceIp",
        json!(["0.0.0.0/1", "128.0.0.0/1"])
    ));
    assert!(public_under(
        "IpAddress",
        "aws:SourceIp",
        json!(["2000::/3"])
    ));
    assert!(public_under(
        "NotIpAddress",
        "aws:SourceIp",
        json!(["203.0.113.0/24"])
    ));
    assert!(!public_under(
        "IpAddress",
        "aws:SourceIp",
        json!(["203.0.113.0/24", "10.0.0.0/8"])
    ));
}

/// `StringLike aws:PrincipalOrgID "o-*"` admits every organisation there is.
#[test]
fn wildcard_organisation_or_account_values_are_public() {
    assert!(public_under(
        "StringLike",
        "aws:PrincipalOrgID",
        json!("o-*")
    ));
    assert!(public_under(
        "StringLike",
        "aws:PrincipalAccount",
        json!("1111*")
    ));
    assert!(public_under(
        "ArnLike",
        "aws:PrincipalArn",
        json!("arn:aws:iam::*:role/admin")
    ));
    assert!(public_under(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:s3:::*")
    ));
    assert!(public_under(
        "StringLike",
        "aws:PrincipalOrgPaths",
        json!("o-*/r-ab12/*")
    ));
    assert!(!public_under(
        "StringLike",
        "aws:PrincipalOrgPaths",
        json!("o-abc123/r-ab12/*")
    ));
    assert!(!public_under(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:s3:::my-bucket/*")
    ));
    assert!(!public_under(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:sns:*:111122223333:*")
    ));
}

/// `?*` matches every action (AWS: `?` is any one character, `*` any run).
#[test]
fn every_spelling_of_every_action_is_admin() {
    for action in ["?*", "*:*", "*:?*", "??*", "*"] {
        assert!(
            policy(json!({"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}))
                .is_admin(),
            "{action}"
        );
    }
    assert!(
        policy(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:*"}]}))
            .is_admin()
    );
    assert!(
        !policy(json!({"Statement": [{"Effect": "Allow", "Action": "*:Get*", "Resource": "*"}]}))
            .is_admin()
    );
    assert!(
        !policy(json!({"Statement": [{"Effect": "Allow", "Action": "*e*", "Resource": "*"}]}))
            .is_admin()
    );
}

/// `NotAction: iam:PassRole` on `*` still grants iam:AttachUserPolicy and the rest:
/// administrator access in all but name. PowerUserAccess (NotAction iam:*,
/// organizations:*, account:*) is not.
#[test]
fn not_action_leaving_iam_writes_is_admin() {
    assert!(
        policy(json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "*"}]}))
            .is_admin()
    );
    assert!(
        !policy(json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}))
            .is_admin()
    );
}

/// `${*}` stands for a literal `*` (AWS: "use where you need an * (asterisk)
/// character"), so a tokenised pattern keeps it apart from the wildcard.
#[test]
fn literal_wildcard_characters_in_token_patterns() {
    let p = [Glob::Lit('a'), Glob::Lit('*'), Glob::Any];
    assert!(glob_match(&p, "a*b", true));
    assert!(!glob_match(&p, "ab", true));
    let q = [Glob::Lit('?'), Glob::One];
    assert!(glob_match(&q, "?x", true));
    assert!(!glob_match(&q, "xx", true));
    assert_eq!(glob("a*?"), vec![Glob::Lit('a'), Glob::Any, Glob::One]);
}

proptest::proptest! {
    /// Patterns with at most one star take a short path that copies nothing; it
    /// must answer as the general matcher does (case folding, `?`, a star at
    /// either end, text shorter than the pattern, non-ASCII characters).
    #[test]
    fn the_one_star_path_agrees_with_the_general_matcher(
        pattern in "[aAbé?*]{0,6}",
        text in "[aAbBé*?]{0,8}",
        case_sensitive in proptest::bool::ANY,
    ) {
        let p = glob(&pattern);
        proptest::prop_assert_eq!(
            glob_match(&p, &text, case_sensitive),
            by_pieces(&p, &text, case_sensitive),
            "{} against {}", pattern, text
        );
    }
}

#[test]
fn version_decides_whether_variables_apply() {
    let with = policy(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
    );
    assert_eq!(with.version.as_deref(), Some("2012-10-17"));
    assert!(with.supports_variables());
    let old = policy(
        json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
    );
    assert!(!old.supports_variables());
    let none = policy(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
    assert!(!none.supports_variables());
}

/// IAM wildcard matching was O(pattern × text): one `*` plus 150,000 characters
/// against a 300,000-character name took 61 s. It is linear now; this case runs in
/// milliseconds, and the answers agree with a plain recursive matcher.
#[test]
fn wildcard_matching_is_linear_and_exact() {
    let text = "a".repeat(300_000);
    let pattern = format!("*{}b", "a".repeat(150_000));
    assert!(!wildcard_match(&pattern, &text, true));
    let pattern = format!("*{}*", "a".repeat(150_000));
    assert!(wildcard_match(&pattern, &text, true));
    fn reference(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, _) => t.is_empty(),
            (Some('*'), _) => reference(&p[1..], t) || (!t.is_empty() && reference(p, &t[1..])),
            (Some(_), None) => false,
            (Some(&c), Some(&d)) => (c == '?' || c == d) && reference(&p[1..], &t[1..]),
        }
    }
    let alphabet = ['a', 'b', '*', '?'];
    let mut seed = 7u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for _ in 0..5_000 {
        let p: String = (0..next(7)).map(|_| alphabet[next(4)]).collect();
        let t: String = (0..next(8)).map(|_| alphabet[next(2)]).collect();
        let (pc, tc): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
        assert_eq!(
            wildcard_match(&p, &t, true),
            reference(&pc, &tc),
            "{p} vs {t}"
        );
    }
}
