"""Changes the seeded account between two daemon scans (used by the daemon's
end-to-end test): `make-public BUCKET` creates the bucket if needed and gives it a
policy that grants s3:GetObject to everyone; `make-private BUCKET` removes that policy.
Run with the moto venv's Python after sourcing localstack/state/env.sh."""

import json
import os
import sys

import boto3


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("make-public", "make-private"):
        print("usage: mutate.py make-public|make-private BUCKET", file=sys.stderr)
        return 2
    action, bucket = sys.argv[1], sys.argv[2]
    s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    if action == "make-public":
        existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        try:
            s3.delete_public_access_block(Bucket=bucket)
        except s3.exceptions.ClientError:
            pass
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    else:
        s3.delete_bucket_policy(Bucket=bucket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
