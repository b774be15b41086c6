"""Seeding for the services added with issue 11's second wave (all on moto): Database
Migration Service, Network Firewall, MSK, EMR, AppSync, Amazon MQ, Transfer Family and
Data Firehose (Athena is collected too, but moto cannot be seeded with it). Each gets planted problems
(`bad-…`) and clean counterparts (`good-…`); seed.py calls `seed(...)` with its own
helpers, so that the planted and clean lists stay one.

moto 5.2.5 facts this relies on (probe.py checks the calls): DMS keeps every setting it
is given, including the task settings JSON; Network Firewall serves firewalls and their
logging configuration but not DescribeFirewallPolicy (so policy rules are ERROR, and
the gap is asserted in expected.yaml); MSK's CreateCluster (v1) keeps encryption and
client authentication, which CreateClusterV2 drops; EMR starts clusters in WAITING with
EC2 instances of moto's own EC2, which get a public IP in a subnet that maps one on
launch; AppSync keeps log configuration and API caches.
"""

import json


def seed(client, plant, good, ids, moto_endpoint: str) -> None:
    seed_dms(client, plant, good, ids)
    seed_network_firewall(client, plant, good, ids)
    seed_msk(client, plant, good, ids)
    seed_emr(client, plant, good, ids, moto_endpoint)
    seed_appsync(client, plant, good, ids)
    seed_mq_transfer_firehose(client, plant, good, ids)


def task_settings(severity: str | None) -> str:
    """DMS task settings whose Logging part logs every source and target component at
    `severity`, or has logging off (None)."""
    if severity is None:
        return json.dumps({"Logging": {"EnableLogging": False}})
    return json.dumps({"Logging": {"EnableLogging": True, "LogComponents": [
        {"Id": c, "Severity": severity}
        for c in ("SOURCE_CAPTURE", "SOURCE_UNLOAD", "TARGET_APPLY", "TARGET_LOAD", "TASK_MANAGER")]}})


def seed_dms(client, plant, good, ids) -> None:
    print("Database Migration Service (moto)")
    dms = client("dms")
    bad = dms.create_replication_instance(
        ReplicationInstanceIdentifier="bad-dms-instance-public", ReplicationInstanceClass="dms.t3.medium",
        PubliclyAccessible=True, MultiAZ=False, AutoMinorVersionUpgrade=False)["ReplicationInstance"]
    ids["bad-dms-instance-public"] = bad["ReplicationInstanceArn"]
    plant("dms", "dms_replication_instance_not_public", "bad-dms-instance-public", "publicly accessible")
    plant("dms", "dms_replication_instance_multi_az", "bad-dms-instance-public", "single-AZ")
    plant("dms", "dms_replication_instance_auto_minor_version_upgrade", "bad-dms-instance-public",
          "automatic minor version upgrade off")
    ids["good-dms-instance-private"] = dms.create_replication_instance(
        ReplicationInstanceIdentifier="good-dms-instance-private", ReplicationInstanceClass="dms.t3.medium",
        PubliclyAccessible=False, MultiAZ=True,
        AutoMinorVersionUpgrade=True)["ReplicationInstance"]["ReplicationInstanceArn"]
    good("dms", "good-dms-instance-private")

    def endpoint(name: str, kind: str, engine: str, **extra) -> str:
        arn = dms.create_endpoint(EndpointIdentifier=name, EndpointType=kind, EngineName=engine,
                                  ServerName="db.internal.example", Port=5432, DatabaseName="orders",
                                  Username="migrator", Password="not-a-real-secret-key", **extra)["Endpoint"]["EndpointArn"]
        ids[name] = arn
        return arn

    bad_source = endpoint("bad-dms-endpoint-cleartext", "source", "postgres", SslMode="none")
    plant("dms", "dms_endpoint_ssl_enabled", "bad-dms-endpoint-cleartext", "SSL mode none")
    endpoint("bad-dms-endpoint-mongo-anonymous", "source", "mongodb", SslMode="require",
             MongoDbSettings={"AuthType": "no"})
    plant("dms", "dms_endpoint_mongodb_authentication", "bad-dms-endpoint-mongo-anonymous", "no authentication")
    good_source = endpoint("good-dms-endpoint-verified", "source", "postgres", SslMode="verify-full")
    good("dms", "good-dms-endpoint-verified")
    target = endpoint("good-dms-endpoint-target", "target", "mysql", SslMode="require")
    good("dms", "good-dms-endpoint-target")

    ids["bad-dms-task-unlogged"] = dms.create_replication_task(
        ReplicationTaskIdentifier="bad-dms-task-unlogged", SourceEndpointArn=bad_source, TargetEndpointArn=target,
        ReplicationInstanceArn=ids["bad-dms-instance-public"], MigrationType="full-load-and-cdc",
        TableMappings=json.dumps({"rules": []}),
        ReplicationTaskSettings=task_settings(None))["ReplicationTask"]["ReplicationTaskArn"]
    plant("dms", "dms_replication_task_source_logging", "bad-dms-task-unlogged", "logging off")
    plant("dms", "dms_replication_task_target_logging", "bad-dms-task-unlogged", "logging off")
    ids["good-dms-task-logged"] = dms.create_replication_task(
        ReplicationTaskIdentifier="good-dms-task-logged", SourceEndpointArn=good_source, TargetEndpointArn=target,
        ReplicationInstanceArn=ids["good-dms-instance-private"], MigrationType="full-load-and-cdc",
        TableMappings=json.dumps({"rules": []}),
        ReplicationTaskSettings=task_settings("LOGGER_SEVERITY_DEFAULT"))["ReplicationTask"]["ReplicationTaskArn"]
    good("dms", "good-dms-task-logged")


