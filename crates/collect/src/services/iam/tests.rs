use aws_sdk_iam::types::{PolicyVersion, RoleLastUsed, StatusType, User};

use super::*;

fn at(secs: i64) -> DateTime {
    DateTime::from_secs(secs)
}

const REPORT: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-02-11T16:04:51+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2025-01-09T10:12:44+00:00,true,2026-11-23T08:41:07+00:00,2025-01-09T10:12:44+00:00,N/A,true,true,2026-09-02T14:27:55+00:00,2026-11-22T17:03:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
bob,arn:aws:iam::111122223333:user/bob,2025-01-09T10:12:44+00:00,false,no_information,N/A,N/A,false,true,2025-01-09T10:13:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

#[test]
fn the_report_parses_into_root_and_users_by_arn() {
    let report = parse_credential_report(REPORT.as_bytes()).unwrap();
    assert_eq!(report.users.len(), 2);
    let root = report.root.as_ref().unwrap();
    assert_eq!(root.flag("mfa_active"), Some(true));
    assert_eq!(root.flag("password_enabled"), None);
    let alice = &report.users["arn:aws:iam::111122223333:user/alice"];
    assert_eq!(alice.flag("password_enabled"), Some(true));
    assert_eq!(
        alice.time("password_last_used"),
        Some(json!("2026-11-23T08:41:07Z"))
    );
    let bob = &report.users["arn:aws:iam::111122223333:user/bob"];
    assert_eq!(bob.time("password_last_used"), Some(Value::Null));
    assert_eq!(bob.flag("mfa_active"), Some(false));
    assert_eq!(bob.time("no_such_column"), None);
}

#[test]
fn an_unparsable_report_timestamp_is_unknown() {
    let row = ReportRow(HashMap::from([(
        "password_last_used".to_owned(),
        "yesterday".to_owned(),
    )]));
    assert_eq!(row.time("password_last_used"), None);
}

#[test]
fn report_key_slots_match_keys_by_creation_second() {
    let report = parse_credential_report(REPORT.as_bytes()).unwrap();
    let alice = &report.users["arn:aws:iam::111122223333:user/alice"];
    // 2026-09-02T14:27:55Z
    let created = DateTime::from_fractional_secs(1_788_359_275, 0.25);
    assert_eq!(
        alice.key_last_used(&created),
        Some(LastUsed {
            date: json!("2026-11-22T17:03:00Z"),
            service: json!("sts")
        })
    );
    // A key the report does not know (created after it) is not matched.
    assert_eq!(alice.key_last_used(&at(1_790_000_000)), None);
    let bob = &report.users["arn:aws:iam::111122223333:user/bob"];
    assert_eq!(
        bob.key_last_used(&at(1_736_417_580)),
        Some(LastUsed {
            date: Value::Null,
            service: Value::Null
        })
    );
}

#[test]
fn two_slots_with_the_same_second_are_ambiguous() {
    let row = ReportRow(HashMap::from([
        (
            "access_key_1_last_rotated".to_owned(),
            "2025-01-09T10:13:00+00:00".to_owned(),
        ),
        (
            "access_key_2_last_rotated".to_owned(),
            "2025-01-09T10:13:00+00:00".to_owned(),
        ),
    ]));
    assert_eq!(row.key_last_used(&at(1_736_417_580)), None);
}

#[test]
fn root_facts_come_from_the_report_row() {
    let report = parse_credential_report(REPORT.as_bytes()).unwrap();
    let root = root_properties(report.root.as_ref(), None, Some(false));
    assert_eq!(
        Value::Object(root),
        json!({
            "mfa_active": true,
            "hardware_mfa": true,
            "access_key_1_active": false,
            "access_key_2_active": false,
            "access_key_1_last_used": null,
            "access_key_2_last_used": null,
            "password_last_used": "2026-02-11T16:04:51Z",
        })
    );
}

