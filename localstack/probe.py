#!/usr/bin/env python3
"""Calls, with boto3, every read operation the Vigil collectors use (per
docs/resource-properties.md) against the started (and preferably seeded) emulators, and
prints which answer and which do not. This is how the `gaps:` list of expected.yaml was
verified; run it again after changing versions or endpoints.

    source localstack/state/env.sh
    localstack/.venv-moto/bin/python localstack/probe.py [--json]

An operation "does not answer" when it fails with a code that is not the AWS answer for
"there is nothing here" (NoSuchBucketPolicy, NoSuchEntity, ... are listed per call), e.g.
InternalFailure / 501 "not included in your current license plan or not yet emulated"
(LocalStack), or an HTTP 404/500 HTML page (moto). Exit status 0 either way.
"""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import urlparse

import boto3
import botocore
from botocore.config import Config

REGION = os.environ.get("AWS_REGION", "us-east-1")
ACCOUNT = "000000000000"
CFG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60, s3={"addressing_style": "path"})


def seeded(name: str, default: str = "") -> str:
    path = os.path.join(os.environ.get("VIGIL_LOCALSTACK_STATE", ""), "seeded.json")
    try:
        with open(path) as f:
            return json.load(f)["ids"].get(name, default)
    except (OSError, ValueError, KeyError):
        return default


def c(service: str):
    return boto3.client(service, region_name=REGION, config=CFG)


def endpoint(service: str) -> str:
    url = c(service).meta.endpoint_url
    port = urlparse(url).port
    return {4566: "localstack", 5000: "moto"}.get(port, url)


