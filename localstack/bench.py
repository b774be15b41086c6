"""Benchmark of a live `vigil scan`, and of Prowler when asked, against LocalStack at growing scale.

For each scale factor (default 1, 2, 4) this starts the emulators with a fresh state
(start.sh), seeds an account of that size, runs the release `vigil scan` through the AWS
SDK against it and, with --with-prowler, Prowler against the same account right after
(both only read, so both see the same state). For each tool it prints the wall time, the
CPU time (user + system, from GNU time), the peak resident memory (GNU time) and the API
calls by service; then the ratios Prowler/Vigil, and how each figure grows against the
first scale. At scale 1 the account holds:

  1,000 IAM users, each with an inline policy and an attached managed policy (one in four
        with an access key), 20 customer managed policies;
    250 S3 buckets (half with a bucket policy, a third with versioning);
    500 security groups, each with two ingress rules;
    200 EC2 instances.

Both tools are limited to the same services (--services, Vigil's collector names; by
default the three the seed fills: iam, s3, ec2, which for Prowler are iam, s3, ec2 and
vpc, since Prowler keeps the VPC checks in a service of their own) and to the same
region (us-east-1, from state/env.sh).

API calls: Vigil logs what its SDK interceptor saw (`api calls`: operations, each page
one, and HTTP requests, retries included). Prowler's are counted the same way inside its
process: a sitecustomize.py that this script writes and puts on Prowler's PYTHONPATH
wraps botocore's Endpoint.make_request (once per operation or page) and Endpoint._send
(once per HTTP request), and writes the counts by endpoint prefix when Prowler exits.

Usage (after `bash localstack/install.sh` and `cargo build --release -p vigil`):

    localstack/.venv-moto/bin/python localstack/bench.py [--scales 1,2,4] [--vigil PATH]
        [--services iam,s3,ec2] [--with-prowler [--prowler PATH]]

`bash localstack/bench.sh` does both steps (and, with --with-prowler, installs Prowler
into localstack/.venv-prowler) and runs this. The emulators are stopped at the end.
Seeding uses a thread pool; its time is printed but is not part of the figures.
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
import tempfile
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


# Vigil's collector names (endpoint names) → Prowler's service names, where they differ.
# Vigil's ec2 collector reads VPCs, subnets, NACLs and flow logs too, which Prowler checks
# under `vpc`; Prowler's cloudwatch holds the log-group checks. Security Lake has no
# Prowler service.
PROWLER_SERVICES = {
    "ec2": ["ec2", "vpc"],
    "lambda": ["awslambda"],
    "events": ["eventbridge"],
    "states": ["stepfunctions"],
    "elasticmapreduce": ["emr"],
    "network-firewall": ["networkfirewall"],
    "ssm-incidents": ["ssmincidents"],
    "ssm-contacts": ["ssmincidents"],
    "logs": ["cloudwatch"],
    "securitylake": [],
}


def prowler_services(services: list[str]) -> list[str]:
    return list(dict.fromkeys(p for s in services for p in PROWLER_SERVICES.get(s, [s])))

# Loaded into Prowler's interpreter through PYTHONPATH (site imports sitecustomize after
# the venv's site-packages are on the path). Counts what botocore sends, the way Vigil's
# interceptor does: make_request runs once per operation (a page is one), _send once per
# HTTP request (retries included). Keyed by the endpoint prefix (iam, s3, ec2, sts, ...).
COUNTING_HOOK = '''
import atexit, collections, json, os, threading

_calls, _requests, _lock = collections.Counter(), collections.Counter(), threading.Lock()


def _install():
    from botocore import endpoint

    make_request, send = endpoint.Endpoint.make_request, endpoint.Endpoint._send

    def counted_make_request(self, operation_model, request_dict):
        with _lock:
            _calls[self._endpoint_prefix] += 1
        return make_request(self, operation_model, request_dict)

    def counted_send(self, request):
        with _lock:
            _requests[self._endpoint_prefix] += 1
        return send(self, request)

    endpoint.Endpoint.make_request, endpoint.Endpoint._send = counted_make_request, counted_send


def _write():
    path = os.path.join(os.environ["VIGIL_BENCH_CALLS_DIR"], "calls-%d.json" % os.getpid())
    with open(path, "w") as f:
        json.dump({"calls": _calls, "requests": _requests}, f)


if os.environ.get("VIGIL_BENCH_CALLS_DIR"):
    _install()
    atexit.register(_write)
'''


def service_key(name: str) -> str:
    """One spelling for both tools' service names (s3-control and s3control, IAM and iam)."""
    return name.lower().replace("-", "").replace(" ", "")


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Runs cmd under GNU time -v (its report to a file of its own, not mixed with the
    tool's stderr). Returns wall, user+system CPU, peak RSS, exit status, stdout, stderr."""
    with tempfile.NamedTemporaryFile(prefix="bench-time-", suffix=".txt", dir=STATE, delete=False) as f:
        time_file = f.name
    started = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", "-o", time_file, *cmd], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    wall = time.monotonic() - started
    with open(time_file) as f:
        report = f.read()
    os.unlink(time_file)

    def field(label: str) -> float:
        match = re.search(re.escape(label) + r": ([\d.]+)", report)
        if match is None:
            raise SystemExit(f"bench.py: no `{label}` in GNU time's report:\n{report}\n{proc.stderr[-2000:]}")
        return float(match.group(1))

    user, system = field("User time (seconds)"), field("System time (seconds)")
    return {"wall_s": wall, "cpu_s": user + system, "user_s": user, "sys_s": system,
            "peak_mib": field("Maximum resident set size (kbytes)") / 1024,
            "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def tail(text: str, lines: int = 30) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])


def scan_vigil(vigil: str, services: list[str]) -> dict:
    """Runs `vigil scan`; returns the measure() figures plus calls and requests by service."""
    out = os.path.join(STATE, "bench-findings.ndjson")
    run = measure([vigil, "-v", "--log-format", "json", "scan", "--quiet", "--services", ",".join(services),
                   "--format", "ndjson", "-o", out])
    if run["returncode"] not in (0, 1):
        return {**run, "failed": f"vigil scan exited {run['returncode']}"}
    calls: dict[str, int] = defaultdict(int)
    requests: dict[str, int] = defaultdict(int)
    collect_ms = resources = gaps = throttled = None
    for line in run["stderr"].splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        fields = event.get("fields", {})
        if fields.get("message") == "api calls":
            calls[service_key(fields["service"])] += int(fields["calls"])
            requests[service_key(fields["service"])] += int(fields["requests"])
        elif fields.get("message") == "collection finished":
            collect_ms, resources = fields["elapsed_ms"], fields["resources"]
            gaps, throttled = fields["gaps"], fields["throttled"]
    if collect_ms is None:
        return {**run, "failed": "no `collection finished` line in the scan's log"}
    with open(out) as f:
        results = sum(1 for line in f if line.strip())
    return {**run, "calls": dict(calls), "requests": dict(requests), "collect_s": collect_ms / 1000,
            "resources": resources, "gaps": gaps, "throttled": throttled, "results": results}


def scan_prowler(prowler: str, services: list[str]) -> dict:
    """Runs `prowler aws` on the same services and region, with the counting hook."""
    work = tempfile.mkdtemp(prefix="prowler-", dir=STATE)
    hook, calls_dir, out = (os.path.join(work, d) for d in ("hook", "calls", "out"))
    for d in (hook, calls_dir, out):
        os.makedirs(d)
    with open(os.path.join(hook, "sitecustomize.py"), "w") as f:
        f.write(COUNTING_HOOK)
    env = {**os.environ, "PYTHONPATH": hook, "VIGIL_BENCH_CALLS_DIR": calls_dir}
    names = prowler_services(services)
    run = measure([prowler, "aws", "--service", *names, "--region", os.environ["AWS_REGION"],
                   "--no-banner", "--no-color", "--ignore-exit-code-3", "--output-formats", "json-ocsf",
                   "--output-directory", out], env=env)
    if run["returncode"] != 0:
        return {**run, "failed": f"prowler exited {run['returncode']}"}
    calls: dict[str, int] = defaultdict(int)
    requests: dict[str, int] = defaultdict(int)
    for name in os.listdir(calls_dir):
        with open(os.path.join(calls_dir, name)) as f:
            counted = json.load(f)
        for service, n in counted["calls"].items():
            calls[service_key(service)] += n
        for service, n in counted["requests"].items():
            requests[service_key(service)] += n
    if not calls:
        return {**run, "failed": "the counting hook recorded no call (was sitecustomize.py loaded?)"}
    results = 0
    for name in os.listdir(out):
        if name.endswith(".ocsf.json"):
            with open(os.path.join(out, name)) as f:
                results += len(json.load(f))
    errors = sum(1 for line in run["stderr"].splitlines() if " ERROR" in line or line.startswith("ERROR"))
    return {**run, "calls": dict(calls), "requests": dict(requests), "results": results,
            "errors_logged": errors, "services": names}


def total(result: dict, key: str = "calls") -> int:
    return sum(result.get(key, {}).values())


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def print_scale(scale: int, vigil: dict, prowler: dict | None) -> None:
    """One table per scale: each tool's figures, then Prowler/Vigil."""
    print(f"\nscale {scale}x          wall s   CPU s  peak MiB  API calls  HTTP requests  findings")
    for name, r in (("vigil", vigil), ("prowler", prowler)):
        if r is None:
            continue
        if "failed" in r:
            print(f"  {name:<16} FAILED: {r['failed']}")
            continue
        print(f"  {name:<16}{r['wall_s']:>7.1f}  {r['cpu_s']:>6.1f}  {r['peak_mib']:>8.0f}  {total(r):>9}"
              f"  {total(r, 'requests'):>13}  {r['results']:>8}")
    if prowler is not None and "failed" not in prowler and "failed" not in vigil:
        print(f"  {'prowler/vigil':<16}{ratio(prowler['wall_s'], vigil['wall_s']):>7}"
              f"  {ratio(prowler['cpu_s'], vigil['cpu_s']):>6}  {ratio(prowler['peak_mib'], vigil['peak_mib']):>8}"
              f"  {ratio(total(prowler), total(vigil)):>9}"
              f"  {ratio(total(prowler, 'requests'), total(vigil, 'requests')):>13}")
    tools = [(n, r) for n, r in (("vigil", vigil), ("prowler", prowler)) if r is not None and "failed" not in r]
    services = sorted({s for _, r in tools for s in r["calls"]})
    print("  API calls by service: " + ", ".join(
        f"{s} " + "/".join(str(r["calls"].get(s, 0)) for _, r in tools) for s in services)
        + (" (vigil/prowler)" if len(tools) == 2 else f" ({tools[0][0]})" if tools else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--vigil", default=os.path.join(ROOT, "target/release/vigil"))
    parser.add_argument("--services", default="iam,s3,ec2",
                        help="Vigil collector names; Prowler gets the same (ec2 also as vpc)")
    parser.add_argument("--with-prowler", action="store_true",
                        help="also run Prowler on the same account at each scale")
    parser.add_argument("--prowler", default=os.path.join(HERE, ".venv-prowler/bin/prowler"))
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    services = args.services.split(",")
    for path, hint in ((args.vigil, "cargo build --release -p vigil"),
                       *([(args.prowler, "bash localstack/bench.sh --with-prowler")] if args.with_prowler else [])):
        if not os.access(path, os.X_OK):
            print(f"bench.py: {path} not found; run `{hint}` first", file=sys.stderr)
            return 2
    if args.with_prowler:
        version = subprocess.run([args.prowler, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"{version}; services {services} (Prowler: "
              f"{prowler_services(services)}), region us-east-1", flush=True)

    results = []
    failed = False
    try:
        for scale in scales:
            subprocess.run(["bash", os.path.join(HERE, "start.sh")], check=True, stdout=subprocess.DEVNULL)
            load_env()
            started = time.monotonic()
            counts = seed(scale)
            seeded = time.monotonic() - started
            print(f"\nscale {scale}x: seeded {counts} in {seeded:.0f} s", flush=True)
            vigil = scan_vigil(args.vigil, services)
            if "failed" in vigil:
                failed = True
                print(f"  vigil FAILED ({vigil['failed']}); last lines of its stderr:\n{tail(vigil['stderr'])}",
                      flush=True)
            else:
                print(f"  vigil scan: {vigil['wall_s']:.1f} s wall ({vigil['collect_s']:.1f} s collecting), "
                      f"{vigil['cpu_s']:.1f} s CPU, {vigil['resources']} resources, {total(vigil)} API calls, "
                      f"peak {vigil['peak_mib']:.0f} MiB, {vigil['gaps']} gaps, {vigil['throttled']} throttled",
                      flush=True)
            prowler = None
            if args.with_prowler:
                prowler = scan_prowler(args.prowler, services)
                if "failed" in prowler:
                    failed = True
                    print(f"  prowler FAILED ({prowler['failed']}); last lines of its stderr:\n"
                          f"{tail(prowler['stderr'])}\n  stdout:\n{tail(prowler['stdout'], 10)}", flush=True)
                else:
                    print(f"  prowler: {prowler['wall_s']:.1f} s wall, {prowler['cpu_s']:.1f} s CPU, "
                          f"{total(prowler)} API calls, peak {prowler['peak_mib']:.0f} MiB, "
                          f"{prowler['results']} findings (OCSF, PASS and FAIL), "
                          f"{prowler['errors_logged']} ERROR lines logged",
                          flush=True)
            print_scale(scale, vigil, prowler)
            results.append({"scale": scale, "vigil": vigil, "prowler": prowler})
    finally:
        subprocess.run(["bash", os.path.join(HERE, "stop.sh")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    for name in ("vigil", "prowler"):
        runs = [(r["scale"], r[name]) for r in results if r[name] is not None and "failed" not in r[name]]
        if not runs:
            continue
        base = runs[0][1]
        print(f"\n{name}: growth against {runs[0][0]}x")
        print("scale  wall s  (x)     CPU s  (x)     peak MiB  API calls  (x)")
        for scale, r in runs:
            print(f"{scale:>4}x  {r['wall_s']:>6.1f}  ({r['wall_s'] / base['wall_s']:.2f})"
                  f"  {r['cpu_s']:>6.1f}  ({r['cpu_s'] / base['cpu_s']:.2f})  {r['peak_mib']:>8.0f}"
                  f"  {total(r):>9}  ({total(r) / total(base):.2f})")
        services_seen = sorted({s for _, r in runs for s in r["calls"]})
        print(f"{name}: API calls by service")
        print(f"{'service':<18}" + "".join(f"{str(scale) + 'x':>9}" for scale, _ in runs))
        for service in services_seen:
            print(f"{service:<18}" + "".join(f"{r['calls'].get(service, 0):>9}" for _, r in runs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
