//! The catalogue of resource types and relation kinds: the contract between the
//! collectors that produce them and the rules that read them. A rule naming a type or a
//! relation kind outside this list is rejected when it loads.

/// Whether a resource type lives once per account or once per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One list per account (IAM, Organizations, the account itself).
    Global,
    /// One list per region.
    Regional,
}

/// A known resource type.
#[derive(Debug, Clone, Copy)]
pub struct ResourceTypeInfo {
    pub name: &'static str,
    pub scope: Scope,
    pub description: &'static str,
}

/// A known relation kind, read as `from <kind> to`.
#[derive(Debug, Clone, Copy)]
pub struct RelationKindInfo {
    pub name: &'static str,
    pub description: &'static str,
}

const fn global(name: &'static str, description: &'static str) -> ResourceTypeInfo {
    ResourceTypeInfo {
        name,
        scope: Scope::Global,
        description,
    }
}

const fn regional(name: &'static str, description: &'static str) -> ResourceTypeInfo {
    ResourceTypeInfo {
        name,
        scope: Scope::Regional,
        description,
    }
}

/// Every resource type Vigil knows.
pub const RESOURCE_TYPES: &[ResourceTypeInfo] = &[
    global(
        "aws.account",
        "The AWS account: contacts, password policy, root user, organisation membership",
    ),
    regional(
        "aws.region",
        "One scanned region of an account, to hang per-region checks on",
    ),
    global(
        "aws.iam.user",
        "IAM user with credential-report facts, keys, MFA devices and policies",
    ),
    global("aws.iam.group", "IAM group with its policies"),
    global(
        "aws.iam.role",
        "IAM role with its trust policy and policies",
    ),
    global(
        "aws.iam.policy",
        "Customer or AWS managed IAM policy with its default version's document",
    ),
    global("aws.iam.saml_provider", "IAM SAML identity provider"),
    global(
        "aws.iam.oidc_provider",
        "IAM OpenID Connect identity provider",
    ),
    global(
        "aws.iam.server_certificate",
        "IAM server certificate (SSL/TLS)",
    ),
    global("aws.s3.bucket", "S3 bucket with its protection settings"),
    regional("aws.ec2.vpc", "VPC"),
    regional("aws.ec2.subnet", "VPC subnet"),
    regional("aws.ec2.route_table", "VPC route table"),
    regional("aws.ec2.internet_gateway", "Internet gateway"),
    regional("aws.ec2.nat_gateway", "NAT gateway"),
    regional(
        "aws.ec2.security_group",
        "Security group with its ingress and egress rules",
    ),
    regional("aws.ec2.network_acl", "Network ACL with its entries"),
    regional("aws.ec2.flow_log", "VPC flow log"),
    regional("aws.ec2.vpc_endpoint", "VPC endpoint"),
    regional("aws.ec2.vpc_peering_connection", "VPC peering connection"),
    regional(
        "aws.ec2.instance",
        "EC2 instance with metadata options and network exposure",
    ),
    regional("aws.ec2.volume", "EBS volume"),
    regional("aws.ec2.snapshot", "EBS snapshot owned by the account"),
    regional("aws.ec2.image", "AMI owned by the account"),
    regional(
        "aws.ec2.launch_template",
        "EC2 launch template with its latest version's settings",
    ),
    regional("aws.kms.key", "KMS key with policy, rotation and aliases"),
    regional(
        "aws.cloudtrail.trail",
        "CloudTrail trail with status and event selectors",
    ),
    regional(
        "aws.config.recorder",
        "AWS Config configuration recorder with its status",
    ),
    regional("aws.config.delivery_channel", "AWS Config delivery channel"),
    regional("aws.config.rule", "AWS Config rule"),
    regional("aws.logs.log_group", "CloudWatch Logs log group"),
    regional("aws.logs.metric_filter", "CloudWatch Logs metric filter"),
    regional("aws.cloudwatch.alarm", "CloudWatch metric alarm"),
    regional("aws.sns.topic", "SNS topic with policy and encryption"),
    regional("aws.sns.subscription", "SNS subscription"),
    regional(
        "aws.guardduty.detector",
        "GuardDuty detector with its features",
    ),
    regional(
        "aws.securityhub.hub",
        "Security Hub in a region, with enabled standards",
    ),
    regional(
        "aws.accessanalyzer.analyzer",
        "IAM Access Analyzer analyzer",
    ),
    regional("aws.secretsmanager.secret", "Secrets Manager secret"),
    regional(
        "aws.lambda.function",
        "Lambda function with resource policy and URL config",
    ),
    regional("aws.rds.db_instance", "RDS database instance"),
    regional(
        "aws.rds.db_cluster",
        "RDS DB cluster: Aurora, Multi-AZ DB cluster, DocumentDB or Neptune",
    ),
    regional(
        "aws.rds.db_snapshot",
        "RDS DB instance snapshot with who may restore it",
    ),
    regional(
        "aws.rds.db_cluster_snapshot",
        "RDS, DocumentDB or Neptune cluster snapshot with who may restore it",
    ),
    regional(
        "aws.rds.db_parameter_group",
        "RDS DB parameter group with its TLS and logging parameters",
    ),
    regional(
        "aws.rds.db_cluster_parameter_group",
        "RDS DB cluster parameter group with its TLS and logging parameters",
    ),
    regional(
        "aws.rds.event_subscription",
        "RDS event notification subscription",
    ),
    regional("aws.efs.file_system", "EFS file system"),
    regional("aws.macie.session", "Amazon Macie in a region"),
    regional(
        "aws.events.rule",
        "EventBridge rule on any event bus, with its pattern and targets",
    ),
    regional(
        "aws.events.event_bus",
        "EventBridge event bus with its resource policy",
    ),
    regional(
        "aws.ssm.document",
        "Systems Manager document owned by the account (Automation, Command, ...)",
    ),
    regional(
        "aws.ssm.managed_instance",
        "Instance managed by Systems Manager, with its patch compliance",
    ),
    regional(
        "aws.ssmincidents.response_plan",
        "Incident Manager response plan",
    ),
    regional(
        "aws.ssmcontacts.contact",
        "Incident Manager contact or escalation plan",
    ),
    regional(
        "aws.config.remediation",
        "AWS Config remediation configuration of a rule",
    ),
    regional(
        "aws.config.conformance_pack",
        "AWS Config conformance pack with its compliance",
    ),
    regional(
        "aws.config.aggregator",
        "AWS Config configuration aggregator",
    ),
    global(
        "aws.organizations.policy",
        "Organizations policy (SCP, tag, backup, ...) with its document and targets; management account only",
    ),
    global(
        "aws.organizations.delegated_administrator",
        "Account registered as a delegated administrator, with its services; management account only",
    ),
    regional(
        "aws.backup.plan",
        "AWS Backup plan with its rules and resource selections",
    ),
    regional(
        "aws.backup.vault",
        "AWS Backup vault with lock settings and recovery points",
    ),
    regional(
        "aws.ecr.repository",
        "ECR repository with scanning and tag immutability",
    ),
    regional(
        "aws.codebuild.project",
        "CodeBuild project with its environment (variable names, never values)",
    ),
    regional(
        "aws.codebuild.source_credential",
        "Credential CodeBuild holds for a source provider",
    ),
    regional(
        "aws.securitylake.data_lake",
        "Amazon Security Lake data lake in a region",
    ),
    regional(
        "aws.elbv2.load_balancer",
        "Application, network or gateway load balancer with listeners and attributes",
    ),
    regional(
        "aws.elb.load_balancer",
        "Classic load balancer with listeners, TLS policy and attributes",
    ),
    global(
        "aws.cloudfront.distribution",
        "CloudFront distribution with origins, protocols, TLS, WAF and logging",
    ),
    regional("aws.apigateway.rest_api", "API Gateway REST API"),
    regional(
        "aws.apigateway.stage",
        "API Gateway REST API stage with logging, tracing, cache and WAF settings",
    ),
    regional(
        "aws.apigatewayv2.api",
        "API Gateway HTTP or WebSocket API with its routes",
    ),
    regional(
        "aws.apigatewayv2.stage",
        "API Gateway HTTP or WebSocket API stage",
    ),
    regional(
        "aws.wafv2.web_acl",
        "WAFv2 web ACL with its rules and logging",
    ),
    regional("aws.acm.certificate", "ACM certificate"),
    regional("aws.dynamodb.table", "DynamoDB table"),
    regional(
        "aws.sqs.queue",
        "SQS queue with encryption and access policy",
    ),
    regional("aws.ecs.cluster", "ECS cluster"),
    regional("aws.ecs.service", "ECS service"),
    regional(
        "aws.ecs.task_definition",
        "Latest active revision of an ECS task-definition family, with its containers",
    ),
    regional("aws.eks.cluster", "EKS cluster"),
    regional("aws.autoscaling.group", "Auto Scaling group"),
    regional(
        "aws.autoscaling.launch_configuration",
        "Auto Scaling launch configuration",
    ),
    regional(
        "aws.elasticache.replication_group",
        "ElastiCache (Valkey or Redis OSS) replication group",
    ),
    regional(
        "aws.elasticache.cluster",
        "ElastiCache cache cluster (a replication group's node or a standalone cluster)",
    ),
    regional(
        "aws.opensearch.domain",
        "OpenSearch Service domain (OpenSearch or Elasticsearch engine)",
    ),
    regional("aws.redshift.cluster", "Redshift provisioned cluster"),
    regional(
        "aws.redshift.parameter_group",
        "Redshift parameter group in use, with its TLS and logging parameters",
    ),
    global(
        "aws.route53.hosted_zone",
        "Route 53 hosted zone with its query logging",
    ),
    regional(
        "aws.states.state_machine",
        "Step Functions state machine with logging and tracing",
    ),
    regional("aws.kinesis.stream", "Kinesis data stream"),
    regional(
        "aws.dms.replication_instance",
        "Database Migration Service replication instance",
    ),
    regional(
        "aws.dms.endpoint",
        "Database Migration Service source or target endpoint",
    ),
    regional(
        "aws.dms.replication_task",
        "Database Migration Service replication task with its logging settings",
    ),
    regional("aws.networkfirewall.firewall", "Network Firewall firewall"),
    regional(
        "aws.networkfirewall.firewall_policy",
        "Network Firewall policy used by a firewall",
    ),
    regional(
        "aws.networkfirewall.rule_group",
        "Network Firewall stateless rule group used by a policy",
    ),
    regional(
        "aws.kafka.cluster",
        "MSK (Managed Streaming for Apache Kafka) cluster",
    ),
    regional("aws.emr.cluster", "EMR cluster (active states)"),
    regional(
        "aws.emr.security_configuration",
        "EMR security configuration used by a cluster",
    ),
    regional("aws.appsync.graphql_api", "AppSync GraphQL API"),
    regional("aws.athena.workgroup", "Athena workgroup"),
    regional("aws.mq.broker", "Amazon MQ broker"),
    regional("aws.transfer.server", "Transfer Family server"),
    regional(
        "aws.firehose.delivery_stream",
        "Data Firehose delivery stream",
    ),
];