def seed_network_firewall(client, plant, good, ids) -> None:
    print("Network Firewall (moto)")
    nfw = client("network-firewall")
    # moto does not serve firewall policies (no CreateFirewallPolicy nor
    # DescribeFirewallPolicy): both firewalls name one that cannot be read, so the policy
    # is collected with its name only and a gap, and its rules report ERROR.
    policy = "arn:aws:network-firewall:us-east-1:000000000000:firewall-policy/good-firewall-policy"
    ids["good-firewall-policy"] = policy
    ids["bad-firewall-unprotected"] = nfw.create_firewall(
        FirewallName="bad-firewall-unprotected", FirewallPolicyArn=policy, VpcId="vpc-0bad",
        SubnetMappings=[{"SubnetId": "subnet-0bad"}], DeleteProtection=False,
        SubnetChangeProtection=False)["Firewall"]["FirewallArn"]
    plant("network-firewall", "networkfirewall_firewall_deletion_protection", "bad-firewall-unprotected",
          "deletion protection off")
    plant("network-firewall", "networkfirewall_firewall_subnet_change_protection", "bad-firewall-unprotected",
          "subnet change protection off")
    plant("network-firewall", "networkfirewall_firewall_logging_enabled", "bad-firewall-unprotected",
          "no log destination")
    ids["good-firewall-protected"] = arn = nfw.create_firewall(
        FirewallName="good-firewall-protected", FirewallPolicyArn=policy, VpcId="vpc-0good",
        SubnetMappings=[{"SubnetId": "subnet-0good"}], DeleteProtection=True,
        SubnetChangeProtection=True)["Firewall"]["FirewallArn"]
    nfw.update_logging_configuration(FirewallArn=arn, LoggingConfiguration={"LogDestinationConfigs": [
        {"LogType": "ALERT", "LogDestinationType": "CloudWatchLogs",
         "LogDestination": {"logGroup": "/network-firewall/alert"}}]})
    good("network-firewall", "good-firewall-protected")


def seed_msk(client, plant, good, ids) -> None:
    print("MSK (moto)")
    kafka = client("kafka")
    nodes = {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-0a", "subnet-0b"],
             "SecurityGroups": ["sg-0kafka"]}
    ids["bad-kafka-open"] = kafka.create_cluster(
        ClusterName="bad-kafka-open", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={**nodes, "ConnectivityInfo": {"PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"}}},
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}},
        ClientAuthentication={"Unauthenticated": {"Enabled": True}})["ClusterArn"]
    plant("kafka", "kafka_cluster_in_transit_encryption", "bad-kafka-open", "plaintext clients allowed")
    plant("kafka", "kafka_cluster_not_public", "bad-kafka-open", "public brokers")
    plant("kafka", "kafka_cluster_no_unauthenticated_access", "bad-kafka-open", "unauthenticated clients allowed")
    ids["good-kafka-private"] = kafka.create_cluster(
        ClusterName="good-kafka-private", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={**nodes, "ConnectivityInfo": {"PublicAccess": {"Type": "DISABLED"}}},
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}},
                              "Unauthenticated": {"Enabled": False}})["ClusterArn"]
    good("kafka", "good-kafka-private")