#[test]
fn without_a_report_root_facts_come_from_the_summary_and_nothing_is_invented() {
    let summary: Map<String, Value> =
        serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}))
            .unwrap();
    let root = root_properties(None, Some(&summary), Some(true));
    assert_eq!(
        Value::Object(root),
        json!({
            "mfa_active": true,
            "hardware_mfa": false,
            "access_key_1_active": false,
            "access_key_2_active": false,
            "access_key_1_last_used": null,
            "access_key_2_last_used": null,
        })
    );
    // Keys present but unknown which; MFA on but virtual list unreadable.
    let summary: Map<String, Value> =
        serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}))
            .unwrap();
    assert_eq!(
        Value::Object(root_properties(None, Some(&summary), None)),
        json!({"mfa_active": true})
    );
    assert!(root_properties(None, None, None).is_empty());
}

#[test]
fn the_live_summary_overrides_a_stale_report_row() {
    let row = ReportRow(HashMap::from([
        ("mfa_active".to_owned(), "false".to_owned()),
        ("access_key_1_active".to_owned(), "true".to_owned()),
        (
            "access_key_1_last_used_date".to_owned(),
            "2026-01-01T00:00:00+00:00".to_owned(),
        ),
    ]));
    let summary: Map<String, Value> =
        serde_json::from_value(json!({"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}))
            .unwrap();
    let root = root_properties(Some(&row), Some(&summary), Some(false));
    assert_eq!(root["mfa_active"], json!(true));
    assert_eq!(root["hardware_mfa"], json!(true));
    assert_eq!(root["access_key_1_active"], json!(false));
    // A deleted key's last use is still history.
    assert_eq!(
        root["access_key_1_last_used"],
        json!("2026-01-01T00:00:00Z")
    );
}

#[test]
fn root_without_mfa_has_no_hardware_mfa() {
    let summary: Map<String, Value> =
        serde_json::from_value(json!({"AccountMFAEnabled": 0})).unwrap();
    let root = root_properties(None, Some(&summary), None);
    assert_eq!(root["mfa_active"], json!(false));
    assert_eq!(root["hardware_mfa"], json!(false));
}

#[test]
fn virtual_devices_name_the_root_device() {
    let root_user = User::builder()
        .path("/")
        .user_name("root")
        .user_id("111122223333")
        .arn("arn:aws:iam::111122223333:root")
        .create_date(at(0))
        .build()
        .unwrap();
    let devices = vec![
        VirtualMfaDevice::builder()
            .serial_number("arn:aws:iam::111122223333:mfa/root-device")
            .user(root_user)
            .build()
            .unwrap(),
        VirtualMfaDevice::builder()
            .serial_number("arn:aws:iam::111122223333:mfa/alice")
            .build()
            .unwrap(),
    ];
    let v = virtual_mfa(&devices);
    assert!(v.root_is_virtual);
    assert!(v.serials.contains("arn:aws:iam::111122223333:mfa/alice"));
    assert!(!virtual_mfa(&devices[1..]).root_is_virtual);
}

#[test]
fn mfa_devices_are_virtual_when_listed_as_virtual() {
    let device = |serial: &str| {
        MfaDevice::builder()
            .user_name("alice")
            .serial_number(serial)
            .enable_date(at(1_736_417_580))
            .build()
            .unwrap()
    };
    let listed = HashSet::from(["arn:aws:iam::111122223333:mfa/alice".to_owned()]);
    assert_eq!(
        mfa_device_json(
            &device("arn:aws:iam::111122223333:mfa/alice"),
            Some(&listed)
        ),
        json!({"serial_number": "arn:aws:iam::111122223333:mfa/alice", "enable_date": "2025-01-09T10:13:00Z", "virtual": true})
    );
    assert_eq!(
        mfa_device_json(&device("GAHT12345678"), Some(&listed))["virtual"],
        json!(false)
    );
    // Without the virtual list, the serial's form decides.
    assert_eq!(
        mfa_device_json(&device("arn:aws:iam::111122223333:mfa/x"), None)["virtual"],
        json!(true)
    );
    assert_eq!(
        mfa_device_json(&device("arn:aws:iam::111122223333:u2f/user/x/k"), None)["virtual"],
        json!(false)
    );
}

#[test]
fn access_keys_carry_last_use_only_when_known() {
    let key = AccessKeyMetadata::builder()
        .user_name("alice")
        .access_key_id("AKIAEXAMPLE")
        .status(StatusType::Active)
        .create_date(at(1_736_417_580))
        .build();
    assert_eq!(
        access_key_json(
            &key,
            Some(&LastUsed {
                date: Value::Null,
                service: Value::Null
            })
        ),
        json!({"access_key_id": "AKIAEXAMPLE", "status": "Active", "create_date": "2025-01-09T10:13:00Z", "last_used_date": null, "last_used_service": null})
    );
    let unknown = access_key_json(&key, None);
    assert!(unknown.get("last_used_date").is_none());
    assert_eq!(unknown["status"], json!("Active"));
}

#[test]
fn na_text_is_null() {
    assert_eq!(known_text(Some("N/A")), Value::Null);
    assert_eq!(known_text(None), Value::Null);
    assert_eq!(known_text(Some("s3")), json!("s3"));
}

#[test]
fn a_user_detail_gives_base_properties() {
    let user = UserDetail::builder()
        .user_name("alice")
        .arn("arn:aws:iam::111122223333:user/alice")
        .create_date(at(1_736_417_564))
        .group_list("Administrators")
        .attached_managed_policies(
            AttachedPolicy::builder()
                .policy_name("ReadOnlyAccess")
                .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .build(),
        )
        .user_policy_list(
            PolicyDetail::builder()
                .policy_name("inline")
                .policy_document(
                    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
                )
                .build(),
        )
        .build();
    assert_eq!(
        Value::Object(user_base_properties(&user)),
        json!({
            "arn": "arn:aws:iam::111122223333:user/alice",
            "user_name": "alice",
            "create_date": "2025-01-09T10:12:44Z",
            "attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "inline_policies": [{"name": "inline", "document": {"Version": "2012-10-17", "Statement": []}}],
            "groups": ["Administrators"],
            "permissions_boundary": null,
        })
    );
}

#[test]
fn a_group_detail_gives_its_properties() {
    let group = GroupDetail::builder()
        .group_name("Admins")
        .arn("arn:aws:iam::111122223333:group/ops/Admins")
        .build();
    assert_eq!(
        group_properties(&group),
        json!({"arn": "arn:aws:iam::111122223333:group/ops/Admins", "group_name": "Admins", "attached_policies": [], "inline_policies": []})
    );
}

#[test]
fn a_role_detail_gives_its_properties() {
    // As IAM returns it: URL-encoded.
    let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22config.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let role = RoleDetail::builder()
            .role_name("AWSServiceRoleForConfig")
            .path("/aws-service-role/config.amazonaws.com/")
            .arn("arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
            .create_date(at(1_736_417_564))
            .assume_role_policy_document(trust)
            .role_last_used(RoleLastUsed::builder().region("us-east-1").build())
            .build();
    let props = role_properties(&role);
    assert_eq!(props["is_service_linked"], json!(true));
    assert_eq!(props["role_last_used"], Value::Null);
    assert_eq!(
        props["assume_role_policy"]["Statement"][0]["Principal"]["Service"],
        json!("config.amazonaws.com")
    );
    assert_eq!(
        props["assume_role_policy"]["Statement"][0]["Effect"],
        json!("Allow")
    );
    assert_eq!(
        props["path"],
        json!("/aws-service-role/config.amazonaws.com/")
    );
    assert_eq!(props["inline_policies"], json!([]));
    let used = RoleDetail::builder()
        .path("/")
        .role_last_used(
            RoleLastUsed::builder()
                .last_used_date(at(1_736_417_564))
                .build(),
        )
        .build();
    assert_eq!(
        role_properties(&used)["role_last_used"],
        json!("2025-01-09T10:12:44Z")
    );
    assert_eq!(role_properties(&used)["is_service_linked"], json!(false));
}

#[test]
fn a_policy_s_document_is_its_default_version() {
    let policy = ManagedPolicyDetail::builder()
        .arn("arn:aws:iam::111122223333:policy/p")
        .default_version_id("v2")
        .policy_version_list(
            PolicyVersion::builder()
                .version_id("v1")
                .document("%7B%22v%22%3A1%7D")
                .is_default_version(false)
                .build(),
        )
        .policy_version_list(
            PolicyVersion::builder()
                .version_id("v2")
                .document("%7B%22v%22%3A2%7D")
                .is_default_version(true)
                .build(),
        )
        .build();
    assert_eq!(default_document(&policy), Some(json!({"v": 2})));
    let without = ManagedPolicyDetail::builder()
        .default_version_id("v3")
        .build();
    assert_eq!(default_document(&without), None);
    assert!(is_aws_managed(
        "arn:aws:iam::aws:policy/service-role/AWSConfigRole"
    ));
    assert!(!is_aws_managed("arn:aws:iam::111122223333:policy/aws"));
}

#[test]
fn the_password_policy_keeps_unset_numbers_null() {
    let policy = PasswordPolicy::builder()
        .minimum_password_length(14)
        .require_symbols(true)
        .allow_users_to_change_password(true)
        .build();
    assert_eq!(
        password_policy_json(&policy),
        json!({
            "minimum_password_length": 14,
            "require_symbols": true,
            "require_numbers": false,
            "require_uppercase_characters": false,
            "require_lowercase_characters": false,
            "allow_users_to_change_password": true,
            "expire_passwords": false,
            "max_password_age": null,
            "password_reuse_prevention": null,
            "hard_expiry": null,
        })
    );
}

#[test]
fn the_summary_uses_aws_counter_names() {
    let map = HashMap::from([
        (SummaryKeyType::AccountMfaEnabled, 1),
        (SummaryKeyType::Users, 4),
    ]);
    assert_eq!(
        Value::Object(summary_json(Some(&map))),
        json!({"AccountMFAEnabled": 1, "Users": 4})
    );
    assert!(summary_json(None).is_empty());
}

#[test]
fn server_certificates_and_providers_give_their_properties() {
    let cert = ServerCertificateMetadata::builder()
        .path("/")
        .server_certificate_name("legacy")
        .server_certificate_id("ASCA1")
        .arn("arn:aws:iam::111122223333:server-certificate/legacy")
        .upload_date(at(1_736_417_564))
        .expiration(at(1_767_953_564))
        .build()
        .unwrap();
    assert_eq!(
        server_certificate_properties(&cert),
        json!({
            "arn": "arn:aws:iam::111122223333:server-certificate/legacy",
            "server_certificate_name": "legacy",
            "expiration": "2026-01-09T10:12:44Z",
            "upload_date": "2025-01-09T10:12:44Z",
        })
    );
    assert_eq!(
        saml_properties(
            "arn:aws:iam::1:saml-provider/Okta",
            Some(&at(1_736_417_564)),
            None
        ),
        json!({"arn": "arn:aws:iam::1:saml-provider/Okta", "create_date": "2025-01-09T10:12:44Z", "valid_until": null})
    );
    assert_eq!(
        arn_name("arn:aws:iam::1:saml-provider/Okta", "saml-provider/"),
        Some("Okta".into())
    );
    assert_eq!(
        arn_name(
            "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com",
            "oidc-provider/"
        ),
        Some("token.actions.githubusercontent.com".into())
    );
}

#[test]
fn tags_become_a_map() {
    let list = vec![
        Tag::builder()
            .key("team")
            .value("platform")
            .build()
            .unwrap(),
    ];
    assert_eq!(
        tags(&list),
        BTreeMap::from([("team".to_owned(), "platform".to_owned())])
    );
}