/// Every relation kind Vigil knows.
pub const RELATION_KINDS: &[RelationKindInfo] = &[
    RelationKindInfo {
        name: "member_of",
        description: "user is a member of a group; subnet or instance sits in a VPC or subnet; DB instance belongs to a DB cluster",
    },
    RelationKindInfo {
        name: "attached",
        description: "principal (user, group, role) has a managed policy attached",
    },
    RelationKindInfo {
        name: "uses",
        description: "instance uses a security group; function, instance or build project runs as a role; database uses a parameter group; Auto Scaling group launches from a template",
    },
    RelationKindInfo {
        name: "encrypted_by",
        description: "data store, trail, log group or topic is encrypted with a KMS key",
    },
    RelationKindInfo {
        name: "delivers_to",
        description: "trail, flow log or Config channel delivers to a bucket, log group or topic; backup plan stores recovery points in a vault",
    },
    RelationKindInfo {
        name: "logs_to",
        description: "bucket writes server access logs to a target bucket",
    },
    RelationKindInfo {
        name: "monitors",
        description: "flow log watches a VPC; metric filter reads a log group; alarm watches a metric filter's metric",
    },
    RelationKindInfo {
        name: "notifies",
        description: "alarm or RDS event subscription sends to an SNS topic",
    },
    RelationKindInfo {
        name: "subscribed_to",
        description: "subscription receives from an SNS topic",
    },
    RelationKindInfo {
        name: "routes_to",
        description: "route table sends traffic to a gateway or peering connection",
    },
    RelationKindInfo {
        name: "associated_with",
        description: "route table or network ACL applies to a subnet",
    },
    RelationKindInfo {
        name: "peers_with",
        description: "peering connection joins a VPC",
    },
    RelationKindInfo {
        name: "created_from",
        description: "volume made from a snapshot; snapshot taken of a volume, DB instance or DB cluster",
    },
    RelationKindInfo {
        name: "in_region",
        description: "resource belongs to the aws.region node of its region",
    },
    RelationKindInfo {
        name: "invokes",
        description: "EventBridge rule sends events to a target (topic, function, SSM document, response plan); remediation or response plan runs an SSM document",
    },
    RelationKindInfo {
        name: "manages",
        description: "Systems Manager managed instance is this EC2 instance; Config remediation fixes what this Config rule finds",
    },
    RelationKindInfo {
        name: "forwards_to",
        description: "load balancer, distribution or API sends requests to a backend (instance, function, origin bucket)",
    },
    RelationKindInfo {
        name: "protected_by",
        description: "load balancer, API stage or distribution is protected by a WAF web ACL",
    },
];