def seed_emr(client, plant, good, ids, moto_endpoint: str) -> None:
    print("EMR (moto)")
    emr = client("emr")
    # EMR's instances live in moto's EC2, not LocalStack's: the subnets are made there.
    ec2 = client("ec2", endpoint_url=moto_endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.90.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.90.2.0/24")["Subnet"]["SubnetId"]
    # Block public access on, port 22 allowed (the region node is clean). It cannot be
    # planted off: moto 5.2.5 stores `BlockPublicSecurityGroupRules or True`.
    emr.put_block_public_access_configuration(BlockPublicAccessConfiguration={
        "BlockPublicSecurityGroupRules": True,
        "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 22, "MaxRange": 22}]})
    emr.create_security_configuration(Name="bad-emr-config-plain", SecurityConfiguration=json.dumps({
        "EncryptionConfiguration": {"EnableAtRestEncryption": False, "EnableInTransitEncryption": False}}))
    plant("elasticmapreduce", "emr_security_configuration_encryption_at_rest", "bad-emr-config-plain",
          "no at-rest encryption")
    plant("elasticmapreduce", "emr_security_configuration_encryption_in_transit", "bad-emr-config-plain",
          "no in-transit encryption")
    emr.create_security_configuration(Name="good-emr-config-encrypted", SecurityConfiguration=json.dumps({
        "EncryptionConfiguration": {
            "EnableAtRestEncryption": True, "EnableInTransitEncryption": True,
            "AtRestEncryptionConfiguration": {"S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}},
            "InTransitEncryptionConfiguration": {"TLSCertificateConfiguration": {
                "CertificateProviderType": "PEM", "S3Object": "s3://good-emr-certs/certs.zip"}}}}))
    good("elasticmapreduce", "good-emr-config-encrypted")

    def cluster(name: str, subnet: str, configuration: str, groups: list) -> str:
        instances = {"Ec2SubnetId": subnet, "KeepJobFlowAliveWhenNoSteps": True}
        if groups:
            instances["InstanceGroups"] = groups
        else:
            instances.update({"MasterInstanceType": "m5.xlarge", "InstanceCount": 1})
        return emr.run_job_flow(
            Name=name, ReleaseLabel="emr-7.1.0", ServiceRole="EMR_DefaultRole", JobFlowRole="EMR_EC2_DefaultRole",
            SecurityConfiguration=configuration, VisibleToAllUsers=True, Instances=instances)["JobFlowId"]

    # moto starts EC2 instances only for instance groups (not for the MasterInstanceType
    # form), in its default VPC, whose subnets map public IPs: the planted primary node
    # gets one. The clean cluster uses the short form, so moto gives it no instance.
    ids["bad-emr-cluster-public"] = cluster("bad-emr-cluster-public", public, "bad-emr-config-plain", [
        {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}])
    plant("elasticmapreduce", "emr_cluster_primary_no_public_ip", "bad-emr-cluster-public",
          "primary node has a public IP")
    ids["good-emr-cluster-private"] = cluster("good-emr-cluster-private", private, "good-emr-config-encrypted", [])
    good("elasticmapreduce", "good-emr-cluster-private")


def seed_appsync(client, plant, good, ids) -> None:
    print("AppSync (moto)")
    appsync = client("appsync")
    bad = appsync.create_graphql_api(name="bad-graphql-api-key", authenticationType="API_KEY")["graphqlApi"]
    ids["bad-graphql-api-key"] = bad["arn"]
    appsync.create_api_cache(apiId=bad["apiId"], ttl=300, apiCachingBehavior="FULL_REQUEST_CACHING",
                             type="SMALL", atRestEncryptionEnabled=False, transitEncryptionEnabled=False)
    plant("appsync", "appsync_api_no_api_key_auth", "bad-graphql-api-key", "API key authentication")
    plant("appsync", "appsync_api_field_level_logging", "bad-graphql-api-key", "no field-level logging")
    plant("appsync", "appsync_api_cache_encrypted_at_rest", "bad-graphql-api-key", "cache not encrypted at rest")
    plant("appsync", "appsync_api_cache_encrypted_in_transit", "bad-graphql-api-key",
          "cache not encrypted in transit")
    api = appsync.create_graphql_api(
        name="good-graphql-api-iam", authenticationType="AWS_IAM",
        logConfig={"fieldLogLevel": "ERROR",
                   "cloudWatchLogsRoleArn": "arn:aws:iam::000000000000:role/appsync-logs"})["graphqlApi"]
    ids["good-graphql-api-iam"] = api["arn"]
    appsync.create_api_cache(apiId=api["apiId"], ttl=300, apiCachingBehavior="FULL_REQUEST_CACHING",
                             type="SMALL", atRestEncryptionEnabled=True, transitEncryptionEnabled=True)
    good("appsync", "good-graphql-api-iam")


def seed_mq_transfer_firehose(client, plant, good, ids) -> None:
    print("Amazon MQ, Transfer Family, Data Firehose (moto)")
    # Athena: not seeded. This botocore sends Athena's newer protocol (POST /workgroups),
    # which moto 5.2.5 answers 404; the Rust SDK's calls are probed (expected.yaml gaps).

    mq = client("mq")

    def broker(name: str, upgrades: bool, audit: bool) -> str:
        return mq.create_broker(
            BrokerName=name, EngineType="ACTIVEMQ", EngineVersion="5.18", HostInstanceType="mq.t3.micro",
            DeploymentMode="SINGLE_INSTANCE", PubliclyAccessible=False, AutoMinorVersionUpgrade=upgrades,
            Logs={"Audit": audit, "General": audit},
            Users=[{"Username": "app", "Password": "not-a-real-secret-key"}])["BrokerArn"]

    ids["bad-mq-broker-stale"] = broker("bad-mq-broker-stale", False, False)
    plant("mq", "mq_broker_auto_minor_version_upgrade", "bad-mq-broker-stale", "automatic minor version upgrade off")
    plant("mq", "mq_broker_audit_logs", "bad-mq-broker-stale", "no audit logs")
    ids["good-mq-broker-logged"] = broker("good-mq-broker-logged", True, True)
    good("mq", "good-mq-broker-logged")

    # Transfer servers have generated ids only; the Name tag carries the seeded name.
    transfer = client("transfer")
    ids["bad-transfer-ftp"] = transfer.create_server(
        Protocols=["FTP"], EndpointType="VPC", IdentityProviderType="API_GATEWAY",
        Tags=[{"Key": "Name", "Value": "bad-transfer-ftp"}])["ServerId"]
    plant("transfer", "transfer_server_no_ftp", "bad-transfer-ftp", "plain FTP offered")
    ids["good-transfer-sftp"] = transfer.create_server(
        Protocols=["SFTP"], Tags=[{"Key": "Name", "Value": "good-transfer-sftp"}])["ServerId"]
    good("transfer", "good-transfer-sftp")

    firehose = client("firehose")
    destination = {"RoleARN": "arn:aws:iam::000000000000:role/firehose-delivery",
                   "BucketARN": "arn:aws:s3:::good-firehose-destination"}
    firehose.create_delivery_stream(DeliveryStreamName="bad-firehose-plain", DeliveryStreamType="DirectPut",
                                    ExtendedS3DestinationConfiguration=destination)
    plant("firehose", "firehose_delivery_stream_encrypted", "bad-firehose-plain", "not encrypted")
    firehose.create_delivery_stream(DeliveryStreamName="good-firehose-encrypted", DeliveryStreamType="DirectPut",
                                    ExtendedS3DestinationConfiguration=destination)
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName="good-firehose-encrypted",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    good("firehose", "good-firehose-encrypted")
