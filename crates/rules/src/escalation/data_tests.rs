//! Who can read and write secrets and KMS keys, against AWS's documented semantics:
//!
//! - KMS, "Key policies in AWS KMS"
//!   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): "Unless
//!   the key policy explicitly allows it, you cannot use IAM policies to allow access
//!   to a KMS key"; the default key policy's statement for the account root enables
//!   IAM policies; a key policy naming a principal is enough on its own within the
//!   account; another account needs both the key policy and its own IAM policy.
//! - Secrets Manager, "Secret encryption and decryption"
//!   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html):
//!   Secrets Manager uses the secret's KMS key on the caller's behalf, so reading needs
//!   `kms:Decrypt` on it and writing `kms:GenerateDataKey`.
//! - Secrets Manager, "Access AWS Secrets Manager secrets from a different account"
//!   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html):
//!   the resource policy and the identity policy must both allow, the identity must be
//!   allowed to use the KMS key, and "you can't use the AWS managed key
//!   (aws/secretsmanager) for cross-account access".

use serde_json::{Value, json};
use vigil_inventory::{Inventory, Resource};

use super::Analysis;
use super::data::{Access, DataAccess, Grant};
use super::test_estate::doc;
use crate::access::Decision;

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "eu-west-1";

/// A role that EC2 can assume, with one inline policy.
fn role(account: &str, name: &str, statements: Value) -> Resource {
    super::test_estate::role(
        account,
        name,
        statements,
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
    )
}

fn key_arn() -> String {
    format!("arn:aws:kms:{REGION}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
}

fn key(policy: Value) -> Resource {
    Resource::new(key_arn(), "aws.kms.key", A, REGION)
        .with_property("arn", json!(key_arn()))
        .with_property("key_id", json!("1234abcd-12ab-34cd-56ef-1234567890ab"))
        .with_property("key_manager", json!("CUSTOMER"))
        .with_property("aliases", json!(["alias/app"]))
        .with_property("policy", doc(policy))
}

/// The default key policy: the account root, which lets IAM policies grant use.
fn account_root_statement(account: &str) -> Value {
    json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
           "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
           "Action": "kms:*", "Resource": "*"})
}

fn secret_arn() -> String {
    format!("arn:aws:secretsmanager:{REGION}:{A}:secret:db-Xk3p9Q")
}

fn secret(kms_key_id: Value, policy: Value) -> Resource {
    Resource::new(secret_arn(), "aws.secretsmanager.secret", A, REGION)
        .with_property("arn", json!(secret_arn()))
        .with_property("kms_key_id", kms_key_id)
        .with_property("policy", policy)
}

fn reader(account: &str, name: &str) -> Resource {
    role(
        account,
        name,
        json!([{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]),
    )
}

/// The grants on one store, with the inventory's accounts outside any organisation.
fn grants(resources: Vec<Resource>, store: &str) -> Vec<Grant> {
    let resources = super::fixtures::standalone_accounts(resources);
    let inventory = Inventory::new(resources, vec![], vec![]).unwrap();
    let analysis = Analysis::new(&inventory).unwrap();
    let data = DataAccess::new(&inventory, &analysis);
    data.of_resource(inventory.index_of(store).unwrap())
        .expect("a store")
        .clone()
        .expect("its policy was collected")
}

fn who(grants: &[Grant], access: Access) -> Vec<(String, Decision)> {
    let mut out: Vec<(String, Decision)> = grants
        .iter()
        .filter(|g| g.access == access)
        .map(|g| (g.principal.clone(), g.decision))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

/// A key policy that names only its administrator gives nothing to a role whose IAM
/// policy allows `kms:Decrypt` on every key; the default statement for the account root
/// makes that IAM policy count; a key policy naming the role needs no IAM policy.
#[test]
fn a_kms_key_policy_must_allow_before_iam_policies_count() {
    let app = || {
        role(
            A,
            "app",
            json!([{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]),
        )
    };
    let admin_only = json!([{"Effect": "Allow", "Principal": {"AWS": arn(A, "key-admin")},
                             "Action": "kms:*", "Resource": "*"}]);
    let got = grants(
        vec![app(), role(A, "key-admin", json!([])), key(admin_only)],
        &key_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "key-admin"), Decision::Allowed)],
        "the IAM policy of app does not count: {got:?}"
    );
    let got = grants(
        vec![app(), key(json!([account_root_statement(A)]))],
        &key_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Allowed)]
    );
    assert_eq!(
        who(&got, Access::Write),
        [(arn(A, "app"), Decision::Allowed)]
    );
    let named = json!([{"Effect": "Allow", "Principal": {"AWS": arn(A, "reporting")},
                        "Action": "kms:Decrypt", "Resource": "*"}]);
    let got = grants(
        vec![role(A, "reporting", json!([])), key(named)],
        &key_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "reporting"), Decision::Allowed)]
    );
    assert!(who(&got, Access::Write).is_empty());
}