/// The collector (service name as `--services` takes it) that produces a resource type:
/// the type's middle segment, except where the collector's name differs. `aws.account`
/// and `aws.region` are made by the scan itself; their properties have owners of their
/// own ([`SCOPE_PROPERTIES`]).
pub fn service_of_type(name: &str) -> Option<&'static str> {
    let service = resource_type(name)?.name.split('.').nth(1)?;
    match service {
        "account" | "region" => None,
        "ssmincidents" => Some("ssm-incidents"),
        "ssmcontacts" => Some("ssm-contacts"),
        "networkfirewall" => Some("network-firewall"),
        "emr" => Some("elasticmapreduce"),
        other => Some(other),
    }
}

/// Which collector writes each top-level property of the account and region nodes:
/// when that collector is left out of a scan, rules reading the property are not judged.
/// A test in the collector crate keeps this list equal to the `set_account` and
/// `set_region` calls of each collector.
pub const SCOPE_PROPERTIES: &[(&str, &str, &str)] = &[
    ("aws.account", "alternate_contacts", "account"),
    ("aws.account", "password_policy", "iam"),
    ("aws.account", "root", "iam"),
    ("aws.account", "account_summary", "iam"),
    ("aws.account", "support_role_exists", "iam"),
    ("aws.account", "organization", "organizations"),
    ("aws.account", "s3_public_access_block", "s3"),
    ("aws.region", "ebs_encryption_by_default", "ec2"),
    ("aws.region", "ebs_default_kms_key_id", "ec2"),
    ("aws.region", "ecr_registry_scanning", "ecr"),
    ("aws.region", "inspector", "inspector2"),
    ("aws.region", "inspector_coverage", "inspector2"),
    ("aws.region", "emr_block_public_access", "elasticmapreduce"),
];

