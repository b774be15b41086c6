"""Puts resources into the dashboard test's own moto server, and changes them between the
daemon's two scans, so that the dashboard has findings in several lifecycle states and
drift to show. `seed` before the first scan, `mutate` before the second. Run with
localstack/.venv-moto/bin/python, AWS_ENDPOINT_URL pointing at that moto server.

After `mutate`:
- vigil-dash-open gets versioning and a public access block: its FAILs are RESOLVED,
  and drift shows the changed properties.
- vigil-dash-closed loses its public access block: a FAIL that is NEW.
- vigil-dash-gone is deleted: drift shows it removed, its FAILs are RESOLVED.
- vigil-dash-new appears: drift shows it added, with NEW findings.
- every other FAIL stays OPEN; mutelist.yaml mutes one rule (MUTED).
- the security group vigil-dash-sg stops admitting SSH from anywhere and admits HTTPS
  from 10.0.0.0/8: drift shows the changed ingress rules (S3 buckets cannot show a
  modification against moto: its GetBucketVersioning fails, and a resource with a
  failed detail call keeps its stored state rather than drift on missing data).
vigil-dash-closed carries a tag value with markup, which the pages must show as text."""

import os
import sys

import boto3

REGION = os.environ.get("AWS_REGION", "us-east-1")
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


SSH_ANYWHERE = {
    "IpProtocol": "tcp",
    "FromPort": 22,
    "ToPort": 22,
    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
}
HTTPS_INTERNAL = {
    "IpProtocol": "tcp",
    "FromPort": 443,
    "ToPort": 443,
    "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
}


def group_id(ec2) -> str:
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["vigil-dash-sg"]}]
    )["SecurityGroups"]
    return groups[0]["GroupId"]


def seed(s3, ec2) -> None:
    group = ec2.create_security_group(
        GroupName="vigil-dash-sg", Description="the dashboard test's group"
    )["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[SSH_ANYWHERE])
    for name in ("vigil-dash-open", "vigil-dash-closed", "vigil-dash-gone"):
        s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket="vigil-dash-closed", PublicAccessBlockConfiguration=BLOCK_ALL
    )
    s3.put_bucket_versioning(
        Bucket="vigil-dash-closed", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_tagging(
        Bucket="vigil-dash-closed",
        Tagging={
            "TagSet": [
                {"Key": "owner", "Value": "platform"},
                {"Key": "note", "Value": "<img src=x onerror=alert(1)>"},
            ]
        },
    )


def mutate(s3, ec2) -> None:
    group = group_id(ec2)
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[SSH_ANYWHERE])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[HTTPS_INTERNAL])
    s3.put_bucket_versioning(
        Bucket="vigil-dash-open", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_public_access_block(
        Bucket="vigil-dash-open", PublicAccessBlockConfiguration=BLOCK_ALL
    )
    s3.delete_public_access_block(Bucket="vigil-dash-closed")
    s3.delete_bucket(Bucket="vigil-dash-gone")
    s3.create_bucket(Bucket="vigil-dash-new")


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("seed", "mutate"):
        print("usage: dashboard_seed.py seed|mutate", file=sys.stderr)
        return 2
    s3 = boto3.client("s3", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    (seed if sys.argv[1] == "seed" else mutate)(s3, ec2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
