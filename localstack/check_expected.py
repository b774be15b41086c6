#!/usr/bin/env python3
"""Checks expected.yaml for consistency, without a scanner:

  - every rule id exists under rules/aws/, and account/region node entries are used only
    with rules over aws.account / aws.region;
  - no (rule, resource) pair is listed twice, or in two sections;
  - at least 30 FAIL entries;
  and, when localstack/state/seeded.json exists (after seed.py):
  - every planted problem (seed.py's plant(): rule + resource) is a FAIL entry;
  - every named resource in expected.yaml is a name seed.py created;
  - no seeded name is a substring of another (so substring matching is unambiguous);
  and with --probe (emulators started and seeded, env.sh sourced):
  - every `gaps` entry is unserved (unless marked `boto3_answers`: boto3 parses what the
    Rust SDK cannot), every `unserved_not_called` entry is unserved, and every other
    collector call answers (probe.py).

    localstack/.venv-moto/bin/python localstack/check_expected.py [--probe]
"""

from __future__ import annotations

import glob
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ACCOUNT_NODE = "arn:aws::000000000000:account"
REGION_NODE = "arn:aws::000000000000:account/us-east-1"

errors: list[str] = []


def err(msg: str) -> None:
    errors.append(msg)


def main() -> int:
    rules = {}
    for path in glob.glob(os.path.join(ROOT, "rules", "aws", "*", "*.yaml")):
        if path.endswith(".test.yaml"):
            continue
        with open(path) as f:
            doc = yaml.safe_load(f)
        rules[doc["id"]] = doc["resource"]

    with open(os.path.join(HERE, "expected.yaml")) as f:
        exp = yaml.safe_load(f)

    seen: dict[tuple[str, str], str] = {}
    for section in ("fail", "clean", "error"):
        for e in exp.get(section) or []:
            rule, res = e.get("rule"), e.get("resource")
            if rule not in rules:
                err(f"{section}: unknown rule id {rule!r}")
                continue
            rtype = rules[rule]
            if res == ACCOUNT_NODE and rtype != "aws.account":
                err(f"{section}: {rule} is over {rtype}, not the account node")
            if res == REGION_NODE and rtype != "aws.region":
                err(f"{section}: {rule} is over {rtype}, not the region node")
            if rtype in ("aws.account", "aws.region") and res not in (ACCOUNT_NODE, REGION_NODE):
                err(f"{section}: {rule} is over {rtype}; resource must be the node id, not {res!r}")
            key = (rule, res)
            if key in seen:
                err(f"{section}: {rule} / {res} already listed under {seen[key]}")
            seen[key] = section
            if section == "clean" and "allow_error" in e and not e["allow_error"]:
                err(f"clean: {rule} / {res}: empty allow_error")
    n_fail = len(exp.get("fail") or [])
    if n_fail < 30:
        err(f"only {n_fail} FAIL entries (at least 30 wanted)")
    for section in ("gaps", "unserved_not_called"):
        for g in exp.get(section) or []:
            if not g.get("service") or not g.get("operation"):
                err(f"{section}: entry without service/operation: {g}")
    listed = [(g.get("service"), g.get("operation"))
              for section in ("gaps", "unserved_not_called") for g in exp.get(section) or []]
    for g in {g for g in listed if listed.count(g) > 1}:
        err(f"gaps: {g[0]}:{g[1]} listed twice")

    seeded_path = os.path.join(HERE, "state", "seeded.json")
    if os.path.exists(seeded_path):
        with open(seeded_path) as f:
            seeded = json.load(f)
        fails = {(e["rule"], e["resource"]) for e in exp["fail"]}
        for p in seeded["planted"]:
            res = {"account": ACCOUNT_NODE, "region": REGION_NODE}.get(p["resource"], p["resource"])
            if (p["rule"], res) not in fails:
                err(f"planted but not in fail: {p['rule']} / {res} ({p['problem']})")
        names = set(seeded["names"])
        for (rule, res), section in seen.items():
            if res in (ACCOUNT_NODE, REGION_NODE) or res == "AWSCloudShellFullAccess":
                continue
            if res not in names:
                err(f"{section}: {rule} / {res}: no resource of that name was seeded")
        for a in names:
            for b in names:
                if a != b and a in b:
                    err(f"seeded name {a!r} is a substring of {b!r}")
        print(f"seeded.json: {len(seeded['planted'])} planted problems, {len(names)} names")
    else:
        print("(no state/seeded.json: run seed.py to check against the seeded account too)")

    if "--probe" in sys.argv:
        sys.dont_write_bytecode = True  # no __pycache__ in the work tree
        sys.path.insert(0, HERE)
        import probe  # noqa: E402

        want = {(g["service"], g["operation"]) for g in exp.get("gaps") or [] if not g.get("boto3_answers")}
        want |= {(g["service"], g["operation"]) for g in exp.get("unserved_not_called") or []}
        got = set()
        for prefix, op, svc, method, kwargs, absent in probe.CALLS:
            try:
                getattr(probe.c(svc), method)(**probe.fill(kwargs))
            except Exception as e:  # noqa: BLE001
                code = getattr(e, "response", {}).get("Error", {}).get("Code")
                if code not in absent:
                    got.add((prefix, op))
        for g in sorted(want - got):
            err(f"gaps: {g[0]}:{g[1]} answered (not a gap any more?)")
        for g in sorted(got - want):
            err(f"probe: {g[0]}:{g[1]} is unserved but not listed under gaps or unserved_not_called")
        print(f"probe: {len(probe.CALLS)} calls, unserved: {', '.join(f'{s}:{o}' for s, o in sorted(got))}")

    print(f"expected.yaml: {n_fail} fail, {len(exp.get('clean') or [])} clean, "
          f"{len(exp.get('error') or [])} error, {len(exp.get('gaps') or [])} gaps; {len(rules)} rules known")
    if errors:
        print(f"{len(errors)} problem(s):", *errors, sep="\n  ", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