/// The collector that writes `key` on nodes of `resource_type` (`aws.account`,
/// `aws.region`), if a collector does.
pub fn service_of_property(resource_type: &str, key: &str) -> Option<&'static str> {
    SCOPE_PROPERTIES
        .iter()
        .find(|(t, k, _)| *t == resource_type && *k == key)
        .map(|(_, _, service)| *service)
}

/// Looks a resource type up by name.
pub fn resource_type(name: &str) -> Option<&'static ResourceTypeInfo> {
    RESOURCE_TYPES.iter().find(|t| t.name == name)
}

/// Is `name` a known relation kind?
pub fn is_relation_kind(name: &str) -> bool {
    RELATION_KINDS.iter().any(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for t in RESOURCE_TYPES {
            assert!(seen.insert(t.name), "duplicate type {}", t.name);
            assert!(
                t.name.starts_with("aws."),
                "{} lacks the aws. prefix",
                t.name
            );
            assert!(
                t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
            );
        }
        for k in RELATION_KINDS {
            assert!(seen.insert(k.name), "duplicate kind {}", k.name);
        }
        assert!(resource_type("aws.s3.bucket").is_some());
        assert!(resource_type("aws.s3.bucket2").is_none());
        assert!(is_relation_kind("encrypted_by"));
        assert!(!is_relation_kind("encrypts"));
    }
}
