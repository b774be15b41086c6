"""Benchmark of a live `vigil scan` against LocalStack at growing scale.

For each scale factor (default 1, 2, 4) this starts the emulators with a fresh state
(start.sh), seeds an account of that size, runs the release `vigil scan` through the AWS
SDK against it, and prints the wall time, the API calls the SDK sent by service (from the
scan's own JSON log lines), the peak resident memory (GNU time), and how each figure grows
against scale 1. At scale 1 the account holds:

  1,000 IAM users, each with an inline policy and an attached managed policy (one in four
        with an access key), 20 customer managed policies;
    250 S3 buckets (half with a bucket policy, a third with versioning);
    500 security groups, each with two ingress rules;
    200 EC2 instances.

Usage (after `bash localstack/install.sh` and `cargo build --release -p vigil`):

    localstack/.venv-moto/bin/python localstack/bench.py [--scales 1,2,4] [--vigil PATH]

`bash localstack/bench.sh` does both steps and runs this. The emulators are stopped at
the end. Seeding uses a thread pool; its time is printed but is not part of the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STATE = os.path.join(HERE, "state")

BASE = {"users": 1000, "buckets": 250, "security_groups": 500, "instances": 200}
MANAGED_POLICIES = 20
WORKERS = 16


def load_env() -> None:
    """Applies localstack/state/env.sh (export/unset lines) to this process."""
    with open(os.path.join(STATE, "env.sh")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("unset "):
                for name in line.split()[1:]:
                    os.environ.pop(name, None)
            elif line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                os.environ[name] = shlex.split(value)[0] if value else ""


def client(service: str):
    import boto3  # from the moto venv, which install.sh creates

    return boto3.client(service, region_name=os.environ["AWS_REGION"])


def run_all(fn, items) -> None:
    """Runs fn over items on a thread pool; the first failure stops the benchmark."""
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        for _ in pool.map(fn, items):
            pass


def seed(scale: int) -> dict[str, int]:
    counts = {k: v * scale for k, v in BASE.items()}
    iam, s3, ec2 = client("iam"), client("s3"), client("ec2")

    policy_doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]})
    policies = [iam.create_policy(PolicyName=f"bench-policy-{i}", PolicyDocument=policy_doc)["Policy"]["Arn"]
                for i in range(MANAGED_POLICIES)]

    def user(i: int) -> None:
        name = f"bench-user-{i:05d}"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy_doc)
        iam.attach_user_policy(UserName=name, PolicyArn=policies[i % MANAGED_POLICIES])
        if i % 4 == 0:
            iam.create_access_key(UserName=name)

    run_all(user, range(counts["users"]))

    def bucket(i: int) -> None:
        name = f"bench-bucket-{i:05d}"
        s3.create_bucket(Bucket=name)
        if i % 2 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        if i % 3 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    run_all(bucket, range(counts["buckets"]))

    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.0.0/20")["Subnet"]["SubnetId"]

    def security_group(i: int) -> None:
        group = ec2.create_security_group(GroupName=f"bench-sg-{i:05d}", Description="bench", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": f"10.{i % 250}.0.0/16"}]},
        ])

    run_all(security_group, range(counts["security_groups"]))

    image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
    remaining = counts["instances"]
    while remaining > 0:
        batch = min(50, remaining)
        ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=batch, MaxCount=batch, SubnetId=subnet)
        remaining -= batch
    return counts


def scan(vigil: str) -> dict:
    """Runs `vigil scan` under GNU time; returns wall seconds, peak RSS and calls."""
    cmd = ["/usr/bin/time", "-v", vigil, "-v", "--log-format", "json", "scan", "--quiet",
           "--format", "ndjson", "-o", os.path.join(STATE, "bench-findings.ndjson")]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench.py: vigil scan failed with exit {proc.returncode}")
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    calls: dict[str, int] = defaultdict(int)
    collect_ms = resources = gaps = throttled = None
    for line in proc.stderr.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        fields = event.get("fields", {})
        if fields.get("message") == "api calls":
            calls[fields["service"]] += int(fields["calls"])
        elif fields.get("message") == "collection finished":
            collect_ms, resources = fields["elapsed_ms"], fields["resources"]
            gaps, throttled = fields["gaps"], fields["throttled"]
    if collect_ms is None:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit("bench.py: no `collection finished` line in the scan's log")
    return {"wall_s": wall, "peak_mib": peak_kib / 1024, "calls": dict(calls), "collect_s": collect_ms / 1000,
            "resources": resources, "gaps": gaps, "throttled": throttled}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--vigil", default=os.path.join(ROOT, "target/release/vigil"))
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    if not os.access(args.vigil, os.X_OK):
        print(f"bench.py: {args.vigil} not found; run `cargo build --release -p vigil` first", file=sys.stderr)
        return 2

    results = []
    try:
        for scale in scales:
            subprocess.run(["bash", os.path.join(HERE, "start.sh")], check=True, stdout=subprocess.DEVNULL)
            load_env()
            started = time.monotonic()
            counts = seed(scale)
            seeded = time.monotonic() - started
            print(f"scale {scale}x: seeded {counts} in {seeded:.0f} s", flush=True)
            result = scan(args.vigil)
            result["scale"] = scale
            results.append(result)
            print(f"  vigil scan: {result['wall_s']:.1f} s wall ({result['collect_s']:.1f} s collecting), "
                  f"{result['resources']} resources, {sum(result['calls'].values())} API calls, "
                  f"peak {result['peak_mib']:.0f} MiB, {result['gaps']} gaps, {result['throttled']} throttled",
                  flush=True)
    finally:
        subprocess.run(["bash", os.path.join(HERE, "stop.sh")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    base = results[0]
    print("\nscale  resources  wall s  (x)    collect s  API calls  (x)    peak MiB")
    for r in results:
        total = sum(r["calls"].values())
        print(f"{r['scale']:>4}x  {r['resources']:>9}  {r['wall_s']:>6.1f}  ({r['wall_s'] / base['wall_s']:.2f})"
              f"  {r['collect_s']:>9.1f}  {total:>9}  ({total / sum(base['calls'].values()):.2f})"
              f"  {r['peak_mib']:>8.0f}")
    services = sorted({s for r in results for s in r["calls"]})
    print("\nAPI calls by service")
    print(f"{'service':<18}" + "".join(f"{str(r['scale']) + 'x':>9}" for r in results))
    for service in services:
        print(f"{service:<18}" + "".join(f"{r['calls'].get(service, 0):>9}" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