/// Another account's role needs the key policy to allow its account and its own IAM
/// policy to allow the call; the account itself appears as the stand-in for principals
/// Vigil does not see, and every grant is marked external.
#[test]
fn a_kms_key_used_from_another_account_needs_both_sides() {
    let policy = json!([account_root_statement(A),
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")},
         "Action": "kms:Decrypt", "Resource": "*"}]);
    let got = grants(
        vec![
            role(
                B,
                "consumer",
                json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn()}]),
            ),
            role(
                B,
                "bystander",
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
            ),
            key(policy),
        ],
        &key_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [
            (arn(B, "consumer"), Decision::Allowed),
            (format!("arn:aws:iam::{B}:root"), Decision::Allowed),
        ]
    );
    assert!(
        got.iter()
            .filter(|g| g.access == Access::Read)
            .all(|g| g.external)
    );
}

/// Same account, a customer managed key: a role with `GetSecretValue` reads the secret
/// only if it may also decrypt with the key (the key policy enabling IAM policies and
/// its own policy allowing `kms:Decrypt`); writing needs `kms:GenerateDataKey`, which
/// the readers do not have. The grant names the key.
#[test]
fn reading_a_secret_needs_its_customer_managed_key_too() {
    let got = grants(
        vec![
            reader(A, "app"),
            role(
                A,
                "no-kms",
                json!([{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]),
            ),
            role(
                A,
                "writer",
                json!([{"Effect": "Allow", "Action": ["secretsmanager:PutSecretValue", "kms:GenerateDataKey"], "Resource": "*"}]),
            ),
            key(json!([account_root_statement(A)])),
            secret(json!(key_arn()), Value::Null),
        ],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Allowed)]
    );
    assert_eq!(
        who(&got, Access::Write),
        [(arn(A, "writer"), Decision::Allowed)]
    );
    assert!(
        got.iter()
            .all(|g| g.key.as_deref() == Some(key_arn().as_str()))
    );

    // A key policy that does not enable IAM policies: no one reads the secret.
    let admin_only = json!([{"Effect": "Allow", "Principal": {"AWS": arn(A, "key-admin")},
                             "Action": ["kms:Create*", "kms:Put*"], "Resource": "*"}]);
    let got = grants(
        vec![
            reader(A, "app"),
            key(admin_only),
            secret(json!("alias/app"), Value::Null),
        ],
        &secret_arn(),
    );
    assert!(who(&got, Access::Read).is_empty(), "{got:?}");
}

/// A secret under `aws/secretsmanager` (`kms_key_id` null) is readable by the account's
/// principals whose policies allow it, and by no one in another account even when the
/// secret's policy and their own allow it. Under a customer managed key whose policy
/// admits that account, the same reader in the other account reads it.
#[test]
fn the_aws_managed_key_keeps_a_secret_in_its_account() {
    let shared = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": arn(B, "consumer")},
                             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]),
    );
    let got = grants(
        vec![
            reader(A, "app"),
            reader(B, "consumer"),
            secret(Value::Null, shared.clone()),
        ],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Allowed)]
    );
    assert!(got.iter().all(|g| g.key.is_none()));

    let key_policy = json!([account_root_statement(A),
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")},
         "Action": "kms:Decrypt", "Resource": "*"}]);
    let got = grants(
        vec![
            reader(A, "app"),
            reader(B, "consumer"),
            key(key_policy),
            secret(json!(key_arn()), shared),
        ],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [
            (arn(A, "app"), Decision::Allowed),
            (arn(B, "consumer"), Decision::Allowed),
        ]
    );
    let consumer = got
        .iter()
        .find(|g| g.principal == arn(B, "consumer"))
        .unwrap();
    assert!(consumer.external);
}

/// A key policy that allows decryption only through Secrets Manager and for this
/// secret (`kms:ViaService`, `kms:EncryptionContext:SecretARN`) is decided, not left
/// conditional: those are the values of the call Secrets Manager makes.
#[test]
fn the_calls_secrets_manager_makes_carry_its_context() {
    let key_policy = json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:root")},
        "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": format!("secretsmanager.{REGION}.amazonaws.com"),
                                       "kms:CallerAccount": A},
                      "StringLike": {"kms:EncryptionContext:SecretARN": format!("arn:aws:secretsmanager:{REGION}:{A}:secret:db-*")}}}]);
    let got = grants(
        vec![
            reader(A, "app"),
            key(key_policy),
            secret(json!(key_arn()), Value::Null),
        ],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Allowed)]
    );
}