# (IAM-action service prefix, operation, boto3 client, method, kwargs, "nothing here" codes)
CALLS = [
    ("sts", "GetCallerIdentity", "sts", "get_caller_identity", {}, []),
    ("iam", "GetAccountPasswordPolicy", "iam", "get_account_password_policy", {}, ["NoSuchEntity"]),
    ("iam", "GenerateCredentialReport", "iam", "generate_credential_report", {}, []),
    ("iam", "GetCredentialReport", "iam", "get_credential_report", {}, []),
    ("iam", "GetAccountSummary", "iam", "get_account_summary", {}, []),
    ("iam", "GetAccountAuthorizationDetails", "iam", "get_account_authorization_details", {}, []),
    ("iam", "ListVirtualMFADevices", "iam", "list_virtual_mfa_devices", {}, []),
    ("iam", "ListUsers", "iam", "list_users", {}, []),
    ("iam", "ListMFADevices", "iam", "list_mfa_devices", {"UserName": "good-user-mfa"}, []),
    ("iam", "ListAccessKeys", "iam", "list_access_keys", {"UserName": "bad-user-two-keys"}, []),
    ("iam", "GetAccessKeyLastUsed", "iam", "get_access_key_last_used", {"AccessKeyId": "__key__"}, []),
    ("iam", "ListAttachedUserPolicies", "iam", "list_attached_user_policies", {"UserName": "bad-user-attached-policy"}, []),
    ("iam", "ListUserPolicies", "iam", "list_user_policies", {"UserName": "bad-user-inline-admin"}, []),
    ("iam", "GetUserPolicy", "iam", "get_user_policy", {"UserName": "bad-user-inline-admin", "PolicyName": "bad-inline-admin"}, []),
    ("iam", "ListGroupsForUser", "iam", "list_groups_for_user", {"UserName": "good-user-mfa"}, []),
    ("iam", "ListGroups", "iam", "list_groups", {}, []),
    ("iam", "ListAttachedGroupPolicies", "iam", "list_attached_group_policies", {"GroupName": "bad-group-admins"}, []),
    ("iam", "ListGroupPolicies", "iam", "list_group_policies", {"GroupName": "bad-group-inline-admin"}, []),
    ("iam", "GetGroupPolicy", "iam", "get_group_policy", {"GroupName": "bad-group-inline-admin", "PolicyName": "bad-inline-admin"}, []),
    ("iam", "ListRoles", "iam", "list_roles", {}, []),
    ("iam", "ListAttachedRolePolicies", "iam", "list_attached_role_policies", {"RoleName": "bad-role-cloudshell"}, []),
    ("iam", "ListRolePolicies", "iam", "list_role_policies", {"RoleName": "bad-role-inline-admin"}, []),
    ("iam", "GetRolePolicy", "iam", "get_role_policy", {"RoleName": "bad-role-inline-admin", "PolicyName": "bad-inline-admin"}, []),
    ("iam", "ListPolicies", "iam", "list_policies", {"Scope": "All", "OnlyAttached": True}, []),
    ("iam", "GetPolicyVersion", "iam", "get_policy_version", {"PolicyArn": "arn:aws:iam::aws:policy/AWSCloudShellFullAccess", "VersionId": "v1"}, []),
    ("iam", "ListEntitiesForPolicy", "iam", "list_entities_for_policy", {"PolicyArn": "arn:aws:iam::aws:policy/AWSSupportAccess"}, []),
    ("iam", "ListSAMLProviders", "iam", "list_saml_providers", {}, []),
    ("iam", "ListOpenIDConnectProviders", "iam", "list_open_id_connect_providers", {}, []),
    ("iam", "ListServerCertificates", "iam", "list_server_certificates", {}, []),
    ("account", "GetAlternateContact", "account", "get_alternate_contact", {"AlternateContactType": "SECURITY"}, ["ResourceNotFoundException"]),
    ("organizations", "DescribeOrganization", "organizations", "describe_organization", {}, ["AWSOrganizationsNotInUseException"]),
    ("s3", "ListBuckets", "s3", "list_buckets", {}, []),
    ("s3", "GetBucketLocation", "s3", "get_bucket_location", {"Bucket": "good-bucket-hardened"}, []),
    ("s3", "GetBucketEncryption", "s3", "get_bucket_encryption", {"Bucket": "good-bucket-hardened"}, ["ServerSideEncryptionConfigurationNotFoundError"]),
    ("s3", "GetPublicAccessBlock", "s3", "get_public_access_block", {"Bucket": "good-bucket-hardened"}, ["NoSuchPublicAccessBlockConfiguration"]),
    ("s3", "GetBucketPolicy", "s3", "get_bucket_policy", {"Bucket": "good-bucket-hardened"}, ["NoSuchBucketPolicy"]),
    ("s3", "GetBucketPolicyStatus", "s3", "get_bucket_policy_status", {"Bucket": "good-bucket-hardened"}, ["NoSuchBucketPolicy"]),
    ("s3", "GetBucketAcl", "s3", "get_bucket_acl", {"Bucket": "good-bucket-hardened"}, []),
    ("s3", "GetBucketVersioning", "s3", "get_bucket_versioning", {"Bucket": "good-bucket-hardened"}, []),
    ("s3", "GetBucketLogging", "s3", "get_bucket_logging", {"Bucket": "good-bucket-hardened"}, []),
    ("s3", "GetBucketOwnershipControls", "s3", "get_bucket_ownership_controls", {"Bucket": "good-bucket-hardened"}, ["OwnershipControlsNotFoundError"]),
    ("s3", "GetObjectLockConfiguration", "s3", "get_object_lock_configuration", {"Bucket": "good-bucket-hardened"}, ["ObjectLockConfigurationNotFoundError"]),
    ("s3", "GetBucketLifecycleConfiguration", "s3", "get_bucket_lifecycle_configuration", {"Bucket": "good-bucket-hardened"}, ["NoSuchLifecycleConfiguration"]),
    ("s3", "GetBucketReplication", "s3", "get_bucket_replication", {"Bucket": "good-bucket-hardened"}, ["ReplicationConfigurationNotFoundError"]),
    ("s3", "GetBucketTagging", "s3", "get_bucket_tagging", {"Bucket": "good-bucket-hardened"}, ["NoSuchTagSet"]),
    ("s3", "GetAccountPublicAccessBlock", "s3control", "get_public_access_block", {"AccountId": ACCOUNT}, ["NoSuchPublicAccessBlockConfiguration"]),
    ("ec2", "DescribeRegions", "ec2", "describe_regions", {}, []),
    ("ec2", "GetEbsEncryptionByDefault", "ec2", "get_ebs_encryption_by_default", {}, []),
    ("ec2", "GetEbsDefaultKmsKeyId", "ec2", "get_ebs_default_kms_key_id", {}, []),
    ("ec2", "DescribeVpcs", "ec2", "describe_vpcs", {}, []),
    ("ec2", "DescribeSubnets", "ec2", "describe_subnets", {}, []),
    ("ec2", "DescribeRouteTables", "ec2", "describe_route_tables", {}, []),
    ("ec2", "DescribeInternetGateways", "ec2", "describe_internet_gateways", {}, []),
    ("ec2", "DescribeNatGateways", "ec2", "describe_nat_gateways", {}, []),
    ("ec2", "DescribeSecurityGroups", "ec2", "describe_security_groups", {}, []),
    ("ec2", "DescribeNetworkInterfaces", "ec2", "describe_network_interfaces", {}, []),
    ("ec2", "DescribeNetworkAcls", "ec2", "describe_network_acls", {}, []),
    ("ec2", "DescribeFlowLogs", "ec2", "describe_flow_logs", {}, []),
    ("ec2", "DescribeVpcEndpoints", "ec2", "describe_vpc_endpoints", {}, []),
    ("ec2", "DescribeVpcPeeringConnections", "ec2", "describe_vpc_peering_connections", {}, []),
    ("ec2", "DescribeInstances", "ec2", "describe_instances", {}, []),
    ("ec2", "DescribeVolumes", "ec2", "describe_volumes", {}, []),
    ("ec2", "DescribeSnapshots", "ec2", "describe_snapshots", {"OwnerIds": ["self"], "MaxResults": 1000}, []),
    ("ec2", "DescribeSnapshotAttribute", "ec2", "describe_snapshot_attribute", {"SnapshotId": "__snap__", "Attribute": "createVolumePermission"}, []),
    ("ec2", "DescribeImages", "ec2", "describe_images", {"Owners": ["self"]}, []),
    ("kms", "ListKeys", "kms", "list_keys", {}, []),
    ("kms", "ListAliases", "kms", "list_aliases", {}, []),
    ("kms", "DescribeKey", "kms", "describe_key", {"KeyId": "__key_id__"}, []),
    ("kms", "GetKeyRotationStatus", "kms", "get_key_rotation_status", {"KeyId": "__key_id__"}, []),
    ("kms", "GetKeyPolicy", "kms", "get_key_policy", {"KeyId": "__key_id__", "PolicyName": "default"}, []),
    ("cloudtrail", "DescribeTrails", "cloudtrail", "describe_trails", {}, []),
    ("cloudtrail", "GetTrailStatus", "cloudtrail", "get_trail_status", {"Name": "good-trail-multi-region"}, []),
    ("cloudtrail", "GetEventSelectors", "cloudtrail", "get_event_selectors", {"TrailName": "good-trail-multi-region"}, []),
    ("config", "DescribeConfigurationRecorders", "config", "describe_configuration_recorders", {}, []),
    ("config", "DescribeConfigurationRecorderStatus", "config", "describe_configuration_recorder_status", {}, []),
    ("config", "DescribeDeliveryChannels", "config", "describe_delivery_channels", {}, []),
    ("config", "DescribeConfigRules", "config", "describe_config_rules", {}, []),
    ("logs", "DescribeLogGroups", "logs", "describe_log_groups", {}, []),
    ("logs", "DescribeMetricFilters", "logs", "describe_metric_filters", {}, []),
    ("cloudwatch", "DescribeAlarms", "cloudwatch", "describe_alarms", {}, []),
    ("sns", "ListTopics", "sns", "list_topics", {}, []),
    ("sns", "GetTopicAttributes", "sns", "get_topic_attributes", {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:good-topic-alerts"}, []),
    ("sns", "ListSubscriptions", "sns", "list_subscriptions", {}, []),
    ("guardduty", "ListDetectors", "guardduty", "list_detectors", {}, []),
    ("guardduty", "GetDetector", "guardduty", "get_detector", {"DetectorId": "__detector__"}, []),
    ("securityhub", "DescribeHub", "securityhub", "describe_hub", {}, ["InvalidAccessException"]),
    ("securityhub", "GetEnabledStandards", "securityhub", "get_enabled_standards", {}, ["InvalidAccessException"]),
    ("access-analyzer", "ListAnalyzers", "accessanalyzer", "list_analyzers", {}, []),
    ("secretsmanager", "ListSecrets", "secretsmanager", "list_secrets", {}, []),
    ("secretsmanager", "DescribeSecret", "secretsmanager", "describe_secret", {"SecretId": "good-secret-rotated"}, []),
    ("lambda", "ListFunctions", "lambda", "list_functions", {}, []),
    ("lambda", "GetPolicy", "lambda", "get_policy", {"FunctionName": "bad-fn-public-policy"}, ["ResourceNotFoundException"]),
    ("lambda", "GetFunctionUrlConfig", "lambda", "get_function_url_config", {"FunctionName": "bad-fn-url-no-auth"}, ["ResourceNotFoundException"]),
    ("lambda", "ListFunctionUrlConfigs", "lambda", "list_function_url_configs", {"FunctionName": "bad-fn-url-no-auth"}, []),
    ("rds", "DescribeDBInstances", "rds", "describe_db_instances", {}, []),
    ("elasticfilesystem", "DescribeFileSystems", "efs", "describe_file_systems", {}, []),
    ("elasticfilesystem", "DescribeBackupPolicy", "efs", "describe_backup_policy", {"FileSystemId": "__efs__"}, ["PolicyNotFound"]),
    ("macie2", "GetMacieSession", "macie2", "get_macie_session", {}, []),
    ("macie2", "ListClassificationJobs", "macie2", "list_classification_jobs", {}, []),
    ("macie2", "GetAutomatedDiscoveryConfiguration", "macie2", "get_automated_discovery_configuration", {}, []),
    ("lambda", "ListTags", "lambda", "list_tags", {"Resource": "__fn_arn__"}, []),
    ("events", "ListEventBuses", "events", "list_event_buses", {}, []),
    ("events", "ListRules", "events", "list_rules", {}, []),
    ("events", "ListTargetsByRule", "events", "list_targets_by_rule", {"Rule": "good-events-guardduty-findings"}, []),
    ("ssm", "ListDocuments", "ssm", "list_documents", {"Filters": [{"Key": "Owner", "Values": ["Self"]}]}, []),
    ("ssm", "DescribeInstanceInformation", "ssm", "describe_instance_information", {}, []),
    ("ssm", "ListResourceComplianceSummaries", "ssm", "list_resource_compliance_summaries",
     {"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]}, []),
    ("ssm-incidents", "ListResponsePlans", "ssm-incidents", "list_response_plans", {}, []),
    ("ssm-contacts", "ListContacts", "ssm-contacts", "list_contacts", {}, []),
    ("config", "DescribeConfigurationAggregators", "config", "describe_configuration_aggregators", {}, []),
    ("config", "DescribeRemediationConfigurations", "config", "describe_remediation_configurations",
     {"ConfigRuleNames": ["good-config-rule-s3-versioning"]}, []),
    ("config", "DescribeConformancePacks", "config", "describe_conformance_packs", {}, []),
    ("config", "GetConformancePackComplianceSummary", "config", "get_conformance_pack_compliance_summary",
     {"ConformancePackNames": ["none"]}, ["NoSuchConformancePackException"]),
    ("organizations", "ListRoots", "organizations", "list_roots", {}, []),
    ("organizations", "ListPolicies", "organizations", "list_policies", {"Filter": "SERVICE_CONTROL_POLICY"}, []),
    ("organizations", "DescribePolicy", "organizations", "describe_policy", {"PolicyId": "__scp__"}, []),
    ("organizations", "ListTargetsForPolicy", "organizations", "list_targets_for_policy", {"PolicyId": "__scp__"}, []),
    ("organizations", "ListDelegatedAdministrators", "organizations", "list_delegated_administrators", {}, []),
    ("organizations", "ListDelegatedServicesForAccount", "organizations", "list_delegated_services_for_account",
     {"AccountId": "__member__"}, []),
    ("guardduty", "GetAdministratorAccount", "guardduty", "get_administrator_account", {"DetectorId": "__detector__"}, []),
    ("securityhub", "GetAdministratorAccount", "securityhub", "get_administrator_account", {}, ["InvalidAccessException"]),
    ("backup", "ListBackupPlans", "backup", "list_backup_plans", {}, []),
    ("backup", "GetBackupPlan", "backup", "get_backup_plan", {"BackupPlanId": "__backup_plan__"}, []),
    ("backup", "ListBackupSelections", "backup", "list_backup_selections", {"BackupPlanId": "__backup_plan__"}, []),
    ("backup", "ListBackupVaults", "backup", "list_backup_vaults", {}, []),
    ("backup", "DescribeBackupVault", "backup", "describe_backup_vault", {"BackupVaultName": "good-vault-locked"}, []),
    ("backup", "ListRecoveryPointsByBackupVault", "backup", "list_recovery_points_by_backup_vault",
     {"BackupVaultName": "good-vault-locked"}, []),
    ("ecr", "DescribeRepositories", "ecr", "describe_repositories", {}, []),
    ("ecr", "GetRepositoryPolicy", "ecr", "get_repository_policy", {"repositoryName": "good-ecr-immutable"},
     ["RepositoryPolicyNotFoundException"]),
    ("ecr", "GetRegistryScanningConfiguration", "ecr", "get_registry_scanning_configuration", {}, []),
    ("inspector2", "BatchGetAccountStatus", "inspector2", "batch_get_account_status", {"accountIds": [ACCOUNT]}, []),
    ("inspector2", "ListCoverageStatistics", "inspector2", "list_coverage_statistics", {}, []),
    ("codebuild", "ListProjects", "codebuild", "list_projects", {}, []),
    ("codebuild", "BatchGetProjects", "codebuild", "batch_get_projects", {"names": ["good-codebuild-build"]}, []),
    ("codebuild", "ListSourceCredentials", "codebuild", "list_source_credentials", {}, []),
    ("securitylake", "ListDataLakes", "securitylake", "list_data_lakes", {}, []),
    ("securitylake", "ListLogSources", "securitylake", "list_log_sources", {}, []),
    # Issue 11, second wave (moto; seeded by seed_more.py).
    ("dms", "DescribeReplicationInstances", "dms", "describe_replication_instances", {}, []),
    ("dms", "DescribeEndpoints", "dms", "describe_endpoints", {}, []),
    ("dms", "DescribeReplicationTasks", "dms", "describe_replication_tasks", {"WithoutSettings": False}, []),
    ("network-firewall", "ListFirewalls", "network-firewall", "list_firewalls", {}, []),
    ("network-firewall", "DescribeFirewall", "network-firewall", "describe_firewall",
     {"FirewallArn": "__firewall__"}, []),
    ("network-firewall", "DescribeLoggingConfiguration", "network-firewall", "describe_logging_configuration",
     {"FirewallArn": "__firewall__"}, []),
    ("network-firewall", "DescribeFirewallPolicy", "network-firewall", "describe_firewall_policy",
     {"FirewallPolicyArn": "__firewall_policy__"}, []),
    ("network-firewall", "DescribeRuleGroup", "network-firewall", "describe_rule_group",
     {"RuleGroupArn": f"arn:aws:network-firewall:{REGION}:{ACCOUNT}:stateless-rulegroup/none"}, []),
    ("kafka", "ListClustersV2", "kafka", "list_clusters_v2", {}, []),
    ("elasticmapreduce", "ListClusters", "emr", "list_clusters", {}, []),
    ("elasticmapreduce", "DescribeCluster", "emr", "describe_cluster", {"ClusterId": "__emr_cluster__"}, []),
    ("elasticmapreduce", "ListInstances", "emr", "list_instances",
     {"ClusterId": "__emr_cluster__", "InstanceGroupTypes": ["MASTER"]}, []),
    ("elasticmapreduce", "GetBlockPublicAccessConfiguration", "emr", "get_block_public_access_configuration", {}, []),
    ("elasticmapreduce", "DescribeSecurityConfiguration", "emr", "describe_security_configuration",
     {"Name": "good-emr-config-encrypted"}, []),
    ("appsync", "ListGraphqlApis", "appsync", "list_graphql_apis", {}, []),
    ("appsync", "GetApiCache", "appsync", "get_api_cache", {"apiId": "__graphql_api__"}, ["NotFoundException"]),
    ("wafv2", "ListResourcesForWebACL", "wafv2", "list_resources_for_web_acl", {"WebACLArn": "__web_acl__"}, []),
    ("athena", "ListWorkGroups", "athena", "list_work_groups", {}, []),
    ("athena", "GetWorkGroup", "athena", "get_work_group", {"WorkGroup": "primary"}, []),
    ("mq", "ListBrokers", "mq", "list_brokers", {}, []),
    ("mq", "DescribeBroker", "mq", "describe_broker", {"BrokerId": "__broker__"}, ["NotFoundException"]),
    ("transfer", "ListServers", "transfer", "list_servers", {}, []),
    ("transfer", "DescribeServer", "transfer", "describe_server", {"ServerId": "__transfer_server__"},
     ["ResourceNotFoundException"]),
    ("firehose", "ListDeliveryStreams", "firehose", "list_delivery_streams", {}, []),
    ("firehose", "DescribeDeliveryStream", "firehose", "describe_delivery_stream",
     {"DeliveryStreamName": "good-firehose-encrypted"}, ["ResourceNotFoundException"]),
]


def fill(kwargs: dict) -> dict:
    out = {}
    for k, v in kwargs.items():
        if v == "__key__":
            keys = c("iam").list_access_keys(UserName="good-user-api")["AccessKeyMetadata"]
            v = keys[0]["AccessKeyId"] if keys else "AKIANONE"
        elif v == "__snap__":
            v = seeded("bad-snapshot-public", "snap-00000000")
        elif v == "__key_id__":
            v = seeded("good-kms-key", "00000000-0000-0000-0000-000000000000")
        elif v == "__detector__":
            v = seeded("bad-guardduty-detector", "0" * 32)
        elif v == "__efs__":
            v = seeded("good-efs-encrypted", "fs-00000000")
        elif v == "__fn_arn__":
            v = seeded("good-fn-private", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:none")
        elif v == "__scp__":
            v = seeded("good-scp-deny-leave-organization", "p-00000000")
        elif v == "__member__":
            v = seeded("good-security-tooling", "111111111111")
        elif v == "__backup_plan__":
            v = seeded("good-backup-plan", "none").rsplit(":", 1)[-1]
        elif v == "__firewall__":
            v = seeded("good-firewall-protected", f"arn:aws:network-firewall:{REGION}:{ACCOUNT}:firewall/none")
        elif v == "__firewall_policy__":
            v = seeded("good-firewall-policy", f"arn:aws:network-firewall:{REGION}:{ACCOUNT}:firewall-policy/none")
        elif v == "__emr_cluster__":
            v = seeded("good-emr-cluster-private", "j-NONE")
        elif v == "__graphql_api__":
            v = seeded("good-graphql-api-iam", "none").rsplit("/", 1)[-1]
        elif v == "__web_acl__":
            v = seeded("good-web-acl", f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/none/0")
        elif v == "__broker__":
            v = seeded("good-mq-broker-logged", "none").rsplit(":", 1)[-1]
        elif v == "__transfer_server__":
            v = seeded("good-transfer-sftp", "s-00000000000000000")
        out[k] = v
    return out


def main() -> int:
    results = []
    for prefix, op, svc, method, kwargs, absent in CALLS:
        where = endpoint(svc)
        try:
            getattr(c(svc), method)(**fill(kwargs))
            status, detail = "ok", ""
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code") or ""
            http = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            msg = (e.response.get("Error", {}).get("Message") or "").strip().splitlines()
            if code in absent:
                status, detail = "ok", f"{code} (= nothing there)"
            else:
                status, detail = "GAP", f"HTTP {http} {code}: {msg[0][:90] if msg else ''}"
        except Exception as e:  # unparsable answers, connection errors
            status, detail = "GAP", f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"
        results.append({"service": prefix, "operation": op, "endpoint": where, "status": status, "detail": detail})

    if "--json" in sys.argv:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        for r in results:
            name = f"{r['service']}:{r['operation']}"
            print(f"{r['status']:4} {r['endpoint']:10} {name:50} {r['detail']}")
        gaps = [r for r in results if r["status"] == "GAP"]
        print(f"\n{len(results) - len(gaps)} answer, {len(gaps)} do not:")
        for r in gaps:
            print(f"  {r['service']}:{r['operation']} ({r['endpoint']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
