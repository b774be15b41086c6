#!/usr/bin/env python3
"""Builds a deliberately misconfigured AWS account in the local emulators.

Run after start.sh, with the moto venv's Python (it has boto3), in the environment that
start.sh writes:

    source localstack/state/env.sh
    localstack/.venv-moto/bin/python localstack/seed.py

Every planted problem lives on a resource whose name starts with `bad-`; every resource
a correct scanner must not flag starts with `good-`. Account- and region-wide settings
(password policy, EBS default encryption, GuardDuty, ...) have no name: expected.yaml
refers to them by the account or region node id. expected.yaml is the contract; this
script builds what it describes, then reads everything back through the same APIs a
scanner uses (the credential report included) and fails if the emulators did not keep
what was planted.

It writes state/seeded.json: the ids the APIs generated (VPC, subnet, security group,
instance, volume, snapshot, image, KMS key, EFS, GuardDuty detector ...) by the name the
seed gave them, for tests that match on ids.

Endpoints come from env.sh (AWS_ENDPOINT_URL and the per-service AWS_ENDPOINT_URL_*
variables, which boto3 honours). The one exception is moto's own S3, where the CloudTrail
trails' buckets must exist for moto to accept the trails (VIGIL_MOTO_ENDPOINT).

Run it once on a fresh state (start.sh wipes the state): if it finds its own resources
already there it says so and exits 0 without changing anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
import time
import zipfile
from collections import Counter

import boto3
import botocore
from botocore.config import Config

import seed_more  # beside this file: DMS, Network Firewall, MSK, EMR, AppSync

ACCOUNT = "000000000000"
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
STATE = os.environ.get("VIGIL_LOCALSTACK_STATE") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "state")
MOTO = os.environ.get("VIGIL_MOTO_ENDPOINT")
BACKDATE_TAG = "vigil-harness:backdate-days"  # see hook/sitecustomize.py

CFG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)
S3_CFG = CFG.merge(Config(s3={"addressing_style": "path"}))

ids: dict[str, str] = {}  # seeded name -> generated id / ARN
planted: list[tuple[str, str, str, str]] = []  # (service, rule id, resource, problem)
clean: list[tuple[str, str]] = []  # (service, resource)
failures: list[str] = []


def client(service: str, **kw):
    cfg = S3_CFG if service == "s3" else CFG
    return boto3.client(service, region_name=REGION, config=cfg, **kw)


def plant(service: str, rule: str, resource: str, problem: str) -> None:
    """One planted problem: `rule` must FAIL on `resource` (a seeded name, or `account` /
    `region` for the account and region nodes). expected.yaml lists each of them."""
    planted.append((service, rule, resource, problem))


def good(service: str, resource: str) -> None:
    clean.append((service, resource))


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def tags(name: str, extra: dict | None = None) -> list[dict]:
    out = [{"Key": "Name", "Value": name}]
    for k, v in (extra or {}).items():
        out.append({"Key": k, "Value": v})
    return out


def ec2_tags(kind: str, name: str, extra: dict | None = None) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(name, extra)}]


# Tag keys and values the default rule settings recognise (crates/rules/src/settings.rs):
# `data-classification` is a classification key, `confidential` a sensitive value,
# `owner` an ownership key. The clean resources carry them; one bad resource per type
# goes without, as a planted problem.
CONFIDENTIAL = {"data-classification": "confidential"}
INTERNAL = {"data-classification": "internal"}
OWNER = {"owner": "platform-team"}


def check(ok: bool, what: str) -> None:
    if ok:
        print(f"  ok    {what}")
    else:
        print(f"  FAIL  {what}")
        failures.append(what)


ADMIN = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
LAMBDA_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})


def tls_only(bucket: str) -> str:
    return doc({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })


# ---------------------------------------------------------------------------------------
# IAM (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_iam() -> None:
    iam = client("iam")
    print("IAM")

    # Account password policy: too short, no reuse prevention.
    iam.update_account_password_policy(
        MinimumPasswordLength=8, RequireSymbols=False, RequireNumbers=True,
        RequireUppercaseCharacters=False, RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True)
    plant("iam", "iam_password_policy_min_length", "account", "password policy minimum length 8 (< 14)")
    plant("iam", "iam_password_policy_prevents_reuse", "account", "password policy without reuse prevention")

    # Console user without MFA.
    iam.create_user(UserName="bad-user-console-no-mfa")
    iam.create_login_profile(UserName="bad-user-console-no-mfa", Password="Bad-Passw0rd-1234")
    plant("iam", "iam_user_console_mfa_enabled", "bad-user-console-no-mfa", "console password, no MFA")

    # A user whose credentials are 120 days old and never used (clock shift, see hook/).
    iam.create_user(UserName="bad-user-stale-key", Tags=[{"Key": BACKDATE_TAG, "Value": "120"}])
    iam.create_login_profile(UserName="bad-user-stale-key", Password="Bad-Passw0rd-1234")
    iam.create_access_key(UserName="bad-user-stale-key")
    plant("iam", "iam_user_access_keys_rotated", "bad-user-stale-key", "active access key 120 days old (not rotated in 90)")
    plant("iam", "iam_user_unused_credentials_disabled", "bad-user-stale-key", "password and key unused for 120 days (> 45)")

    # Console user who got an access key at creation, never used.
    iam.create_user(UserName="bad-user-key-at-setup")
    iam.create_login_profile(UserName="bad-user-key-at-setup", Password="Bad-Passw0rd-1234")
    iam.create_access_key(UserName="bad-user-key-at-setup")
    plant("iam", "iam_user_no_access_keys_at_setup", "bad-user-key-at-setup", "access key created with the console user, never used")

    # Two active access keys.
    iam.create_user(UserName="bad-user-two-keys")
    iam.create_access_key(UserName="bad-user-two-keys")
    iam.create_access_key(UserName="bad-user-two-keys")
    plant("iam", "iam_user_single_active_access_key", "bad-user-two-keys", "two active access keys")

    # Directly attached policy.
    iam.create_user(UserName="bad-user-attached-policy")
    iam.attach_user_policy(UserName="bad-user-attached-policy", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    plant("iam", "iam_user_no_attached_policies", "bad-user-attached-policy", "managed policy attached to the user directly")

    # Inline full-admin policy on a user.
    iam.create_user(UserName="bad-user-inline-admin")
    iam.put_user_policy(UserName="bad-user-inline-admin", PolicyName="bad-inline-admin", PolicyDocument=ADMIN)
    plant("iam", "iam_user_inline_policy_no_full_admin", "bad-user-inline-admin", "inline policy allows *:*")

    # Customer managed *:* policy, attached (to a group).
    arn = iam.create_policy(PolicyName="bad-policy-full-admin", PolicyDocument=ADMIN)["Policy"]["Arn"]
    ids["bad-policy-full-admin"] = arn
    iam.create_group(GroupName="bad-group-admins")
    iam.attach_group_policy(GroupName="bad-group-admins", PolicyArn=arn)
    plant("iam", "iam_policy_no_full_admin", "bad-policy-full-admin", "customer managed policy allows *:* and is attached")

    # Customer managed policy with a service wildcard.
    ids["bad-policy-s3-wildcard"] = iam.create_policy(
        PolicyName="bad-policy-s3-wildcard",
        PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    plant("iam", "iam_policy_no_service_wildcard", "bad-policy-s3-wildcard", "customer managed policy allows s3:*")

    # Group with an inline admin policy.
    iam.create_group(GroupName="bad-group-inline-admin")
    iam.put_group_policy(GroupName="bad-group-inline-admin", PolicyName="bad-inline-admin", PolicyDocument=ADMIN)
    plant("iam", "iam_group_inline_policy_no_full_admin", "bad-group-inline-admin", "inline group policy allows *:*")

    # Role anyone can assume.
    iam.create_role(RoleName="bad-role-public-trust", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
    plant("iam", "iam_role_trust_policy_not_public", "bad-role-public-trust", "trust policy allows Principal AWS: *")

    # Role with an inline admin policy.
    iam.create_role(RoleName="bad-role-inline-admin", AssumeRolePolicyDocument=EC2_TRUST)
    iam.put_role_policy(RoleName="bad-role-inline-admin", PolicyName="bad-inline-admin", PolicyDocument=ADMIN)
    plant("iam", "iam_role_inline_policy_no_full_admin", "bad-role-inline-admin", "inline role policy allows *:*")

    # AWSCloudShellFullAccess attached.
    iam.create_role(RoleName="bad-role-cloudshell", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="bad-role-cloudshell", PolicyArn="arn:aws:iam::aws:policy/AWSCloudShellFullAccess")
    plant("iam", "iam_cloudshell_full_access_not_attached", "AWSCloudShellFullAccess", "AWSCloudShellFullAccess attached (to bad-role-cloudshell)")

    # Expired and valid server certificates.
    body, key = self_signed_cert("bad-cert.example.test", dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1))
    iam.upload_server_certificate(ServerCertificateName="bad-server-cert-expired", CertificateBody=body, PrivateKey=key)
    plant("iam", "iam_server_certificate_not_expired", "bad-server-cert-expired", "server certificate expired 2021-01-01")
    body, key = self_signed_cert("good-cert.example.test", dt.datetime(2025, 1, 1), dt.datetime(2045, 1, 1))
    iam.upload_server_certificate(ServerCertificateName="good-server-cert", CertificateBody=body, PrivateKey=key)
    good("iam", "good-server-cert")

    # --- clean ---
    # Console user with a virtual MFA device, permissions through a group.
    iam.create_group(GroupName="good-group-readonly")
    iam.attach_group_policy(GroupName="good-group-readonly", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    good("iam", "good-group-readonly")
    iam.create_user(UserName="good-user-mfa")
    iam.create_login_profile(UserName="good-user-mfa", Password="Good-Passw0rd-1234-abcd")
    iam.add_user_to_group(UserName="good-user-mfa", GroupName="good-group-readonly")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="good-user-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="good-user-mfa", SerialNumber=serial,
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    good("iam", "good-user-mfa")

    # Programmatic user with one fresh key, permissions through a group.
    iam.create_user(UserName="good-user-api")
    iam.add_user_to_group(UserName="good-user-api", GroupName="good-group-readonly")
    iam.create_access_key(UserName="good-user-api")
    good("iam", "good-user-api")

    # Least-privilege customer policy on a service role.
    ids["good-policy-least-privilege"] = iam.create_policy(
        PolicyName="good-policy-least-privilege",
        PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:GetObject"],
                            "Resource": "arn:aws:s3:::good-bucket-hardened/*"}))["Policy"]["Arn"]
    iam.create_role(RoleName="good-role-ec2", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="good-role-ec2", PolicyArn=ids["good-policy-least-privilege"])
    good("iam", "good-policy-least-privilege")
    good("iam", "good-role-ec2")

    # Support role (account_support_role_exists).
    iam.create_role(RoleName="good-role-support", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    iam.attach_role_policy(RoleName="good-role-support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")
    good("iam", "good-role-support")

    # Lambda execution role (used by the functions below).
    ids["good-role-lambda"] = iam.create_role(
        RoleName="good-role-lambda", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    good("iam", "good-role-lambda")
    # Flow-logs delivery role.
    ids["good-role-flow-logs"] = iam.create_role(RoleName="good-role-flow-logs", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
         "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    good("iam", "good-role-flow-logs")
    # CodeBuild service role (used by the projects below).
    ids["good-role-codebuild"] = iam.create_role(RoleName="good-role-codebuild", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
         "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    good("iam", "good-role-codebuild")

    # Incident response (SEC10-BP05): a pre-provisioned role whose trust requires MFA and
    # which can snapshot volumes and isolate instances (settings'
    # incident_response_role_pattern matches "incident" and "forensic").
    iam.create_role(RoleName="good-incident-response-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    iam.put_role_policy(RoleName="good-incident-response-role", PolicyName="good-forensics", PolicyDocument=doc(
        {"Sid": "Snapshot", "Effect": "Allow", "Action": ["ec2:CreateSnapshot", "ec2:CreateTags"],
         "Resource": [f"arn:aws:ec2:*:{ACCOUNT}:volume/*", "arn:aws:ec2:*::snapshot/*"]},
        {"Sid": "Isolate", "Effect": "Allow",
         "Action": ["ec2:ModifyInstanceAttribute", "ec2:ModifyNetworkInterfaceAttribute"],
         "Resource": [f"arn:aws:ec2:*:{ACCOUNT}:instance/*", f"arn:aws:ec2:*:{ACCOUNT}:network-interface/*"]},
        {"Sid": "Look", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}))
    good("iam", "good-incident-response-role")
    # A forensic role anyone in the account can assume without MFA, and which cannot do
    # the work: no permissions at all.
    iam.create_role(RoleName="bad-forensic-role-no-mfa", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    plant("iam", "iam_incident_response_role_trust_restricted", "bad-forensic-role-no-mfa",
          "incident-response role trusts the account without requiring MFA or an external id")
    plant("iam", "iam_incident_response_role_forensic_permissions", "bad-forensic-role-no-mfa",
          "incident-response role cannot snapshot volumes or isolate instances")


def self_signed_cert(cn: str, not_before: dt.datetime, not_after: dt.datetime) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before.replace(tzinfo=dt.timezone.utc))
            .not_valid_after(not_after.replace(tzinfo=dt.timezone.utc))
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()).decode())


# ---------------------------------------------------------------------------------------
# Account (moto): alternate contacts
# ---------------------------------------------------------------------------------------
def seed_account() -> None:
    print("Account")
    acct = client("account")
    # A billing contact, but no security contact.
    acct.put_alternate_contact(AlternateContactType="BILLING", Name="Billing Team",
                               EmailAddress="billing@example.test", PhoneNumber="+1-555-0100", Title="Billing")
    plant("account", "account_security_contact_registered", "account", "no security alternate contact")


# ---------------------------------------------------------------------------------------
# KMS (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_kms() -> None:
    print("KMS")
    kms = client("kms")

    def key(name: str, **kw) -> str:
        meta = kms.create_key(Description=name, Tags=[{"TagKey": "Name", "TagValue": name}], **kw)["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=meta["KeyId"])
        ids[name] = meta["KeyId"]
        ids[name + ":arn"] = meta["Arn"]
        return meta["KeyId"]

    key("bad-kms-no-rotation")
    plant("kms", "kms_key_rotation_enabled", "bad-kms-no-rotation", "customer key without rotation")

    key("bad-kms-public-policy", Policy=doc(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}))
    kms.enable_key_rotation(KeyId=ids["bad-kms-public-policy"])
    plant("kms", "kms_key_policy_not_public", "bad-kms-public-policy", "key policy allows Principal * without condition")

    kid = key("bad-kms-pending-deletion")
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    plant("kms", "kms_key_not_pending_deletion", "bad-kms-pending-deletion", "customer key scheduled for deletion")

    kid = key("good-kms-key")
    kms.enable_key_rotation(KeyId=kid)
    good("kms", "good-kms-key")


# ---------------------------------------------------------------------------------------
# S3 (LocalStack; the trails' buckets also in moto's S3)
# ---------------------------------------------------------------------------------------
def seed_s3() -> None:
    print("S3")
    s3 = client("s3")
    # New buckets get AWS's current defaults here too: SSE-S3, a full public access block,
    # ObjectOwnership BucketOwnerEnforced. DeleteBucketEncryption leaves an empty rule set
    # in LocalStack (real AWS resets to SSE-S3), so "no default encryption" is not planted.

    # The account-level public access block is planted partial at the end of seeding
    # (seed_account_public_access_block), once every bucket has its policy and ACL.

    # Defaults only: no versioning, no access logging, no TLS-only policy, SSE-S3 not KMS.
    s3.create_bucket(Bucket="bad-bucket-defaults")
    plant("s3", "s3_bucket_versioning_enabled", "bad-bucket-defaults", "versioning not enabled")
    plant("s3", "s3_bucket_access_logging_enabled", "bad-bucket-defaults", "no server access logging")
    plant("s3", "s3_bucket_denies_insecure_transport", "bad-bucket-defaults", "no policy denying non-TLS requests")
    plant("s3", "s3_bucket_kms_encryption", "bad-bucket-defaults", "default encryption SSE-S3, not SSE-KMS")
    # No tags at all (the other bad buckets have none either, but only this one is planted).
    plant("s3", "s3_bucket_classification_tagged", "bad-bucket-defaults", "no data classification tag")
    plant("s3", "s3_bucket_owner_tagged", "bad-bucket-defaults", "no owner tag")

    # Public bucket policy, no public access block.
    s3.create_bucket(Bucket="bad-bucket-public-policy")
    s3.delete_public_access_block(Bucket="bad-bucket-public-policy")
    s3.put_bucket_policy(Bucket="bad-bucket-public-policy", Policy=doc(
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::bad-bucket-public-policy/*"}))
    plant("s3", "s3_bucket_policy_not_public", "bad-bucket-public-policy", "bucket policy allows Principal * (s3:GetObject)")
    plant("s3", "s3_bucket_public_access_block", "bad-bucket-public-policy", "no bucket public access block")
    # Classified confidential, but no trail records its object-level events.
    s3.put_bucket_tagging(Bucket="bad-bucket-public-policy", Tagging={"TagSet": [
        {"Key": k, "Value": v} for k, v in {**CONFIDENTIAL, "owner": "web-team"}.items()]})
    plant("s3", "cloudtrail_data_events_sensitive_buckets", "bad-bucket-public-policy",
          "classified confidential, but no trail records its S3 data events")

    # Partial public access block.
    s3.create_bucket(Bucket="bad-bucket-partial-pab")
    s3.put_public_access_block(Bucket="bad-bucket-partial-pab", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    plant("s3", "s3_bucket_public_access_block", "bad-bucket-partial-pab", "public access block with only BlockPublicAcls")

    # ACLs enabled and a public-read ACL.
    public_acl_bucket(s3, "bad-bucket-public-acl")
    plant("s3", "s3_bucket_acl_not_public", "bad-bucket-public-acl", "ACL grants READ to AllUsers")
    plant("s3", "s3_bucket_acls_disabled", "bad-bucket-public-acl", "ACLs enabled (ObjectOwnership ObjectWriter)")

    # --- clean ---
    # Access-log target: hardened, and logs to itself under a prefix.
    hardened_bucket(s3, "good-access-logs", log_to="good-access-logs", prefix="self/", tagging=INTERNAL)
    good("s3", "good-access-logs")
    # Confidential: the good trail records its object-level reads and writes (seed_cloudtrail).
    hardened_bucket(s3, "good-bucket-hardened", log_to="good-access-logs", prefix="good-bucket-hardened/",
                    tagging=CONFIDENTIAL)
    good("s3", "good-bucket-hardened")


def public_acl_bucket(s3, name: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_bucket_acl(Bucket=name, ACL="public-read")


def hardened_bucket(s3, name: str, log_to: str, prefix: str, tagging: dict) -> None:
    """SSE-KMS, versioning, full public access block, BucketOwnerEnforced, TLS-only
    policy, access logging, and the `tagging` classification plus an owner tag."""
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
        {"Key": k, "Value": v} for k, v in {**tagging, **OWNER}.items()]})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": ids["good-kms-key:arn"]},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_policy(Bucket=name, Policy=tls_only(name))
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": log_to, "TargetPrefix": prefix}})


# ---------------------------------------------------------------------------------------
# CloudWatch Logs, SNS, SQS, CloudWatch alarms (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_logs() -> None:
    print("CloudWatch Logs")
    logs = client("logs")
    logs.create_log_group(logGroupName="bad-log-group-short-retention")
    logs.put_retention_policy(logGroupName="bad-log-group-short-retention", retentionInDays=7)
    plant("logs", "logs_log_group_retention_at_least_365_days", "bad-log-group-short-retention", "retention 7 days (< 365)")
    plant("logs", "logs_log_group_kms_encrypted", "bad-log-group-short-retention", "not encrypted with KMS")
    for name in ("good-trail-log-group", "good-flow-log-group"):
        logs.create_log_group(logGroupName=name, kmsKeyId=ids["good-kms-key:arn"])
        logs.put_retention_policy(logGroupName=name, retentionInDays=400)
        good("logs", name)


def seed_sns() -> None:
    print("SNS")
    sns = client("sns")
    sqs = client("sqs")
    arn = sns.create_topic(Name="bad-topic-unencrypted")["TopicArn"]
    ids["bad-topic-unencrypted"] = arn
    plant("sns", "sns_topic_encrypted", "bad-topic-unencrypted", "topic not encrypted with KMS")

    arn = sns.create_topic(Name="bad-topic-public-policy",
                           Attributes={"KmsMasterKeyId": ids["good-kms-key:arn"]})["TopicArn"]
    ids["bad-topic-public-policy"] = arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=doc(
        {"Sid": "AnyonePublishes", "Effect": "Allow", "Principal": "*", "Action": "SNS:Publish", "Resource": arn}))
    plant("sns", "sns_topic_policy_not_public", "bad-topic-public-policy", "topic policy allows Principal * to publish")

    arn = sns.create_topic(Name="good-topic-alerts",
                           Attributes={"KmsMasterKeyId": ids["good-kms-key:arn"]})["TopicArn"]
    ids["good-topic-alerts"] = arn
    q = sqs.create_queue(QueueName="good-alerts-queue")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
    good("sns", "good-topic-alerts")


def seed_alarms() -> None:
    print("CloudWatch metric filters and alarms")
    logs = client("logs")
    cw = client("cloudwatch")
    # CIS 4.x: one complete chain (filter -> alarm -> subscribed topic) on the good trail's
    # log group, for console sign-in without MFA.
    logs.put_metric_filter(
        logGroupName="good-trail-log-group", filterName="good-cis-console-signin-without-mfa",
        filterPattern='{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
        metricTransformations=[{"metricName": "ConsoleSigninWithoutMFA", "metricNamespace": "CISBenchmark",
                                "metricValue": "1"}])
    cw.put_metric_alarm(
        AlarmName="good-cis-console-signin-without-mfa", MetricName="ConsoleSigninWithoutMFA",
        Namespace="CISBenchmark", Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[ids["good-topic-alerts"]])
    good("cloudwatch", "good-cis-console-signin-without-mfa")
    # Root-usage filter whose alarm notifies a topic nobody subscribes to: not a CIS
    # control (the rule requires a subscribed topic).
    logs.put_metric_filter(
        logGroupName="good-trail-log-group", filterName="bad-cis-root-usage-unsubscribed",
        filterPattern='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        metricTransformations=[{"metricName": "RootAccountUsage", "metricNamespace": "CISBenchmark",
                                "metricValue": "1"}])
    cw.put_metric_alarm(
        AlarmName="bad-cis-root-usage-unsubscribed", MetricName="RootAccountUsage",
        Namespace="CISBenchmark", Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[ids["bad-topic-unencrypted"]])
    plant("cloudwatch", "cloudwatch_alarm_root_account_usage", "account",
          "root-usage filter and alarm, but the alarm's topic has no subscriber")
    # The other CIS 4.x metric filters and alarms are simply absent. The account is the
    # management account of an organization (seed_organizations), so the Organizations
    # changes alarm applies too.
    for rule in ("cloudtrail_config_changes", "cmk_disable_or_deletion", "config_changes",
                 "console_authentication_failures", "iam_policy_changes", "nacl_changes",
                 "network_gateway_changes", "organizations_changes", "route_table_changes",
                 "s3_bucket_policy_changes", "security_group_changes", "unauthorized_api_calls",
                 "vpc_changes"):
        plant("cloudwatch", f"cloudwatch_alarm_{rule}", "account", "no metric filter and alarm")


# ---------------------------------------------------------------------------------------
# CloudTrail (moto), with the buckets in both emulators
# ---------------------------------------------------------------------------------------
def seed_cloudtrail() -> None:
    print("CloudTrail")
    s3 = client("s3")
    moto_s3 = boto3.client("s3", region_name=REGION, endpoint_url=MOTO, config=S3_CFG)
    ct = client("cloudtrail")
    # moto checks that the trail's bucket exists in its own S3; the scanner reads buckets
    # from LocalStack's S3, so the same bucket exists there with the settings to judge.
    for name in ("bad-trail-bucket-public", "good-trail-bucket"):
        moto_s3.create_bucket(Bucket=name)
    public_acl_bucket(s3, "bad-trail-bucket-public")  # public-read ACL, no access logging
    hardened_bucket(s3, "good-trail-bucket", log_to="good-access-logs", prefix="good-trail-bucket/",
                    tagging=INTERNAL)
    good("s3", "good-trail-bucket")

    # Single-region, not logging, no validation, no KMS, no CloudWatch Logs, public bucket.
    ids["bad-trail-single-region"] = ct.create_trail(
        Name="bad-trail-single-region", S3BucketName="bad-trail-bucket-public",
        IsMultiRegionTrail=False, EnableLogFileValidation=False)["TrailARN"]
    plant("cloudtrail", "cloudtrail_log_file_validation_enabled", "bad-trail-single-region", "log file validation disabled")
    plant("cloudtrail", "cloudtrail_kms_encryption_enabled", "bad-trail-single-region", "not encrypted with KMS")
    plant("cloudtrail", "cloudtrail_cloudwatch_logs_integration", "bad-trail-single-region", "no CloudWatch Logs integration")
    plant("cloudtrail", "cloudtrail_bucket_not_public", "bad-trail-single-region", "delivers to a bucket with a public ACL")
    plant("cloudtrail", "cloudtrail_bucket_access_logging_enabled", "bad-trail-single-region", "delivers to a bucket without access logging")

    # Multi-region, logging, validated, KMS, CloudWatch Logs; management events, and S3
    # data events for the one confidential bucket only (not for all buckets).
    ids["good-trail-multi-region"] = ct.create_trail(
        Name="good-trail-multi-region", S3BucketName="good-trail-bucket", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, IncludeGlobalServiceEvents=True, KmsKeyId=ids["good-kms-key:arn"],
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:good-trail-log-group:*",
        CloudWatchLogsRoleArn=ids["good-role-flow-logs"])["TrailARN"]
    ct.put_event_selectors(TrailName="good-trail-multi-region", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::good-bucket-hardened/"]}]}])
    ct.start_logging(Name="good-trail-multi-region")
    good("cloudtrail", "good-trail-multi-region")
    plant("cloudtrail", "cloudtrail_s3_object_read_events", "account",
          "no trail records S3 object-level read events for all buckets (only good-bucket-hardened's)")
    plant("cloudtrail", "cloudtrail_s3_object_write_events", "account",
          "no trail records S3 object-level write events for all buckets (only good-bucket-hardened's)")


# ---------------------------------------------------------------------------------------
# EC2 / VPC (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_ec2() -> None:
    print("EC2 / VPC")
    ec2 = client("ec2")

    ec2.disable_ebs_encryption_by_default()
    plant("ec2", "ec2_ebs_default_encryption_enabled", "region", "EBS encryption by default disabled")

    # --- the misconfigured VPC ---
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=ec2_tags("vpc", "bad-vpc-no-flow-logs"))["Vpc"]["VpcId"]
    ids["bad-vpc-no-flow-logs"] = vpc
    plant("ec2", "ec2_vpc_flow_logs_enabled", "bad-vpc-no-flow-logs", "VPC without flow logs")

    sg_default = default_sg(ec2, vpc)
    ids["bad-vpc-default-sg"] = sg_default
    ec2.create_tags(Resources=[sg_default], Tags=tags("bad-vpc-default-sg"))
    ec2.authorize_security_group_ingress(GroupId=sg_default, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    plant("ec2", "ec2_default_security_group_restricts_all", "bad-vpc-default-sg", "default security group allows traffic (ingress 80 from the internet, all egress)")

    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.10.1.0/24", AvailabilityZone=f"{REGION}a",
                               TagSpecifications=ec2_tags("subnet", "bad-subnet-public-ip"))["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    ids["bad-subnet-public-ip"] = subnet
    plant("ec2", "ec2_subnet_no_auto_public_ip", "bad-subnet-public-ip", "subnet auto-assigns public IPv4 addresses")

    igw = ec2.create_internet_gateway(TagSpecifications=ec2_tags("internet-gateway", "bad-igw"))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ids["bad-igw"] = igw

    def sg(name: str, rule: str, perms: list[dict], what: str) -> str:
        gid = ec2.create_security_group(GroupName=name, Description=what, VpcId=vpc,
                                        TagSpecifications=ec2_tags("security-group", name))["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
        ids[name] = gid
        plant("ec2", rule, name, what)
        return gid

    ssh = sg("bad-sg-ssh-ipv4", "ec2_security_group_no_ipv4_admin_ports", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                  "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "SSH (22) open to 0.0.0.0/0")
    sg("bad-sg-rdp-ipv6", "ec2_security_group_no_ipv6_admin_ports", [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389,
                            "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}], "RDP (3389) open to ::/0")
    sg("bad-sg-all-open", "ec2_security_group_no_unrestricted_ingress", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
       "all traffic open to 0.0.0.0/0")
    sg("bad-sg-cifs", "ec2_security_group_no_internet_cifs", [{"IpProtocol": "tcp", "FromPort": 445, "ToPort": 445,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "CIFS (445) open to 0.0.0.0/0")
    sg("bad-sg-mysql", "ec2_security_group_no_high_risk_ports", [{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
                         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "MySQL (3306) open to 0.0.0.0/0")

    nacl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=ec2_tags("network-acl", "bad-nacl-admin-open"))["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=nacl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    ids["bad-nacl-admin-open"] = nacl
    plant("ec2", "ec2_nacl_no_internet_admin_ports", "bad-nacl-admin-open", "network ACL allows SSH (22) from 0.0.0.0/0")

    ami = pick_ami(ec2)
    ids["ami"] = ami
    inst = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [ssh], "AssociatePublicIpAddress": True}],
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=ec2_tags("instance", "bad-instance-imdsv1")
        + ec2_tags("volume", "bad-root-volume-imdsv1"))["Instances"][0]["InstanceId"]
    ids["bad-instance-imdsv1"] = inst
    ids["bad-root-volume-imdsv1"] = root_volume(ec2, inst)
    plant("ec2", "ec2_volume_encrypted", "bad-root-volume-imdsv1", "instance root volume not encrypted")
    plant("ec2", "ec2_instance_imdsv2_required", "bad-instance-imdsv1", "IMDSv1 allowed (HttpTokens optional)")
    plant("ec2", "ec2_instance_no_public_ip", "bad-instance-imdsv1", "public IPv4 address")
    plant("ec2", "ec2_instance_uses_iam_role", "bad-instance-imdsv1", "no IAM instance profile")
    plant("ec2", "ec2_instance_owner_tagged", "bad-instance-imdsv1", "no owner tag")

    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=False,
                            TagSpecifications=ec2_tags("volume", "bad-volume-unencrypted"))["VolumeId"]
    ids["bad-volume-unencrypted"] = vol
    plant("ec2", "ec2_volume_encrypted", "bad-volume-unencrypted", "EBS volume not encrypted")
    plant("ec2", "ec2_volume_classification_tagged", "bad-volume-unencrypted", "no data classification tag")
    snap = ec2.create_snapshot(VolumeId=vol, Description="bad-snapshot-public",
                               TagSpecifications=ec2_tags("snapshot", "bad-snapshot-public"))["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ids["bad-snapshot-public"] = snap
    plant("ec2", "ec2_snapshot_not_public", "bad-snapshot-public", "snapshot shared publicly (createVolumePermission group all)")
    plant("ec2", "ec2_snapshot_encrypted", "bad-snapshot-public", "snapshot not encrypted")

    image = ec2.create_image(InstanceId=inst, Name="bad-image-public", Description="bad-image-public")["ImageId"]
    ec2.create_tags(Resources=[image], Tags=tags("bad-image-public"))
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    ids["bad-image-public"] = image
    plant("ec2", "ec2_image_not_public", "bad-image-public", "AMI shared publicly")

    # --- the well-configured VPC ---
    gvpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=ec2_tags("vpc", "good-vpc-flow-logs"))["Vpc"]["VpcId"]
    ids["good-vpc-flow-logs"] = gvpc
    ec2.create_flow_logs(ResourceIds=[gvpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName="good-flow-log-group",
                         DeliverLogsPermissionArn=ids["good-role-flow-logs"],
                         TagSpecifications=ec2_tags("vpc-flow-log", "good-flowlog-all-traffic"))
    good("ec2", "good-vpc-flow-logs")

    gsg_default = default_sg(ec2, gvpc)
    ids["good-vpc-default-sg"] = gsg_default
    ec2.create_tags(Resources=[gsg_default], Tags=tags("good-vpc-default-sg"))
    sg_desc = ec2.describe_security_groups(GroupIds=[gsg_default])["SecurityGroups"][0]
    if sg_desc["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=gsg_default, IpPermissions=sg_desc["IpPermissions"])
    if sg_desc["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=gsg_default, IpPermissions=sg_desc["IpPermissionsEgress"])
    good("ec2", "good-vpc-default-sg")

    gsubnet = ec2.create_subnet(VpcId=gvpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{REGION}a",
                                TagSpecifications=ec2_tags("subnet", "good-subnet-private"))["Subnet"]["SubnetId"]
    ids["good-subnet-private"] = gsubnet
    good("ec2", "good-subnet-private")

    https = ec2.create_security_group(GroupName="good-sg-https-internal", Description="HTTPS from 10/8 only",
                                      VpcId=gvpc, TagSpecifications=ec2_tags("security-group", "good-sg-https-internal"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=https, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    ids["good-sg-https-internal"] = https
    good("ec2", "good-sg-https-internal")

    gnacl = ec2.create_network_acl(VpcId=gvpc, TagSpecifications=ec2_tags("network-acl", "good-nacl-https-internal"))["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=gnacl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="10.0.0.0/8", PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=gnacl, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                 Egress=True, CidrBlock="10.0.0.0/8")
    ids["good-nacl-https-internal"] = gnacl
    good("ec2", "good-nacl-https-internal")

    ginst = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": gsubnet, "Groups": [https], "AssociatePublicIpAddress": False}],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1},
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": True,
                                                                  "KmsKeyId": ids["good-kms-key:arn"]}}],
        TagSpecifications=ec2_tags("instance", "good-instance-imdsv2", OWNER)
        + ec2_tags("volume", "good-root-volume-imdsv2", INTERNAL))["Instances"][0]["InstanceId"]
    ids["good-instance-imdsv2"] = ginst
    ids["good-root-volume-imdsv2"] = root_volume(ec2, ginst)
    good("ec2", "good-root-volume-imdsv2")
    good("ec2", "good-instance-imdsv2")

    gvol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True, KmsKeyId=ids["good-kms-key:arn"],
                             TagSpecifications=ec2_tags("volume", "good-volume-encrypted", CONFIDENTIAL))["VolumeId"]
    ids["good-volume-encrypted"] = gvol
    good("ec2", "good-volume-encrypted")
    gsnap = ec2.create_snapshot(VolumeId=gvol, Description="good-snapshot-private",
                                TagSpecifications=ec2_tags("snapshot", "good-snapshot-private"))["SnapshotId"]
    ids["good-snapshot-private"] = gsnap
    good("ec2", "good-snapshot-private")

    # Peering between the two VPCs: a route to the internet through it (bad), a route to
    # the peer's CIDR only (good).
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=gvpc,
                                            TagSpecifications=ec2_tags("vpc-peering-connection", "bad-good-peering"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ids["bad-good-peering"] = pcx
    rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=ec2_tags("route-table", "bad-rtb-peering-internet"))["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", VpcPeeringConnectionId=pcx)
    ids["bad-rtb-peering-internet"] = rtb
    plant("ec2", "ec2_vpc_peering_routes_least_access", "bad-rtb-peering-internet", "route to 0.0.0.0/0 through a VPC peering connection")
    grtb = ec2.create_route_table(VpcId=gvpc, TagSpecifications=ec2_tags("route-table", "good-rtb-peering-scoped"))["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=grtb, DestinationCidrBlock="10.10.1.0/24", VpcPeeringConnectionId=pcx)
    ec2.associate_route_table(RouteTableId=grtb, SubnetId=gsubnet)
    ids["good-rtb-peering-scoped"] = grtb
    good("ec2", "good-rtb-peering-scoped")


def root_volume(ec2, instance: str) -> str:
    vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance]}])["Volumes"]
    return vols[0]["VolumeId"]


def default_sg(ec2, vpc: str) -> str:
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    return groups[0]["GroupId"]


def pick_ami(ec2) -> str:
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    linux = sorted(i["ImageId"] for i in images if "windows" not in (i.get("Platform") or "").lower()
                   and "windows" not in (i.get("Name") or "").lower())
    return (linux or sorted(i["ImageId"] for i in images))[0]


# ---------------------------------------------------------------------------------------
# Lambda, Secrets Manager, Config (LocalStack)
# ---------------------------------------------------------------------------------------
def lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed_lambda() -> None:
    print("Lambda")
    lam = client("lambda")
    code = {"ZipFile": lambda_zip()}

    def fn(name: str, runtime: str = "python3.12", extra: dict | None = None) -> str:
        arn = lam.create_function(FunctionName=name, Runtime=runtime, Role=ids["good-role-lambda"],
                                  Handler="index.handler", Code=code,
                                  Tags={"Name": name, **(extra or {})})["FunctionArn"]
        ids[name] = arn
        return arn

    fn("bad-fn-url-no-auth")
    lam.create_function_url_config(FunctionName="bad-fn-url-no-auth", AuthType="NONE")
    plant("lambda", "lambda_function_url_requires_auth", "bad-fn-url-no-auth", "function URL with AuthType NONE")

    fn("bad-fn-public-policy")
    lam.add_permission(FunctionName="bad-fn-public-policy", StatementId="anyone", Action="lambda:InvokeFunction",
                       Principal="*")
    plant("lambda", "lambda_function_policy_not_public", "bad-fn-public-policy", "resource policy lets Principal * invoke")

    fn("bad-fn-deprecated-runtime", runtime="python3.8")
    plant("lambda", "lambda_function_supported_runtime", "bad-fn-deprecated-runtime", "runtime python3.8 (deprecated 2024-10-14)")
    plant("lambda", "lambda_function_owner_tagged", "bad-fn-deprecated-runtime", "no owner tag")

    fn("good-fn-private", extra=OWNER)
    lam.create_function_url_config(FunctionName="good-fn-private", AuthType="AWS_IAM")
    lam.add_permission(FunctionName="good-fn-private", StatementId="s3-from-own-account",
                       Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                       SourceArn="arn:aws:s3:::good-bucket-hardened", SourceAccount=ACCOUNT)
    good("lambda", "good-fn-private")


def seed_secrets() -> None:
    print("Secrets Manager")
    sm = client("secretsmanager")
    ids["bad-secret-no-rotation"] = sm.create_secret(Name="bad-secret-no-rotation", SecretString="hunter2")["ARN"]
    plant("secretsmanager", "secretsmanager_secret_rotation_enabled", "bad-secret-no-rotation", "rotation not enabled")
    plant("secretsmanager", "secretsmanager_secret_rotated_recently", "bad-secret-no-rotation", "never rotated")
    plant("secretsmanager", "secretsmanager_secret_classification_tagged", "bad-secret-no-rotation",
          "no data classification tag")
    ids["good-secret-rotated"] = sm.create_secret(
        Name="good-secret-rotated", SecretString="s3cr3t", KmsKeyId=ids["good-kms-key:arn"],
        Tags=[{"Key": k, "Value": v} for k, v in CONFIDENTIAL.items()])["ARN"]
    # RotateImmediately=False fails in LocalStack 2026.3.0 (UnboundLocalError); the default
    # (rotate now) works and records LastRotatedDate.
    sm.rotate_secret(SecretId="good-secret-rotated", RotationLambdaARN=ids["good-fn-private"],
                     RotationRules={"AutomaticallyAfterDays": 30})
    good("secretsmanager", "good-secret-rotated")


def seed_config() -> None:
    print("AWS Config")
    cfg = client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "bad-config-recorder", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/good-role-ec2",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "bad-config-channel", "s3BucketName": "good-access-logs"})
    # Never started: the recorder exists but does not record.
    plant("config", "config_recorder_enabled_all_regions", "region", "configuration recorder exists but is not recording")
    # One managed rule, so that the collector asks for its remediation configuration
    # (DescribeRemediationConfigurations takes rule names), which LocalStack does not
    # serve: a gap, and config_auto_remediation_configured reports ERROR.
    cfg.put_config_rule(ConfigRule={
        "ConfigRuleName": "good-config-rule-s3-versioning",
        "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"}})
    # An aggregator over the whole organization, every region.
    ids["good-config-aggregator-org"] = cfg.put_configuration_aggregator(
        ConfigurationAggregatorName="good-config-aggregator-org",
        OrganizationAggregationSource={"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSConfigRoleForOrganizations",
                                       "AllAwsRegions": True},
    )["ConfigurationAggregator"]["ConfigurationAggregatorArn"]
    good("config", "good-config-aggregator-org")


# ---------------------------------------------------------------------------------------
# EventBridge, Systems Manager (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_events() -> None:
    """EventBridge rules on the default bus. The findings and Config routing rules
    (events_guardduty_/securityhub_/config_changes_routed) only apply where GuardDuty is
    enabled, Security Hub is on or Config records; here the detector is disabled, there is
    no hub and the recorder is stopped (planted), so they are NOT_APPLICABLE and the
    GuardDuty routing below is in place for the day GuardDuty is turned on.
    events_iam_changes_routed applies in us-east-1: IAM changes go to a log group only,
    which stores the event but tells no one."""
    print("EventBridge")
    ev = client("events")
    ev.put_rule(Name="good-events-guardduty-findings", State="ENABLED", EventPattern=json.dumps(
        {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}))
    ev.put_targets(Rule="good-events-guardduty-findings",
                   Targets=[{"Id": "security-alerts", "Arn": ids["good-topic-alerts"]}])
    good("events", "good-events-guardduty-findings")
    ev.put_rule(Name="bad-events-iam-changes-logs-only", State="ENABLED", EventPattern=json.dumps(
        {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}))
    ev.put_targets(Rule="bad-events-iam-changes-logs-only", Targets=[
        {"Id": "archive", "Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:bad-log-group-short-retention"}])
    plant("events", "events_iam_changes_routed", "account",
          "the only rule matching aws.iam targets a CloudWatch Logs group (stored, routed to no one)")


def seed_ssm() -> None:
    print("Systems Manager")
    ssm = client("ssm")
    ssm.create_document(Name="good-runbook-isolate-instance", DocumentType="Automation", DocumentFormat="JSON",
                        Content=json.dumps({
                            "schemaVersion": "0.3",
                            "description": "Isolate an instance: snapshot its volumes, then swap its security groups.",
                            "parameters": {"InstanceId": {"type": "String"}},
                            "mainSteps": [{"name": "describe", "action": "aws:executeAwsApi", "inputs": {
                                "Service": "ec2", "Api": "DescribeInstances",
                                "InstanceIds": ["{{ InstanceId }}"]}}]}))
    good("ssm", "good-runbook-isolate-instance")


# ---------------------------------------------------------------------------------------
# GuardDuty, Security Hub, Macie, RDS, EFS (moto)
# ---------------------------------------------------------------------------------------
def seed_moto_services() -> None:
    print("GuardDuty / Security Hub / Macie (moto)")
    gd = client("guardduty")
    ids["bad-guardduty-detector"] = gd.create_detector(Enable=False, Features=[
        {"Name": name, "Status": "DISABLED"} for name in (
            "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
            "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")])["DetectorId"]
    plant("guardduty", "guardduty_enabled_all_regions", "region", "GuardDuty detector exists but is disabled")
    # Security Hub: deliberately never enabled (DescribeHub answers InvalidAccessException).
    plant("securityhub", "securityhub_enabled_all_regions", "region", "Security Hub not enabled")
    # Macie: moto answers GetMacieSession with an ENABLED session by default; left so.

    print("RDS (moto)")
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="bad-db-public", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="dbadmin", MasterUserPassword="Bad-Passw0rd-1234", AllocatedStorage=20,
        PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0, MultiAZ=False,
        AutoMinorVersionUpgrade=False, DeletionProtection=False)
    for rule, what in (("rds_instance_not_public", "publicly accessible"),
                       ("rds_db_instance_classification_tagged", "no data classification tag"),
                       ("rds_instance_storage_encrypted", "storage not encrypted"),
                       ("rds_instance_backups_enabled", "automated backups off (retention 0 days)"),
                       ("rds_instance_multi_az", "single-AZ"),
                       ("rds_instance_auto_minor_version_upgrade", "auto minor version upgrade off")):
        plant("rds", rule, "bad-db-public", what)
    rds.create_db_instance(
        DBInstanceIdentifier="good-db-private", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="dbadmin", MasterUserPassword="Good-Passw0rd-1234", AllocatedStorage=20,
        PubliclyAccessible=False, StorageEncrypted=True, KmsKeyId=ids["good-kms-key:arn"],
        BackupRetentionPeriod=7, MultiAZ=True, AutoMinorVersionUpgrade=True, DeletionProtection=True,
        Tags=[{"Key": k, "Value": v} for k, v in CONFIDENTIAL.items()])
    good("rds", "good-db-private")

    print("EFS (moto)")
    efs = client("efs")
    ids["bad-efs-unencrypted"] = efs.create_file_system(
        CreationToken="bad-efs-unencrypted", Encrypted=False, Tags=tags("bad-efs-unencrypted"))["FileSystemId"]
    plant("efs", "efs_file_system_encrypted", "bad-efs-unencrypted", "file system not encrypted")
    plant("efs", "efs_file_system_classification_tagged", "bad-efs-unencrypted", "no data classification tag")
    ids["good-efs-encrypted"] = efs.create_file_system(
        CreationToken="good-efs-encrypted", Encrypted=True, KmsKeyId=ids["good-kms-key:arn"],
        Tags=tags("good-efs-encrypted", INTERNAL))["FileSystemId"]
    good("efs", "good-efs-encrypted")


# ---------------------------------------------------------------------------------------
# Organizations, Backup, ECR, CodeBuild, Inspector (moto)
# ---------------------------------------------------------------------------------------
def seed_organizations() -> None:
    """The account becomes the management account of an organization. One guardrail
    (no account may leave) is attached to the root; nothing stops member accounts from
    turning off CloudTrail, GuardDuty or Config, or from using their root user. A tag
    policy is attached to the root, and a security tooling account is the delegated
    administrator of GuardDuty, not of Security Hub."""
    print("Organizations (moto)")
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    # moto reports no policy type enabled on a new root; enable both used here.
    for policy_type in ("SERVICE_CONTROL_POLICY", "TAG_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=policy_type)

    def policy(name: str, kind: str, content: dict) -> None:
        pid = org.create_policy(Name=name, Description=name, Type=kind,
                                Content=json.dumps(content))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=root)
        ids[name] = pid

    policy("good-scp-deny-leave-organization", "SERVICE_CONTROL_POLICY", {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
                       "Resource": "*"}]})
    good("organizations", "good-scp-deny-leave-organization")
    for rule, what in (
            ("organizations_scp_protects_cloudtrail", "no root SCP denies cloudtrail:StopLogging / DeleteTrail"),
            ("organizations_scp_protects_guardduty", "no root SCP denies guardduty:DeleteDetector / Disassociate*"),
            ("organizations_scp_protects_config", "no root SCP denies config:StopConfigurationRecorder / Delete*"),
            ("organizations_scp_restricts_root_user", "no root SCP denies actions to member accounts' root users")):
        plant("organizations", rule, "account", what)

    policy("good-tag-policy-classification", "TAG_POLICY", {
        "tags": {"data-classification": {
            "tag_key": {"@@assign": "data-classification"},
            "tag_value": {"@@assign": ["public", "internal", "confidential"]}}}})
    good("organizations", "good-tag-policy-classification")

    # The account's OU chain: root -> Workloads -> account, the OU with an SCP of its own
    # (SCPs do not affect the management account; the chain is collected all the same).
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    pid = org.create_policy(Name="good-scp-ou-deny-iam-users", Description="no IAM users in workloads",
                            Type="SERVICE_CONTROL_POLICY", Content=json.dumps({
                                "Version": "2012-10-17",
                                "Statement": [{"Sid": "NoIamUsers", "Effect": "Deny",
                                               "Action": ["iam:CreateUser", "iam:CreateAccessKey"],
                                               "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=pid, TargetId=ou)
    ids["good-scp-ou-deny-iam-users"] = pid
    org.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=ou)

    status = org.create_account(Email="security-tooling@example.test",
                                AccountName="good-security-tooling")["CreateAccountStatus"]
    member = status.get("AccountId") or org.describe_create_account_status(
        CreateAccountRequestId=status["Id"])["CreateAccountStatus"]["AccountId"]
    ids["good-security-tooling"] = member
    org.register_delegated_administrator(AccountId=member, ServicePrincipal="guardduty.amazonaws.com")
    plant("organizations", "securityhub_delegated_administrator_registered", "account",
          "no delegated administrator for Security Hub (GuardDuty has one)")


def seed_backup() -> None:
    """Two vaults and two plans. moto cannot create or list backup selections (HTTP 500)
    nor list recovery points (HTTP 404): the collector records gaps, and the rules
    that need them (backup_plan_exists, backup_vault_recent_recovery_point) ERROR."""
    print("Backup (moto)")
    bk = client("backup")
    ids["good-vault-locked"] = bk.create_backup_vault(BackupVaultName="good-vault-locked",
                                                      EncryptionKeyArn=ids["good-kms-key:arn"])["BackupVaultArn"]
    bk.put_backup_vault_lock_configuration(BackupVaultName="good-vault-locked", MinRetentionDays=7,
                                           MaxRetentionDays=3650)
    good("backup", "good-vault-locked")
    ids["bad-vault-unlocked"] = bk.create_backup_vault(BackupVaultName="bad-vault-unlocked")["BackupVaultArn"]
    plant("backup", "backup_vault_locked", "bad-vault-unlocked", "a plan writes to it and it has no vault lock")

    ids["good-backup-plan"] = bk.create_backup_plan(BackupPlan={
        "BackupPlanName": "good-backup-plan",
        "Rules": [{"RuleName": "daily-35-days", "TargetBackupVaultName": "good-vault-locked",
                   "ScheduleExpression": "cron(0 5 ? * * *)", "Lifecycle": {"DeleteAfterDays": 35},
                   "CopyActions": [{"DestinationBackupVaultArn":
                                    f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:dr-copies-us-west-2",
                                    "Lifecycle": {"DeleteAfterDays": 35}}]}]})["BackupPlanArn"]
    good("backup", "good-backup-plan")
    ids["bad-backup-plan"] = bk.create_backup_plan(BackupPlan={
        "BackupPlanName": "bad-backup-plan",
        "Rules": [{"RuleName": "daily-3-days", "TargetBackupVaultName": "bad-vault-unlocked",
                   "ScheduleExpression": "cron(0 5 ? * * *)", "Lifecycle": {"DeleteAfterDays": 3}}]})["BackupPlanArn"]
    plant("backup", "backup_plan_retention_minimum", "bad-backup-plan", "recovery points deleted after 3 days (< 7)")
    plant("backup", "backup_plan_cross_region_copy", "bad-backup-plan", "no copy to another region or account")


def seed_ecr() -> None:
    print("ECR (moto)")
    ecr = client("ecr")
    ids["bad-ecr-mutable"] = ecr.create_repository(
        repositoryName="bad-ecr-mutable", imageTagMutability="MUTABLE",
        imageScanningConfiguration={"scanOnPush": False})["repository"]["repositoryArn"]
    ecr.set_repository_policy(repositoryName="bad-ecr-mutable", policyText=doc(
        {"Sid": "AnyonePulls", "Effect": "Allow", "Principal": "*",
         "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]}))
    plant("ecr", "ecr_repository_tag_immutability", "bad-ecr-mutable", "image tags are mutable")
    plant("ecr", "ecr_repository_scan_on_push_enabled", "bad-ecr-mutable",
          "no scan on push (and the registry scans BASIC without rules)")
    plant("ecr", "ecr_repository_policy_not_public", "bad-ecr-mutable", "repository policy lets Principal * pull")
    ids["good-ecr-immutable"] = ecr.create_repository(
        repositoryName="good-ecr-immutable", imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": ids["good-kms-key:arn"]})["repository"]["repositoryArn"]
    ecr.set_repository_policy(repositoryName="good-ecr-immutable", policyText=doc(
        {"Sid": "AccountPulls", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]}))
    good("ecr", "good-ecr-immutable")


def seed_codebuild() -> None:
    """A privileged project with an AWS secret key in a PLAINTEXT variable and a token in
    its source URL, not logging; and a clean one. moto does not serve
    ListSourceCredentials (HTTP 500): a gap."""
    print("CodeBuild (moto)")
    cb = client("codebuild")
    env = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
    ids["bad-codebuild-privileged"] = cb.create_project(
        name="bad-codebuild-privileged",
        source={"type": "GITHUB", "location": "https://ci-bot:not-a-real-token@github.example.test/acme/app.git"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=ids["good-role-codebuild"],
        environment={**env, "privilegedMode": True, "environmentVariables": [
            {"name": "AWS_SECRET_ACCESS_KEY", "value": "not-a-real-secret-key", "type": "PLAINTEXT"}]},
        logsConfig={"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "DISABLED"}},
    )["project"]["arn"]
    for rule, what in (
            ("codebuild_project_not_privileged", "privileged mode on"),
            ("codebuild_project_no_plaintext_credentials", "AWS_SECRET_ACCESS_KEY in a PLAINTEXT variable"),
            ("codebuild_project_source_url_no_credentials", "user and token in the source URL"),
            ("codebuild_project_logging_enabled", "neither CloudWatch Logs nor S3 logs")):
        plant("codebuild", rule, "bad-codebuild-privileged", what)
    ids["good-codebuild-build"] = cb.create_project(
        name="good-codebuild-build",
        source={"type": "CODECOMMIT", "location": f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/app"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=ids["good-role-codebuild"],
        environment={**env, "privilegedMode": False, "environmentVariables": [
            {"name": "STAGE", "value": "production", "type": "PLAINTEXT"},
            {"name": "DB_PASSWORD", "value": "/app/db-password", "type": "PARAMETER_STORE"}]},
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": "good-codebuild-logs"},
                    "s3Logs": {"status": "DISABLED"}},
    )["project"]["arn"]
    good("codebuild", "good-codebuild-build")

# ---------------------------------------------------------------------------------------
# Attack paths (IAM in LocalStack, the CodeBuild project in moto): principals that can
# make themselves administrator by one method each, near misses that cannot (a Deny, a
# permissions boundary, a policy with no other version, a project running as a weak
# role), and the trust cases (another account without sts:ExternalId, an OIDC provider
# without a subject condition).
# ---------------------------------------------------------------------------------------
ESCALATE = "iam_principal_can_escalate_to_admin"


def seed_attack_paths() -> None:
    iam = client("iam")
    print("Attack paths (LocalStack IAM, moto CodeBuild)")

    def policy_arn(name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:policy/{name}"

    def user_arn(name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user/{name}"

    # iam:CreatePolicyVersion on the customer managed policy attached to oneself.
    ids["bad-esc-pv-policy"] = iam.create_policy(PolicyName="bad-esc-pv-policy", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:GetPolicy*", "iam:ListPolicyVersions"],
         "Resource": policy_arn("bad-esc-pv-policy")}))["Policy"]["Arn"]
    iam.create_user(UserName="bad-esc-pv-user")
    iam.attach_user_policy(UserName="bad-esc-pv-user", PolicyArn=ids["bad-esc-pv-policy"])
    plant("iam", ESCALATE, "bad-esc-pv-user", "iam:CreatePolicyVersion on its own attached policy")

    # iam:SetDefaultPolicyVersion on an attached policy whose old version v1 allowed
    # everything: the collector reads v1 from GetAccountAuthorizationDetails.
    ids["bad-esc-twover-policy"] = iam.create_policy(PolicyName="bad-esc-twover-policy", PolicyDocument=ADMIN)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=ids["bad-esc-twover-policy"], SetAsDefault=True, PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": policy_arn("bad-esc-twover-policy")}))
    iam.create_user(UserName="bad-esc-setdefault-user")
    iam.attach_user_policy(UserName="bad-esc-setdefault-user", PolicyArn=ids["bad-esc-twover-policy"])
    plant("iam", ESCALATE, "bad-esc-setdefault-user", "iam:SetDefaultPolicyVersion back to an admin version v1")

    # The same with a single version: nothing to roll back to (decided only because the
    # versions are collected; without them the edge would be conditional and FAIL).
    ids["good-esc-onever-policy"] = iam.create_policy(PolicyName="good-esc-onever-policy", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": policy_arn("good-esc-onever-policy")}))["Policy"]["Arn"]
    iam.create_user(UserName="good-esc-onever-user")
    iam.attach_user_policy(UserName="good-esc-onever-user", PolicyArn=ids["good-esc-onever-policy"])
    good("iam", "good-esc-onever-user")

    # iam:PassRole on * and ec2:RunInstances: an admin role that EC2 may assume and that
    # sits in an instance profile.
    ids["bad-esc-ec2-admin-role"] = iam.create_role(
        RoleName="bad-esc-ec2-admin-role", AssumeRolePolicyDocument=EC2_TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="bad-esc-ec2-admin-role", PolicyName="bad-inline-admin", PolicyDocument=ADMIN)
    iam.create_instance_profile(InstanceProfileName="bad-esc-admin-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="bad-esc-admin-profile", RoleName="bad-esc-ec2-admin-role")
    pass_and_run = doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
                       {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:Describe*"], "Resource": "*"})
    iam.create_user(UserName="bad-esc-passrole-user")
    iam.put_user_policy(UserName="bad-esc-passrole-user", PolicyName="bad-esc-pass-and-run", PolicyDocument=pass_and_run)
    plant("iam", ESCALATE, "bad-esc-passrole-user", "iam:PassRole on * + ec2:RunInstances with an admin EC2 role")

    # The same permissions under a boundary that allows EC2 only: iam:PassRole is out.
    ids["good-esc-boundary-policy"] = iam.create_policy(PolicyName="good-esc-boundary-policy", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}))["Policy"]["Arn"]
    iam.create_user(UserName="good-esc-bounded-user", PermissionsBoundary=ids["good-esc-boundary-policy"])
    iam.put_user_policy(UserName="good-esc-bounded-user", PolicyName="good-esc-pass-and-run", PolicyDocument=pass_and_run)
    good("iam", "good-esc-bounded-user")

    # iam:PutUserPolicy on oneself, and the same with a guardrail policy denying it.
    put_self = lambda name: doc({"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": user_arn(name)})
    iam.create_user(UserName="bad-esc-putpolicy-user")
    iam.put_user_policy(UserName="bad-esc-putpolicy-user", PolicyName="bad-esc-put-self",
                        PolicyDocument=put_self("bad-esc-putpolicy-user"))
    plant("iam", ESCALATE, "bad-esc-putpolicy-user", "iam:PutUserPolicy on itself")
    ids["good-esc-guardrail-policy"] = iam.create_policy(PolicyName="good-esc-guardrail-policy", PolicyDocument=doc(
        {"Effect": "Deny", "Action": ["iam:PutUserPolicy", "iam:AttachUserPolicy"], "Resource": "*"}))["Policy"]["Arn"]
    iam.create_user(UserName="good-esc-denied-user")
    iam.put_user_policy(UserName="good-esc-denied-user", PolicyName="good-esc-put-self",
                        PolicyDocument=put_self("good-esc-denied-user"))
    iam.attach_user_policy(UserName="good-esc-denied-user", PolicyArn=ids["good-esc-guardrail-policy"])
    good("iam", "good-esc-denied-user")

    # codebuild:StartBuild on a project that runs as an admin role (buildspec override),
    # and on the clean project, whose role is not one.
    ids["bad-esc-codebuild-role"] = iam.create_role(RoleName="bad-esc-codebuild-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
         "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="bad-esc-codebuild-role", PolicyName="bad-inline-admin", PolicyDocument=ADMIN)
    cb = client("codebuild")
    ids["bad-esc-codebuild-project"] = cb.create_project(
        name="bad-esc-codebuild-project",
        source={"type": "CODECOMMIT", "location": f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/infra"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=ids["bad-esc-codebuild-role"],
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"},
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": "good-codebuild-logs"}},
    )["project"]["arn"]
    start = lambda project: doc({"Effect": "Allow", "Action": ["codebuild:StartBuild", "codebuild:BatchGet*"],
                                 "Resource": project})
    iam.create_user(UserName="bad-esc-codebuild-user")
    iam.put_user_policy(UserName="bad-esc-codebuild-user", PolicyName="bad-esc-start-build",
                        PolicyDocument=start(ids["bad-esc-codebuild-project"]))
    plant("iam", ESCALATE, "bad-esc-codebuild-user", "codebuild:StartBuild on a project running as an admin role")
    iam.create_user(UserName="good-esc-codebuild-user")
    iam.put_user_policy(UserName="good-esc-codebuild-user", PolicyName="good-esc-start-build",
                        PolicyDocument=start(ids["good-codebuild-build"]))
    good("iam", "good-esc-codebuild-user")

    # Trust: another account without sts:ExternalId, and with it.
    other = "arn:aws:iam::111122223333:root"
    iam.create_role(RoleName="bad-role-xacct-no-extid", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": other}, "Action": "sts:AssumeRole"}))
    plant("iam", "iam_role_cross_account_trust_external_id", "bad-role-xacct-no-extid",
          "trusts account 111122223333 without an sts:ExternalId condition")
    iam.create_role(RoleName="good-role-xacct-extid", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": other}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "vendor-generated-id-4711"}}}))
    good("iam", "good-role-xacct-extid")

    # Trust: GitHub's OIDC provider with the audience only, and with audience and subject.
    provider = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])["OpenIDConnectProviderArn"]
    gh = "token.actions.githubusercontent.com"
    iam.create_role(RoleName="bad-role-oidc-no-sub", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"}}}))
    plant("iam", "iam_role_oidc_trust_restricts_subject", "bad-role-oidc-no-sub",
          "trusts GitHub's OIDC provider with no condition on the token's sub")
    iam.create_role(RoleName="good-role-oidc-sub-aud", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"},
                       "StringLike": {f"{gh}:sub": "repo:acme/infra:ref:refs/heads/main"}}}))
    good("iam", "good-role-oidc-sub-aud")


def verify_attack_paths() -> None:
    iam = client("iam")
    versions = iam.list_policy_versions(PolicyArn=ids["bad-esc-twover-policy"])["Versions"]
    check(sorted((v["VersionId"], v["IsDefaultVersion"]) for v in versions) == [("v1", False), ("v2", True)],
          "bad-esc-twover-policy has v1 (admin, not default) and v2 (default)")
    details = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    listed = {p["PolicyName"]: len(p["PolicyVersionList"]) for p in details}
    check(listed.get("bad-esc-twover-policy") == 2,
          f"GetAccountAuthorizationDetails returns both versions of bad-esc-twover-policy ({listed.get('bad-esc-twover-policy')})")
    roles = iam.get_instance_profile(InstanceProfileName="bad-esc-admin-profile")["InstanceProfile"]["Roles"]
    check([r["RoleName"] for r in roles] == ["bad-esc-ec2-admin-role"],
          "bad-esc-admin-profile carries bad-esc-ec2-admin-role")
    user = iam.get_user(UserName="good-esc-bounded-user")["User"]
    check(user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == ids["good-esc-boundary-policy"],
          "good-esc-bounded-user has its permissions boundary")
    project = client("codebuild").batch_get_projects(names=["bad-esc-codebuild-project"])["projects"][0]
    check(project["serviceRole"] == ids["bad-esc-codebuild-role"], "bad-esc-codebuild-project runs as bad-esc-codebuild-role")
    org = client("organizations")
    chain, child = [], ACCOUNT
    while True:
        parent = org.list_parents(ChildId=child)["Parents"][0]
        chain.append(parent["Type"])
        if parent["Type"] == "ROOT":
            break
        child = parent["Id"]
    check(chain == ["ORGANIZATIONAL_UNIT", "ROOT"], f"the account sits in an OU under the root: {chain}")


def seed_inspector() -> None:
    """Inspector scans EC2 only. moto reports nothing until Inspector is enabled (the
    account status would be null); ListCoverageStatistics is not served (HTTP 404)."""
    print("Inspector (moto)")
    client("inspector2").enable(accountIds=[ACCOUNT], resourceTypes=["EC2"])
    plant("inspector", "inspector_ecr_scanning_enabled", "region", "Inspector does not scan ECR images")
    plant("inspector", "inspector_lambda_scanning_enabled", "region", "Inspector does not scan Lambda functions")


# ---------------------------------------------------------------------------------------
# Breadth: load balancers, CloudFront, API Gateway, WAF, ACM, DynamoDB, SQS, ECS, EKS,
# Auto Scaling. SQS, ACM and API Gateway REST are LocalStack's; the rest are moto's
# (start.sh points their endpoints there). moto's load balancers need subnets and
# security groups in moto's own EC2, made here.
# ---------------------------------------------------------------------------------------
def moto_client(service: str):
    return boto3.client(service, region_name=REGION, config=CFG, endpoint_url=MOTO)


def seed_breadth() -> None:
    print("SQS (LocalStack)")
    sqs = client("sqs")
    ids["bad-queue-public"] = sqs.create_queue(QueueName="bad-queue-public", Attributes={
        "SqsManagedSseEnabled": "false",
        "Policy": doc({"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                       "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:bad-queue-public"})})["QueueUrl"]
    ids["good-queue-encrypted"] = sqs.create_queue(QueueName="good-queue-encrypted", Attributes={
        "KmsMasterKeyId": ids["good-kms-key:arn"],
        "Policy": doc({"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": "sqs:SendMessage",
                       "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:good-queue-encrypted"})},
        tags={"owner": "platform-team"})["QueueUrl"]

    print("ACM (LocalStack)")
    acm = client("acm")
    now = dt.datetime.utcnow()
    cert, key = self_signed_cert("bad-cert-expiring.example.test", now - dt.timedelta(days=360),
                                 now + dt.timedelta(days=10))
    ids["bad-cert-expiring"] = acm.import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
        "CertificateArn"]
    cert, key = self_signed_cert("good-cert.example.test", now - dt.timedelta(days=1), now + dt.timedelta(days=300))
    ids["good-cert"] = acm.import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())["CertificateArn"]
    # moto's load balancers and distributions look certificates up in moto's own ACM.
    ids["certificate-in-moto"] = moto_client("acm").import_certificate(
        Certificate=cert.encode(), PrivateKey=key.encode())["CertificateArn"]

    print("API Gateway REST (LocalStack)")
    apigw = client("apigateway")
    for name in ("bad-rest-api", "good-rest-api"):
        api = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
        ids[name] = api
        root = [r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/"][0]["id"]
        auth = "NONE" if name.startswith("bad") else "AWS_IAM"
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType=auth)
        apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.create_deployment(restApiId=api, stageName="prod")
        if name.startswith("good"):
            client_cert = apigw.generate_client_certificate(description="backend auth")["clientCertificateId"]
            apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {"op": "replace", "path": "/clientCertificateId", "value": client_cert},
                {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"}])

    print("DynamoDB (moto)")
    ddb = moto_client("dynamodb")
    for name, good_one in (("bad-table-plain", False), ("good-table-protected", True)):
        kw = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        if good_one:
            kw.update(SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": ids["good-kms-key:arn"]},
                      DeletionProtectionEnabled=True, Tags=[{"Key": "owner", "Value": "platform-team"}])
        ids[name] = ddb.create_table(**kw)["TableDescription"]["TableArn"]
        if good_one:
            ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})

    print("EC2 network in moto, for moto's load balancers, clusters and groups")
    ec2 = moto_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
                   "Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="lb-sg", Description="load balancers", VpcId=vpc)["GroupId"]

    print("Elastic Load Balancing v2 (moto)")
    elbv2 = moto_client("elbv2")
    for name, good_one in (("bad-alb-http", False), ("good-alb-https", True)):
        lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing",
                                        Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        ids[name] = lb
        tg = elbv2.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                       TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        if good_one:
            elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "routing.http.desync_mitigation_mode", "Value": "defensive"},
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": "good-access-logs"}])
            elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443,
                                  SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                  Certificates=[{"CertificateArn": ids["certificate-in-moto"]}],
                                  DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
            elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
                {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                        "StatusCode": "HTTP_301"}}])
        else:
            elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
                {"Key": "routing.http.desync_mitigation_mode", "Value": "monitor"},
                {"Key": "deletion_protection.enabled", "Value": "false"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "false"},
                {"Key": "access_logs.s3.enabled", "Value": "false"}])
            elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                                  DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])

    print("Elastic Load Balancing, classic (moto)")
    elb = moto_client("elb")
    elb.create_load_balancer(LoadBalancerName="bad-clb-http", Subnets=subnets, SecurityGroups=[sg],
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP",
                                         "InstancePort": 80}])
    elb.create_load_balancer(LoadBalancerName="good-clb-https", Subnets=subnets, SecurityGroups=[sg],
                             Listeners=[{"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP",
                                         "InstancePort": 80, "SSLCertificateId": ids["certificate-in-moto"]}])
    elb.create_load_balancer_policy(LoadBalancerName="good-clb-https", PolicyName="good-tls",
                                    PolicyTypeName="SSLNegotiationPolicyType", PolicyAttributes=[
                                        {"AttributeName": "Reference-Security-Policy",
                                         "AttributeValue": "ELBSecurityPolicy-TLS-1-2-2017-01"}])
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="good-clb-https", LoadBalancerPort=443,
                                               PolicyNames=["good-tls"])
    elb.modify_load_balancer_attributes(LoadBalancerName="good-clb-https", LoadBalancerAttributes={
        "CrossZoneLoadBalancing": {"Enabled": True},
        "ConnectionDraining": {"Enabled": True, "Timeout": 300},
        "AccessLog": {"Enabled": True, "S3BucketName": "good-access-logs", "EmitInterval": 60}})

    print("WAFv2 (moto)")
    waf = moto_client("wafv2")
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
    ids["bad-web-acl-empty"] = waf.create_web_acl(Name="bad-web-acl-empty", Scope="REGIONAL",
                                                  DefaultAction={"Allow": {}},
                                                  VisibilityConfig=visibility)["Summary"]["ARN"]
    ids["good-web-acl"] = waf.create_web_acl(
        Name="good-web-acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=visibility,
        Rules=[{"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility,
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                            "Name": "AWSManagedRulesCommonRuleSet"}}}])[
        "Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=ids["good-web-acl"], ResourceArn=ids["good-alb-https"])
    waf.put_logging_configuration(LoggingConfiguration={
        "ResourceArn": ids["good-web-acl"],
        "LogDestinationConfigs": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-waf-logs-good"]})
    ids["good-edge-acl"] = waf.create_web_acl(
        Name="good-edge-acl", Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=visibility,
        Rules=[{"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility,
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                            "Name": "AWSManagedRulesCommonRuleSet"}}}])[
        "Summary"]["ARN"]
    waf.put_logging_configuration(LoggingConfiguration={
        "ResourceArn": ids["good-edge-acl"],
        "LogDestinationConfigs": [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-edge"]})

    print("CloudFront (moto)")
    cf = moto_client("cloudfront")
    for name, good_one in (("bad-distribution", False), ("good-distribution", True)):
        config = {
            "CallerReference": name, "Comment": name, "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "origin",
                "DomainName": ("good-access-logs" if good_one else "vanished-origin-bucket") + ".s3.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "origin",
                                     "ViewerProtocolPolicy": "redirect-to-https" if good_one else "allow-all",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {
                                         "Forward": "none"}}, "TrustedSigners": {"Enabled": False, "Quantity": 0}},
        }
        if good_one:
            oac = cf.create_origin_access_control(OriginAccessControlConfig={
                "Name": "good-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
                "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
            config["Origins"]["Items"][0]["OriginAccessControlId"] = oac
            config.update(WebACLId=ids["good-edge-acl"], ViewerCertificate={
                "ACMCertificateArn": ids["certificate-in-moto"], "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021"})
            config.update(DefaultRootObject="index.html",
                          Logging={"Enabled": True, "IncludeCookies": False,
                                   "Bucket": "good-access-logs.s3.amazonaws.com", "Prefix": "cf/"})
        ids[name] = cf.create_distribution(DistributionConfig=config)["Distribution"]["ARN"]

    print("API Gateway v2 (moto)")
    v2 = moto_client("apigatewayv2")
    for name, auth in (("bad-http-api", "NONE"), ("good-http-api", "AWS_IAM")):
        api = v2.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
        ids[name] = api
        v2.create_route(ApiId=api, RouteKey="GET /items", AuthorizationType=auth)
        kw = {}
        if name.startswith("good"):
            kw["AccessLogSettings"] = {"DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:good-api-logs",
                                       "Format": "$context.requestId"}
        v2.create_stage(ApiId=api, StageName="prod", **kw)

    print("ECS (moto)")
    ecs = moto_client("ecs")
    ecs.create_cluster(clusterName="bad-ecs-cluster")
    ecs.create_cluster(clusterName="good-ecs-cluster", settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.register_task_definition(family="bad-task", networkMode="host", containerDefinitions=[{
        "name": "app", "image": "public.ecr.aws/docker/library/busybox:latest", "memory": 128, "privileged": True,
        "environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "not-a-real-secret"}]}])
    ecs.register_task_definition(
        family="good-task", networkMode="awsvpc", taskRoleArn=ids["good-role-codebuild"],
        containerDefinitions=[{
            "name": "app", "image": "public.ecr.aws/docker/library/busybox:latest", "memory": 128,
            "privileged": False, "user": "1000", "readonlyRootFilesystem": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "good-ecs-logs",
                                                                    "awslogs-region": REGION,
                                                                    "awslogs-stream-prefix": "app"}},
            "environment": [{"name": "STAGE", "value": "production"}]}])
    for cluster, name, task, public in (("bad-ecs-cluster", "bad-ecs-service", "bad-task", "ENABLED"),
                                        ("good-ecs-cluster", "good-ecs-service", "good-task", "DISABLED")):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=task, desiredCount=0,
                           launchType="FARGATE", platformVersion="LATEST", networkConfiguration={"awsvpcConfiguration": {
                               "subnets": subnets, "securityGroups": [sg], "assignPublicIp": public}})

    print("EKS (moto)")
    eks = moto_client("eks")
    eks.create_cluster(name="bad-eks-public", version="1.23", roleArn=ids["good-role-codebuild"],
                       resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": True,
                                           "endpointPrivateAccess": False})
    eks.create_cluster(name="good-eks-private", version="1.35", roleArn=ids["good-role-codebuild"],
                       resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": False,
                                           "endpointPrivateAccess": True},
                       encryptionConfig=[{"resources": ["secrets"],
                                          "provider": {"keyArn": ids["good-kms-key:arn"]}}],
                       logging={"clusterLogging": [{"types": ["api", "audit", "authenticator",
                                                              "controllerManager", "scheduler"],
                                                    "enabled": True}]})

    print("Auto Scaling (moto)")
    asg = moto_client("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="bad-launch-config", ImageId="ami-12c6146b",
                                    InstanceType="t3.micro", AssociatePublicIpAddress=True,
                                    MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})
    asg.create_launch_configuration(LaunchConfigurationName="good-launch-config", ImageId="ami-12c6146b",
                                    InstanceType="t3.micro", AssociatePublicIpAddress=False,
                                    MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"})
    asg.create_auto_scaling_group(AutoScalingGroupName="bad-asg-one-az", LaunchConfigurationName="bad-launch-config",
                                  MinSize=0, MaxSize=1, VPCZoneIdentifier=subnets[0])
    template = ec2.create_launch_template(LaunchTemplateName="good-template", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro",
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(AutoScalingGroupName="good-asg",
                                  LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                                  MinSize=0, MaxSize=2, VPCZoneIdentifier=",".join(subnets),
                                  HealthCheckType="ELB", HealthCheckGracePeriod=300)
    # Planted problems and clean resources of this section, as the emulators keep them.
    plant("sqs", "sqs_queue_encrypted", "bad-queue-public", "neither SSE-SQS nor a KMS key")
    plant("sqs", "sqs_queue_not_public", "bad-queue-public", "Principal * may send")
    plant("acm", "acm_certificate_not_expiring", "bad-cert-expiring", "expires in 10 days")
    plant("apigateway", "apigateway_rest_api_methods_authorized", "bad-rest-api", "GET / needs no authorisation")
    plant("apigateway", "apigatewayv2_route_authorization", "bad-http-api", "GET /items route has no authoriser")
    plant("apigateway", "apigatewayv2_stage_access_logging", "bad-http-api", "prod stage without access logs")
    plant("dynamodb", "dynamodb_table_pitr_enabled", "bad-table-plain", "no point-in-time recovery")
    plant("dynamodb", "dynamodb_table_deletion_protection", "bad-table-plain", "no deletion protection")
    plant("dynamodb", "dynamodb_table_cmk_encrypted", "bad-table-plain", "AWS owned key")
    plant("elbv2", "elbv2_alb_desync_mitigation_mode", "bad-alb-http", "desync mitigation in monitor mode")
    plant("elbv2", "elbv2_alb_http_redirects_to_https", "bad-alb-http", "HTTP listener forwards instead of redirecting")
    plant("elbv2", "elbv2_deletion_protection_enabled", "bad-alb-http", "deletion protection off")
    plant("elbv2", "elbv2_internet_facing_no_plain_http", "bad-alb-http", "internet-facing on plain HTTP")
    plant("elbv2", "elbv2_listeners_encrypted", "bad-alb-http", "HTTP listener")
    plant("elbv2", "elbv2_alb_access_logging_enabled", "bad-alb-http", "no access logs")
    plant("elbv2", "elbv2_alb_drops_invalid_headers", "bad-alb-http", "invalid headers passed on")
    plant("elb", "elb_classic_access_logging_enabled", "bad-clb-http", "no access logs")
    plant("elb", "elb_classic_connection_draining_enabled", "bad-clb-http", "no connection draining")
    plant("elb", "elb_classic_cross_zone_enabled", "bad-clb-http", "no cross-zone balancing")
    plant("elb", "elb_classic_internet_facing_no_plain_http", "bad-clb-http", "internet-facing on plain HTTP")
    plant("elb", "elb_classic_listeners_encrypted", "bad-clb-http", "HTTP listener")
    plant("cloudfront", "cloudfront_default_root_object", "bad-distribution", "no default root object")
    plant("cloudfront", "cloudfront_logging_enabled", "bad-distribution", "no access logs")
    plant("cloudfront", "cloudfront_s3_origin_bucket_exists", "bad-distribution", "origin bucket vanished-origin-bucket does not exist")
    plant("cloudfront", "cloudfront_viewer_https_required", "bad-distribution", "viewers may use HTTP")
    plant("cloudfront", "cloudfront_waf_enabled", "bad-distribution", "no web ACL")
    plant("ecs", "ecs_cluster_container_insights", "bad-ecs-cluster", "Container Insights off")
    plant("ecs", "ecs_service_no_public_ip", "bad-ecs-service", "tasks get public IPs")
    plant("ecs", "ecs_task_definition_logging_configured", "bad-task", "no log configuration")
    plant("ecs", "ecs_task_definition_no_host_network", "bad-task", "host network mode")
    plant("ecs", "ecs_task_definition_no_secrets_in_environment", "bad-task", "AWS_SECRET_ACCESS_KEY as a plain variable")
    plant("ecs", "ecs_task_definition_non_root_user", "bad-task", "runs as root")
    plant("ecs", "ecs_task_definition_not_privileged", "bad-task", "privileged container")
    plant("ecs", "ecs_task_definition_readonly_root_filesystem", "bad-task", "writable root filesystem")
    plant("eks", "eks_audit_logging", "bad-eks-public", "no audit logs")
    plant("eks", "eks_endpoint_not_public", "bad-eks-public", "public API endpoint")
    plant("eks", "eks_secrets_encrypted", "bad-eks-public", "no KMS envelope encryption")
    plant("eks", "eks_supported_version", "bad-eks-public", "Kubernetes 1.23")
    plant("autoscaling", "autoscaling_group_launch_template", "bad-asg-one-az", "launch configuration, not template")
    plant("autoscaling", "autoscaling_group_multi_az", "bad-asg-one-az", "one Availability Zone")
    plant("autoscaling", "autoscaling_launch_configuration_imdsv2", "bad-launch-config", "IMDSv1 allowed")
    plant("autoscaling", "autoscaling_launch_configuration_no_public_ip", "bad-launch-config", "public IP addresses")
    good("breadth", "good-queue-encrypted")
    good("breadth", "good-table-protected")
    good("breadth", "good-alb-https")
    good("breadth", "good-asg")
    good("breadth", "good-launch-config")
    good("breadth", "good-ecs-cluster")
    good("breadth", "good-ecs-service")
    good("breadth", "good-task")
    good("breadth", "good-eks-private")
    good("breadth", "good-http-api")
    good("breadth", "good-web-acl")
    good("breadth", "good-cert")


# ---------------------------------------------------------------------------------------
# Read-back: what a scanner will see
# ---------------------------------------------------------------------------------------
def credential_report(iam) -> list[dict]:
    for _ in range(20):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(0.5)
    content = iam.get_credential_report()["Content"]
    return list(csv.DictReader(io.StringIO(content.decode() if isinstance(content, bytes) else content)))


def verify() -> None:
    print("\nRead-back checks (what the scanner will see)")
    iam = client("iam")
    users = {u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]}
    rows = {r["user"]: r for r in credential_report(iam)}
    check(set(rows) == users | {"<root_account>"},
          f"credential report has one row per user ({len(rows) - 1} users + root; fix in hook/sitecustomize.py)")
    check(rows.get("good-user-mfa", {}).get("mfa_active") == "true", "credential report: good-user-mfa mfa_active true")
    check(rows.get("bad-user-console-no-mfa", {}).get("password_enabled") == "true"
          and rows.get("bad-user-console-no-mfa", {}).get("mfa_active") == "false",
          "credential report: bad-user-console-no-mfa password on, MFA off")
    check(rows.get("bad-user-two-keys", {}).get("access_key_1_active") == "true"
          and rows.get("bad-user-two-keys", {}).get("access_key_2_active") == "true",
          "credential report: bad-user-two-keys has two active keys")
    keys = iam.list_access_keys(UserName="bad-user-stale-key")["AccessKeyMetadata"]
    age = (dt.datetime.now(dt.timezone.utc) - keys[0]["CreateDate"]).days if keys else -1
    check(age >= 119, f"bad-user-stale-key's access key is {age} days old (clock shift)")
    created = iam.get_user(UserName="bad-user-stale-key")["User"]["CreateDate"]
    check((dt.datetime.now(dt.timezone.utc) - created).days >= 119, "bad-user-stale-key was created 120 days ago")
    pp = iam.get_account_password_policy()["PasswordPolicy"]
    check(pp["MinimumPasswordLength"] == 8 and not pp.get("PasswordReusePrevention"),
          "password policy: length 8, no reuse prevention")
    check(iam.get_policy(PolicyArn=ids["bad-policy-full-admin"])["Policy"]["AttachmentCount"] == 1,
          "bad-policy-full-admin attachment count 1")
    cloudshell = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSCloudShellFullAccess")["Policy"]
    check(cloudshell["AttachmentCount"] >= 1, "AWSCloudShellFullAccess attachment count >= 1")
    certs = {c["ServerCertificateName"]: c for c in iam.list_server_certificates()["ServerCertificateMetadataList"]}
    exp = certs.get("bad-server-cert-expired", {}).get("Expiration")
    check(exp is not None and exp.year == 2021, f"bad-server-cert-expired expiration {exp}")
    support = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")["PolicyRoles"]
    check(any(r["RoleName"] == "good-role-support" for r in support), "AWSSupportAccess attached to good-role-support")

    s3 = client("s3")
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    check({"bad-bucket-defaults", "bad-bucket-public-policy", "bad-bucket-partial-pab", "bad-bucket-public-acl",
           "bad-trail-bucket-public", "good-access-logs", "good-bucket-hardened", "good-trail-bucket"} <= names,
          f"S3 lists the seeded buckets ({len(names)})")
    enc = s3.get_bucket_encryption(Bucket="good-bucket-hardened")["ServerSideEncryptionConfiguration"]["Rules"][0]
    check(enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", "good-bucket-hardened is SSE-KMS")
    check(s3.get_bucket_versioning(Bucket="good-bucket-hardened").get("Status") == "Enabled",
          "good-bucket-hardened versioning Enabled")
    check("LoggingEnabled" in s3.get_bucket_logging(Bucket="good-bucket-hardened"), "good-bucket-hardened logs")
    check("LoggingEnabled" not in s3.get_bucket_logging(Bucket="bad-bucket-defaults"), "bad-bucket-defaults does not log")
    grants = s3.get_bucket_acl(Bucket="bad-bucket-public-acl")["Grants"]
    check(any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants), "bad-bucket-public-acl grants AllUsers")
    try:
        s3.get_public_access_block(Bucket="bad-bucket-public-policy")
        check(False, "bad-bucket-public-policy has no public access block")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration",
              "bad-bucket-public-policy has no public access block")
    account_block = client("s3control").get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    check(account_block.get("BlockPublicAcls") is True and account_block.get("IgnorePublicAcls") is False
          and account_block.get("RestrictPublicBuckets") is False,
          f"account public access block partial (S3 Control via AWS_ENDPOINT_URL_S3_CONTROL): {account_block}")

    ec2 = client("ec2")
    check(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False, "EBS default encryption off")
    inst = ec2.describe_instances(InstanceIds=[ids["bad-instance-imdsv1"], ids["good-instance-imdsv2"]])
    by_id = {i["InstanceId"]: i for r in inst["Reservations"] for i in r["Instances"]}
    bad_i, good_i = by_id[ids["bad-instance-imdsv1"]], by_id[ids["good-instance-imdsv2"]]
    check(bad_i["State"]["Name"] == "running" and bad_i.get("MetadataOptions", {}).get("HttpTokens") == "optional",
          "bad-instance-imdsv1 running with HttpTokens optional")
    check(bool(bad_i.get("PublicIpAddress")), f"bad-instance-imdsv1 public IP {bad_i.get('PublicIpAddress')}")
    check(good_i.get("MetadataOptions", {}).get("HttpTokens") == "required" and not good_i.get("PublicIpAddress"),
          "good-instance-imdsv2 HttpTokens required, no public IP")
    perms = ec2.describe_snapshot_attribute(SnapshotId=ids["bad-snapshot-public"], Attribute="createVolumePermission")
    check({"Group": "all"} in perms["CreateVolumePermissions"], "bad-snapshot-public is public")
    img = ec2.describe_images(ImageIds=[ids["bad-image-public"]])["Images"][0]
    check(img.get("Public") is True, "bad-image-public is public")
    fl = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [ids["good-vpc-flow-logs"]]}])["FlowLogs"]
    check(len(fl) == 1 and fl[0].get("DeliverLogsStatus") != "FAILED" and fl[0]["TrafficType"] == "ALL",
          "good-vpc-flow-logs has a flow log (ALL, delivering)")
    vols = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    check(vols[ids["good-root-volume-imdsv2"]]["Encrypted"] and not vols[ids["bad-root-volume-imdsv1"]]["Encrypted"],
          "root volumes: good instance encrypted, bad instance not")
    snaps = {s["SnapshotId"]: s for s in ec2.describe_snapshots(
        SnapshotIds=[ids["good-snapshot-private"], ids["bad-snapshot-public"]])["Snapshots"]}
    check(snaps[ids["good-snapshot-private"]]["Encrypted"] and not snaps[ids["bad-snapshot-public"]]["Encrypted"],
          "snapshots: good encrypted, bad not")
    gsg = ec2.describe_security_groups(GroupIds=[ids["good-vpc-default-sg"]])["SecurityGroups"][0]
    check(not gsg["IpPermissions"] and not gsg["IpPermissionsEgress"], "good VPC's default SG has no rules")
    sub = ec2.describe_subnets(SubnetIds=[ids["bad-subnet-public-ip"]])["Subnets"][0]
    check(sub["MapPublicIpOnLaunch"] is True, "bad-subnet-public-ip maps public IPs")

    kms = client("kms")
    check(kms.get_key_rotation_status(KeyId=ids["good-kms-key"])["KeyRotationEnabled"] is True, "good-kms-key rotates")
    check(kms.get_key_rotation_status(KeyId=ids["bad-kms-no-rotation"])["KeyRotationEnabled"] is False,
          "bad-kms-no-rotation does not rotate")
    check(kms.describe_key(KeyId=ids["bad-kms-pending-deletion"])["KeyMetadata"]["KeyState"] == "PendingDeletion",
          "bad-kms-pending-deletion is PendingDeletion")

    ct = client("cloudtrail")
    trails = {t["Name"]: t for t in ct.describe_trails()["trailList"]}
    check(set(trails) == {"bad-trail-single-region", "good-trail-multi-region"}, "CloudTrail (moto) has both trails")
    check(ct.get_trail_status(Name="good-trail-multi-region")["IsLogging"] is True, "good trail is logging")
    check(trails["bad-trail-single-region"].get("LogFileValidationEnabled") is False
          and not trails["bad-trail-single-region"].get("KmsKeyId"), "bad trail: no validation, no KMS")

    logs = client("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    check(groups["bad-log-group-short-retention"].get("retentionInDays") == 7, "bad log group retention 7")
    check(bool(groups["good-trail-log-group"].get("kmsKeyId")), "good-trail-log-group is KMS-encrypted")
    subs = client("sns").list_subscriptions_by_topic(TopicArn=ids["good-topic-alerts"])["Subscriptions"]
    check(len(subs) == 1 and subs[0]["SubscriptionArn"].startswith("arn:"), "good-topic-alerts has a confirmed subscription")
    alarms = client("cloudwatch").describe_alarms()["MetricAlarms"]
    check(len(alarms) == 2, f"{len(alarms)} CloudWatch alarms")

    lam = client("lambda")
    fns = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    check({"bad-fn-url-no-auth", "bad-fn-public-policy", "bad-fn-deprecated-runtime", "good-fn-private"} <= set(fns),
          "Lambda lists the seeded functions (state: "
          + ", ".join(sorted({str(f.get('State')) for f in fns.values()})) + ")")
    check(lam.get_function_url_config(FunctionName="bad-fn-url-no-auth")["AuthType"] == "NONE", "bad-fn-url-no-auth URL auth NONE")
    pol = json.loads(lam.get_policy(FunctionName="bad-fn-public-policy")["Policy"])
    check(any(s.get("Principal") in ("*", {"AWS": "*"}) for s in pol["Statement"]), "bad-fn-public-policy allows *")

    sm = client("secretsmanager")
    check(not sm.describe_secret(SecretId="bad-secret-no-rotation").get("RotationEnabled"), "bad secret not rotating")
    d = sm.describe_secret(SecretId="good-secret-rotated")
    check(d.get("RotationEnabled") is True and d.get("LastRotatedDate") is not None, "good secret rotates, rotated now")

    rec = client("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    check(len(rec) == 1 and rec[0]["recording"] is False, "Config recorder exists, not recording")

    gd = client("guardduty")
    det = gd.get_detector(DetectorId=ids["bad-guardduty-detector"])
    check(det["Status"] == "DISABLED", "GuardDuty (moto) detector DISABLED")
    try:
        client("securityhub").describe_hub()
        check(False, "Security Hub (moto) not enabled")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "InvalidAccessException", "Security Hub (moto) not enabled (InvalidAccessException)")
    check(client("macie2").get_macie_session()["status"] == "ENABLED", "Macie (moto) session ENABLED (moto's default)")
    dbs = {d["DBInstanceIdentifier"]: d for d in client("rds").describe_db_instances()["DBInstances"]}
    check(dbs["bad-db-public"]["PubliclyAccessible"] and not dbs["bad-db-public"]["StorageEncrypted"],
          "bad-db-public (moto) public and unencrypted")
    check(dbs["good-db-private"]["StorageEncrypted"] and dbs["good-db-private"]["MultiAZ"], "good-db-private encrypted, multi-AZ")
    fss = {f["FileSystemId"]: f for f in client("efs").describe_file_systems()["FileSystems"]}
    check(fss[ids["bad-efs-unencrypted"]]["Encrypted"] is False and fss[ids["good-efs-encrypted"]]["Encrypted"] is True,
          "EFS (moto): one unencrypted, one encrypted")
    try:
        client("account").get_alternate_contact(AlternateContactType="SECURITY")
        check(False, "no security alternate contact")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "ResourceNotFoundException", "no security alternate contact (moto)")
    who = client("sts").get_caller_identity()
    check(who["Account"] == ACCOUNT, f"STS account {who['Account']}")

    # The resources of the later epics.
    ir = iam.get_role(RoleName="good-incident-response-role")["Role"]["AssumeRolePolicyDocument"]
    ir = json.loads(ir) if isinstance(ir, str) else ir
    check(ir["Statement"][0].get("Condition", {}).get("Bool", {}).get("aws:MultiFactorAuthPresent") == "true",
          "good-incident-response-role's trust requires MFA")
    check(iam.list_role_policies(RoleName="bad-forensic-role-no-mfa")["PolicyNames"] == [],
          "bad-forensic-role-no-mfa has no inline policy")
    tagset = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="good-bucket-hardened")["TagSet"]}
    check(tagset == {"data-classification": "confidential", "owner": "platform-team"},
          f"good-bucket-hardened tags {tagset}")
    try:
        s3.get_bucket_tagging(Bucket="bad-bucket-defaults")
        check(False, "bad-bucket-defaults has no tags")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchTagSet", "bad-bucket-defaults has no tags (NoSuchTagSet)")
    fn_tags = lam.list_tags(Resource=ids["good-fn-private"])["Tags"]
    check(fn_tags.get("owner") == "platform-team", f"good-fn-private tags {fn_tags}")
    selectors = ct.get_event_selectors(TrailName="good-trail-multi-region")["EventSelectors"]
    check([d["Values"] for sel in selectors for d in sel.get("DataResources", [])]
          == [["arn:aws:s3:::good-bucket-hardened/"]], "good trail records data events of good-bucket-hardened only")
    db_tags = {t["Key"]: t["Value"] for t in dbs["good-db-private"].get("TagList", [])}
    check(db_tags.get("data-classification") == "confidential", f"good-db-private tags {db_tags}")

    ev = client("events")
    rules = {r["Name"]: r for r in ev.list_rules()["Rules"]}
    check({"good-events-guardduty-findings", "bad-events-iam-changes-logs-only"} <= set(rules)
          and all(r["EventBusName"] == "default" and r["State"] == "ENABLED" for r in rules.values()),
          "EventBridge: both rules on the default bus, enabled")
    targets = ev.list_targets_by_rule(Rule="good-events-guardduty-findings")["Targets"]
    check([t["Arn"] for t in targets] == [ids["good-topic-alerts"]], "GuardDuty findings go to good-topic-alerts")
    docs = client("ssm").list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    check(any(d["Name"] == "good-runbook-isolate-instance" and d["DocumentType"] == "Automation" for d in docs),
          "SSM lists the Automation runbook as the account's own")
    cfg = client("config")
    aggs = cfg.describe_configuration_aggregators()["ConfigurationAggregators"]
    check(len(aggs) == 1 and aggs[0].get("OrganizationAggregationSource", {}).get("AllAwsRegions") is True,
          "Config aggregator over the organization, all regions")
    check([r["ConfigRuleName"] for r in cfg.describe_config_rules()["ConfigRules"]] == ["good-config-rule-s3-versioning"],
          "Config has one rule")

    org = client("organizations")
    desc = org.describe_organization()["Organization"]
    check(desc["MasterAccountId"] == ACCOUNT, "Organizations (moto): this account is the management account")
    root = org.list_roots()["Roots"][0]
    enabled = {t["Type"] for t in root.get("PolicyTypes", []) if t["Status"] == "ENABLED"}
    check({"SERVICE_CONTROL_POLICY", "TAG_POLICY"} <= enabled, f"root policy types enabled: {sorted(enabled)}")
    scps = {p["Name"]: p for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]}
    check(set(scps) == {"FullAWSAccess", "good-scp-deny-leave-organization", "good-scp-ou-deny-iam-users"},
          f"SCPs {sorted(scps)}")
    on_root = org.list_targets_for_policy(PolicyId=ids["good-scp-deny-leave-organization"])["Targets"]
    check([t["Type"] for t in on_root] == ["ROOT"], "good-scp-deny-leave-organization is attached to the root")
    tag_on_root = org.list_targets_for_policy(PolicyId=ids["good-tag-policy-classification"])["Targets"]
    check([t["Type"] for t in tag_on_root] == ["ROOT"], "good-tag-policy-classification is attached to the root")
    admins = org.list_delegated_administrators()["DelegatedAdministrators"]
    services = org.list_delegated_services_for_account(AccountId=ids["good-security-tooling"])["DelegatedServices"]
    check([a["Name"] for a in admins] == ["good-security-tooling"]
          and [s["ServicePrincipal"] for s in services] == ["guardduty.amazonaws.com"],
          "good-security-tooling is the delegated administrator of GuardDuty only")

    bk = client("backup")
    vaults = {v["BackupVaultName"]: v for v in bk.list_backup_vaults()["BackupVaultList"]}
    check(vaults["good-vault-locked"].get("Locked") is True and not vaults["bad-vault-unlocked"].get("Locked"),
          "Backup (moto): good vault locked, bad vault not")
    plans = {p["BackupPlanName"]: p["BackupPlanId"] for p in bk.list_backup_plans()["BackupPlansList"]}
    bad_rules = bk.get_backup_plan(BackupPlanId=plans["bad-backup-plan"])["BackupPlan"]["Rules"]
    check(bad_rules[0]["Lifecycle"]["DeleteAfterDays"] == 3 and not bad_rules[0].get("CopyActions"),
          "bad-backup-plan keeps 3 days, copies nowhere")
    good_rules = bk.get_backup_plan(BackupPlanId=plans["good-backup-plan"])["BackupPlan"]["Rules"]
    check(":us-west-2:" in good_rules[0]["CopyActions"][0]["DestinationBackupVaultArn"],
          "good-backup-plan copies to us-west-2")

    repos = {r["repositoryName"]: r for r in client("ecr").describe_repositories()["repositories"]}
    check(repos["bad-ecr-mutable"]["imageTagMutability"] == "MUTABLE"
          and not repos["bad-ecr-mutable"]["imageScanningConfiguration"]["scanOnPush"]
          and repos["good-ecr-immutable"]["imageTagMutability"] == "IMMUTABLE"
          and repos["good-ecr-immutable"]["imageScanningConfiguration"]["scanOnPush"],
          "ECR (moto): bad repository mutable without scan on push, good immutable with it")
    projects = {p["name"]: p for p in client("codebuild").batch_get_projects(
        names=["bad-codebuild-privileged", "good-codebuild-build"])["projects"]}
    check(projects["bad-codebuild-privileged"]["environment"]["privilegedMode"] is True
          and not projects["good-codebuild-build"]["environment"].get("privilegedMode"),
          "CodeBuild (moto): bad project privileged, good one not")
    status = client("inspector2").batch_get_account_status(accountIds=[ACCOUNT])["accounts"]
    states = {k: v["status"] for k, v in status[0]["resourceState"].items()} if status else {}
    check(states.get("ec2") == "ENABLED" and states.get("ecr") == "DISABLED" and states.get("lambda") == "DISABLED",
          f"Inspector (moto) scans EC2 only: {states}")
    verify_attack_paths()


# Names seed.py gives that are neither planted nor clean resources of their own (helpers,
# policies inside users, alarms ...), for check_expected.py's "no name is a substring of
# another" check.
HELPER_NAMES = [
    "bad-group-admins", "bad-role-cloudshell", "bad-inline-admin", "bad-igw", "bad-good-peering",
    "bad-config-recorder", "bad-config-channel", "bad-cis-root-usage-unsubscribed",
    "good-cis-console-signin-without-mfa", "good-alerts-queue", "good-flowlog-all-traffic",
    "bad-trail-bucket-public", "bad-image-public", "good-forensics", "good-config-rule-s3-versioning",
    "bad-esc-admin-profile", "bad-esc-pass-and-run", "good-esc-pass-and-run", "bad-esc-put-self",
    "good-esc-put-self", "bad-esc-start-build", "good-esc-start-build",
]


def all_names() -> set[str]:
    out = {k.removesuffix(":arn") for k in ids if k != "ami"}
    out |= {r for _, _, r, _ in planted if r not in ("account", "region", "AWSCloudShellFullAccess")}
    out |= {r for _, r in clean}
    out |= set(HELPER_NAMES)
    return out


def already_seeded() -> bool:
    try:
        client("iam").get_user(UserName="good-user-mfa")
        return True
    except botocore.exceptions.ClientError:
        return False


# ---------------------------------------------------------------------------------------
# Data stores and workflows: RDS clusters, snapshots, parameter groups, event subscriptions
# and ElastiCache, OpenSearch, Redshift (moto); launch templates, event buses, Route 53,
# Step Functions and Kinesis (LocalStack)
# ---------------------------------------------------------------------------------------
def seed_data_stores() -> None:
    """moto cannot create DocumentDB clusters, Neptune clusters with IAM authentication,
    DB instances with enhanced monitoring (HTTP 500), nor change Redshift parameters
    (HTTP 500): those cases are left to the rules' fixtures."""
    print("RDS clusters, snapshots, parameter groups, event subscriptions (moto)")
    rds = client("rds")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="bad-db-cluster-params-no-audit", DBParameterGroupFamily="aurora-mysql8.0",
        Description="Advanced Auditing off")
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName="bad-db-cluster-params-no-audit",
        Parameters=[{"ParameterName": "server_audit_logging", "ParameterValue": "0", "ApplyMethod": "immediate"}])
    ids["bad-db-cluster-aurora"] = rds.create_db_cluster(
        DBClusterIdentifier="bad-db-cluster-aurora", Engine="aurora-mysql", MasterUsername="admin",
        MasterUserPassword="Bad-Passw0rd-1234", DBClusterParameterGroupName="bad-db-cluster-params-no-audit",
        StorageEncrypted=False, DeletionProtection=False, CopyTagsToSnapshot=False)["DBCluster"]["DBClusterArn"]
    for rule, what in (("rds_cluster_storage_encrypted", "storage not encrypted"),
                       ("rds_cluster_deletion_protection", "deletion protection off"),
                       ("rds_aurora_cluster_copy_tags_to_snapshot", "tags not copied to snapshots"),
                       ("rds_cluster_custom_admin_username", "master user `admin`"),
                       ("rds_aurora_mysql_cluster_audit_logs_exported", "no audit log export"),
                       ("rds_aurora_mysql_cluster_audit_logging", "server_audit_logging = 0 in its cluster parameter group"),
                       ("rds_aurora_mysql_cluster_backtracking", "no backtrack window")):
        plant("rds", rule, "bad-db-cluster-aurora", what)
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="bad-db-cluster-snapshot-public",
                                   DBClusterIdentifier="bad-db-cluster-aurora")
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="bad-db-cluster-snapshot-public",
                                             AttributeName="restore", ValuesToAdd=["all"])
    plant("rds", "rds_cluster_snapshot_not_public", "bad-db-cluster-snapshot-public", "restorable by anyone")
    plant("rds", "rds_cluster_snapshot_encrypted", "bad-db-cluster-snapshot-public", "not encrypted")
    ids["good-db-cluster-neptune"] = rds.create_db_cluster(
        DBClusterIdentifier="good-db-cluster-neptune", Engine="neptune", StorageEncrypted=True,
        KmsKeyId=ids["good-kms-key:arn"], DeletionProtection=True, CopyTagsToSnapshot=True,
        EnableCloudwatchLogsExports=["audit"], BackupRetentionPeriod=7)["DBCluster"]["DBClusterArn"]
    good("rds", "good-db-cluster-neptune")
    rds.create_db_snapshot(DBSnapshotIdentifier="bad-db-snapshot-public", DBInstanceIdentifier="bad-db-public")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="bad-db-snapshot-public", AttributeName="restore",
                                     ValuesToAdd=["all"])
    plant("rds", "rds_snapshot_not_public", "bad-db-snapshot-public", "restorable by anyone")
    plant("rds", "rds_snapshot_encrypted", "bad-db-snapshot-public", "not encrypted")
    rds.create_db_snapshot(DBSnapshotIdentifier="good-db-snapshot-private", DBInstanceIdentifier="good-db-private")
    good("rds", "good-db-snapshot-private")
    rds.create_db_parameter_group(DBParameterGroupName="bad-db-params-cleartext", DBParameterGroupFamily="mariadb10.11",
                                  Description="TLS not required")
    rds.modify_db_parameter_group(DBParameterGroupName="bad-db-params-cleartext", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "OFF", "ApplyMethod": "immediate"}])
    rds.create_event_subscription(SubscriptionName="bad-db-events-failure-only", SnsTopicArn=ids["good-topic-alerts"],
                                  SourceType="db-instance", EventCategories=["failure"], Enabled=True)
    plant("rds", "rds_event_subscription_instance_critical_events", "bad-db-events-failure-only",
          "instance events without maintenance and configuration change")
    rds.create_event_subscription(SubscriptionName="good-db-events-clusters", SnsTopicArn=ids["good-topic-alerts"],
                                  SourceType="db-cluster", Enabled=True)
    good("rds", "good-db-events-clusters")
    plant("rds", "rds_parameter_group_events_subscribed", "region", "no subscription for parameter group changes")
    plant("rds", "rds_security_group_events_subscribed", "region", "no subscription for DB security group events")

    print("ElastiCache (moto)")
    ec = client("elasticache")
    ec.create_replication_group(ReplicationGroupId="bad-cache-plain", ReplicationGroupDescription="sessions",
                                Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
                                AtRestEncryptionEnabled=False, TransitEncryptionEnabled=False)
    for rule, what in (("elasticache_replication_group_encrypted_at_rest", "not encrypted at rest"),
                       ("elasticache_replication_group_encrypted_in_transit", "no TLS"),
                       ("elasticache_replication_group_automatic_failover", "automatic failover off")):
        plant("elasticache", rule, "bad-cache-plain", what)
    ec.create_replication_group(ReplicationGroupId="good-cache-encrypted", ReplicationGroupDescription="orders",
                                Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=2,
                                AutomaticFailoverEnabled=True, AtRestEncryptionEnabled=True,
                                TransitEncryptionEnabled=True, KmsKeyId=ids["good-kms-key:arn"])
    good("elasticache", "good-cache-encrypted")
    ec.create_cache_cluster(CacheClusterId="bad-cache-no-backups", Engine="redis", CacheNodeType="cache.t3.micro",
                            NumCacheNodes=1, SnapshotRetentionLimit=0, AutoMinorVersionUpgrade=False)
    plant("elasticache", "elasticache_cluster_automatic_backups", "bad-cache-no-backups", "no automatic backups")
    plant("elasticache", "elasticache_cluster_auto_minor_version_upgrade", "bad-cache-no-backups",
          "automatic minor version upgrades off")

    print("OpenSearch (moto)")
    osearch = client("opensearch")
    osearch.create_domain(DomainName="bad-search-public", EngineVersion="OpenSearch_2.11",
                          ClusterConfig={"InstanceCount": 1}, EncryptionAtRestOptions={"Enabled": False})
    for rule, what in (("opensearch_domain_in_vpc", "public endpoint"),
                       ("opensearch_domain_encrypted_at_rest", "not encrypted at rest"),
                       ("opensearch_domain_node_to_node_encryption", "clear text between nodes"),
                       ("opensearch_domain_fine_grained_access_control", "no fine-grained access control"),
                       ("opensearch_domain_latest_tls_policy", "HTTP allowed, TLS 1.0 policy"),
                       ("opensearch_domain_error_logging", "no error logs published"),
                       ("opensearch_domain_audit_logging", "no audit logs published"),
                       ("opensearch_domain_three_data_nodes", "a single data node")):
        plant("opensearch", rule, "bad-search-public", what)
    osearch.create_domain(
        DomainName="good-search-private", EngineVersion="OpenSearch_2.11",
        ClusterConfig={"InstanceCount": 3, "ZoneAwarenessEnabled": True, "DedicatedMasterEnabled": True,
                       "DedicatedMasterCount": 3},
        VPCOptions={"SubnetIds": [ids["good-subnet-private"]]},
        EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": ids["good-kms-key:arn"]},
        NodeToNodeEncryptionOptions={"Enabled": True},
        DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
        AdvancedSecurityOptions={"Enabled": True, "InternalUserDatabaseEnabled": False,
                                 "MasterUserOptions": {"MasterUserARN": f"arn:aws:iam::{ACCOUNT}:role/search-admin"}})
    good("opensearch", "good-search-private")

    print("Redshift (moto)")
    rs = client("redshift")
    rs.create_cluster_parameter_group(ParameterGroupName="bad-warehouse-params", ParameterGroupFamily="redshift-1.0",
                                      Description="require_ssl left false")
    rs.create_cluster(ClusterIdentifier="bad-warehouse-public", NodeType="ra3.xlplus", ClusterType="single-node",
                      MasterUsername="awsuser", MasterUserPassword="Bad-Passw0rd-1234", PubliclyAccessible=True,
                      Encrypted=False, ClusterParameterGroupName="bad-warehouse-params")
    for rule, what in (("redshift_cluster_not_public", "publicly accessible"),
                       ("redshift_cluster_encrypted", "not encrypted"),
                       ("redshift_cluster_custom_admin_username", "admin user awsuser"),
                       ("redshift_cluster_enhanced_vpc_routing", "enhanced VPC routing off"),
                       ("redshift_cluster_audit_logging", "audit logging off"),
                       ("redshift_cluster_requires_ssl", "require_ssl not true in its parameter group")):
        plant("redshift", rule, "bad-warehouse-public", what)
    rs.create_cluster(ClusterIdentifier="good-warehouse-private", NodeType="ra3.xlplus", ClusterType="single-node",
                      MasterUsername="warehouse_admin", MasterUserPassword="Good-Passw0rd-1234",
                      PubliclyAccessible=False, Encrypted=True, KmsKeyId=ids["good-kms-key:arn"],
                      EnhancedVpcRouting=True, AutomatedSnapshotRetentionPeriod=7)
    good("redshift", "good-warehouse-private")

    print("EC2 launch templates, event buses, Route 53, Step Functions, Kinesis")
    ec2 = client("ec2")
    ids["bad-launch-template-open"] = ec2.create_launch_template(
        LaunchTemplateName="bad-launch-template-open", LaunchTemplateData={
            "MetadataOptions": {"HttpTokens": "optional"},
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False, "VolumeSize": 8}}]},
    )["LaunchTemplate"]["LaunchTemplateId"]
    for rule, what in (("ec2_launch_template_imdsv2", "IMDSv1 allowed"),
                       ("ec2_launch_template_no_public_ip", "public IP on the primary interface"),
                       ("ec2_launch_template_ebs_encrypted", "unencrypted root volume")):
        plant("ec2", rule, "bad-launch-template-open", what)
    ids["good-launch-template-hardened"] = ec2.create_launch_template(
        LaunchTemplateName="good-launch-template-hardened", LaunchTemplateData={
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 8}}]},
    )["LaunchTemplate"]["LaunchTemplateId"]
    good("ec2", "good-launch-template-hardened")

    ev = client("events")
    ev.create_event_bus(Name="bad-bus-no-policy")
    plant("events", "events_custom_bus_policy_attached", "bad-bus-no-policy", "custom bus without a resource policy")
    ev.create_event_bus(Name="good-bus-with-policy")
    ev.put_permission(EventBusName="good-bus-with-policy", Policy=doc({
        "Sid": "OrdersAccount", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "events:PutEvents",
        "Resource": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/good-bus-with-policy"}))
    good("events", "good-bus-with-policy")

    r53 = client("route53")
    zone = r53.create_hosted_zone(Name="bad-zone-unlogged.example.com", CallerReference="bad-zone-unlogged")
    ids["bad-zone-unlogged"] = zone["HostedZone"]["Id"].split("/")[-1]
    plant("route53", "route53_public_zone_query_logging", "bad-zone-unlogged", "DNS queries not logged")

    sfn = client("stepfunctions")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    role = f"arn:aws:iam::{ACCOUNT}:role/good-role-ec2"
    sfn.create_state_machine(name="bad-state-machine-unlogged", definition=definition, roleArn=role)
    plant("states", "stepfunctions_state_machine_logging", "bad-state-machine-unlogged", "logging level OFF")
    logs = client("logs")
    logs.create_log_group(logGroupName="good-sfn-logs")
    sfn.create_state_machine(name="good-state-machine-logged", definition=definition, roleArn=role,
                             loggingConfiguration={"level": "ERROR", "includeExecutionData": False, "destinations": [
                                 {"cloudWatchLogsLogGroup": {
                                     "logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:good-sfn-logs:*"}}]})
    good("states", "good-state-machine-logged")

    kinesis = client("kinesis")
    kinesis.create_stream(StreamName="bad-stream-plain", ShardCount=1)
    kinesis.create_stream(StreamName="good-stream-encrypted", ShardCount=1)
    waiter = kinesis.get_waiter("stream_exists")
    for name in ("bad-stream-plain", "good-stream-encrypted"):
        waiter.wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    plant("kinesis", "kinesis_stream_encrypted", "bad-stream-plain", "not encrypted")
    plant("kinesis", "kinesis_stream_retention", "bad-stream-plain", "24 hours of retention")
    kinesis.start_stream_encryption(StreamName="good-stream-encrypted", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    waiter.wait(StreamName="good-stream-encrypted", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    kinesis.increase_stream_retention_period(StreamName="good-stream-encrypted", RetentionPeriodHours=168)
    good("kinesis", "good-stream-encrypted")


def seed_account_public_access_block():
    """A partial account-level block: public ACLs and policies refused for new grants,
    but existing ones neither ignored nor restricted, so the buckets planted public stay
    public. Put last, after every bucket policy and ACL, as a real account would refuse
    them otherwise."""
    client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    plant("s3", "s3_account_public_access_block", "account",
          "account public access block partial: IgnorePublicAcls and RestrictPublicBuckets off")


def main() -> int:
    if not os.environ.get("AWS_ENDPOINT_URL") or not MOTO:
        print("seed.py: source localstack/state/env.sh first (AWS_ENDPOINT_URL and VIGIL_MOTO_ENDPOINT unset)",
              file=sys.stderr)
        return 2
    verify_only = "--verify-only" in sys.argv
    if already_seeded() and not verify_only:
        print("seed.py: this state is already seeded (good-user-mfa exists); run start.sh for a fresh one")
        return 0
    started = time.monotonic()
    if not verify_only:
        seed_iam()
        seed_account()
        seed_kms()
        seed_s3()
        seed_logs()
        seed_sns()
        seed_alarms()
        seed_cloudtrail()
        seed_ec2()
        seed_lambda()
        seed_secrets()
        seed_config()
        seed_events()
        seed_ssm()
        seed_moto_services()
        seed_organizations()
        seed_backup()
        seed_ecr()
        seed_codebuild()
        seed_attack_paths()
        seed_inspector()
        seed_breadth()
        seed_data_stores()
        seed_more.seed(client, plant, good, ids, MOTO)
        seed_account_public_access_block()
        os.makedirs(STATE, exist_ok=True)
        with open(os.path.join(STATE, "seeded.json"), "w") as f:
            json.dump({"account": ACCOUNT, "region": REGION, "ids": ids, "names": sorted(all_names()),
                       "planted": [{"service": s, "rule": u, "resource": r, "problem": p}
                                   for s, u, r, p in planted],
                       "clean": [{"service": s, "resource": r} for s, r in clean]}, f, indent=2, default=str)
    else:
        with open(os.path.join(STATE, "seeded.json")) as f:
            ids.update(json.load(f)["ids"])

    if "--no-verify" not in sys.argv:
        verify()

    if not verify_only:
        print(f"\nPlanted problems: {len(planted)}")
        for service, n in sorted(Counter(s for s, _, _, _ in planted).items()):
            print(f"  {service:15} {n}")
        print(f"Clean resources: {len(clean)} ({', '.join(sorted(Counter(s for s, _ in clean)))})")
        print(f"ids: {os.path.join(STATE, 'seeded.json')}")
    print(f"took {time.monotonic() - started:.1f} s")
    if failures:
        print(f"\nseed.py: {len(failures)} read-back check(s) failed:", *failures, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