/// A key Vigil does not hold (another account's, not scanned) leaves the grant
/// conditional and says why; a secret whose key was not collected at all likewise.
#[test]
fn a_key_vigil_does_not_hold_makes_the_grant_conditional() {
    let elsewhere = format!("arn:aws:kms:{REGION}:{B}:key/ffff");
    let got = grants(
        vec![reader(A, "app"), secret(json!(elsewhere), Value::Null)],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Conditional)]
    );
    assert!(
        got[0].depends_on.iter().any(|w| w.contains(&elsewhere)),
        "{:?}",
        got[0].depends_on
    );
    let unknown = Resource::new(secret_arn(), "aws.secretsmanager.secret", A, REGION)
        .with_property("arn", json!(secret_arn()))
        .with_property("policy", Value::Null);
    let got = grants(vec![reader(A, "app"), unknown], &secret_arn());
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Conditional)]
    );
}

/// The readers' SCPs apply: an SCP of the account's OU denying `GetSecretValue` leaves
/// no reader; SCPs not collected leave the read conditional.
#[test]
fn the_scps_of_the_readers_account_apply() {
    let full = json!({"id": "p-FullAWSAccess", "name": "FullAWSAccess", "arn": "arn:aws:organizations::999999999999:policy/o-1/service_control_policy/p-FullAWSAccess",
                      "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))});
    let deny = json!({"id": "p-no-secrets", "name": "no-secrets", "arn": "arn:aws:organizations::999999999999:policy/o-1/service_control_policy/p-no-secrets",
                      "document": doc(json!([{"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]))});
    let account = |organization: Value| {
        Resource::new(format!("arn:aws::{A}:account"), "aws.account", A, "global")
            .with_property("organization", organization)
    };
    let member = account(
        json!({"id": "o-1", "master_account_id": "999999999999", "is_management_account": false,
        "ou_chain": [{"id": "r-1", "type": "ROOT", "scps": [full.clone()]},
                     {"id": A, "type": "ACCOUNT", "scps": [full, deny]}]}),
    );
    let got = grants(
        vec![reader(A, "app"), secret(Value::Null, Value::Null), member],
        &secret_arn(),
    );
    assert!(who(&got, Access::Read).is_empty(), "{got:?}");
    let unread = account(
        json!({"id": "o-1", "master_account_id": "999999999999", "is_management_account": false}),
    );
    let got = grants(
        vec![reader(A, "app"), secret(Value::Null, Value::Null), unread],
        &secret_arn(),
    );
    assert_eq!(
        who(&got, Access::Read),
        [(arn(A, "app"), Decision::Conditional)]
    );
}

/// Stores that nothing tells apart share an engine answer for a principal whose
/// statements all say `Resource: "*"`, never for one whose statements name a store:
/// `star` reads both buckets, `one` only the bucket it names; and the grants of a store
/// are the same whether asked first or after the other's.
#[test]
fn shared_answers_never_cross_a_resource_scope() {
    let bucket = |name: &str| {
        Resource::new(format!("arn:aws:s3:::{name}"), "aws.s3.bucket", A, "global")
            .with_property("policy", Value::Null)
            .with_property("policy_is_public", json!(false))
            .with_property("public_access_block", Value::Null)
    };
    let resources = super::fixtures::standalone_accounts(vec![
        role(
            A,
            "star",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        ),
        role(
            A,
            "one",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/*"}]),
        ),
        bucket("alpha"),
        bucket("beta"),
    ]);
    let inventory = Inventory::new(resources, vec![], vec![]).unwrap();
    let analysis = Analysis::new(&inventory).unwrap();
    let readers = |data: &DataAccess, name: &str| {
        let idx = inventory.index_of(&format!("arn:aws:s3:::{name}")).unwrap();
        who(
            data.of_resource(idx).unwrap().as_ref().unwrap(),
            Access::Read,
        )
    };
    for order in [["alpha", "beta"], ["beta", "alpha"]] {
        let data = DataAccess::new(&inventory, &analysis);
        for name in order {
            readers(&data, name);
        }
        assert_eq!(
            readers(&data, "alpha"),
            [
                (arn(A, "one"), Decision::Allowed),
                (arn(A, "star"), Decision::Allowed)
            ]
        );
        assert_eq!(
            readers(&data, "beta"),
            [(arn(A, "star"), Decision::Allowed)]
        );
        assert_eq!(data.of_principal(&arn(A, "one")).len(), 1);
    }
}
