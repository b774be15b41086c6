#!/usr/bin/env python3
"""Checks that the Kubernetes manifests under deploy/kubernetes hold together.

No cluster is at hand offline: kubectl needs an API server even for a client-side dry
run, and kubeconform's schemas are a download. So the checks that matter are made on
the parsed documents (PyYAML):
  * every document parses and has apiVersion, kind, metadata.name; Deployment and
    StatefulSet selectors match their pod labels; an Indexed Job has completions;
  * every pod runs as non-root, every container with a read-only root filesystem, no
    privilege escalation, memory request and limit; a daemon container has its
    readiness probe on /readyz and liveness probe on /healthz;
  * every ServiceAccount, ConfigMap, Secret and secret key a pod refers to exists;
  * the fleet's daemon configuration passes `vigil config validate` with the
    environment its pod gets from the Secret (pass the binary with --vigil, default
    target/debug/vigil; the check fails if it is missing rather than skip);
  * the indexed Job's script, run with sh for every index against a stand-in `vigil`,
    gives each of 500 accounts to exactly one shard, and fails a shard whose scan fails.
Run from the repository root:  python3 tests/deploy/check_manifests.py
"""
import argparse
import collections
import glob
import os
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)
    return cond


def pod_spec(doc):
    kind = doc.get("kind")
    if kind in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def manifests():
    files = {}
    for path in sorted(glob.glob("deploy/kubernetes/**/*.yaml", recursive=True)):
        with open(path) as f:
            files[path] = [d for d in yaml.safe_load_all(f) if d is not None]
    return files


def structure(files):
    kinds = set()
    accounts = {d["metadata"]["name"] for docs in files.values() for d in docs
                if d.get("kind") == "ServiceAccount"}
    for path, docs in files.items():
        check(docs, f"{path}: no document")
        maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d.get("kind") == "ConfigMap"}
        secrets = {d["metadata"]["name"]: d.get("stringData", {}) for d in docs if d.get("kind") == "Secret"}
        for doc in docs:
            what = f"{path}: {doc.get('kind')} {doc.get('metadata', {}).get('name')}"
            for field in ("apiVersion", "kind"):
                check(doc.get(field), f"{what}: no {field}")
            check(doc.get("metadata", {}).get("name"), f"{what}: no metadata.name")
            kinds.add(doc.get("kind"))
            if doc.get("kind") in ("Deployment", "StatefulSet"):
                labels = doc["spec"]["template"]["metadata"]["labels"]
                for k, v in doc["spec"]["selector"]["matchLabels"].items():
                    check(labels.get(k) == v, f"{what}: selector {k} not on the pods")
            if doc.get("kind") == "Job" and doc["spec"].get("completionMode") == "Indexed":
                check(isinstance(doc["spec"].get("completions"), int), f"{what}: no completions")
            pod = pod_spec(doc)
            if pod is None:
                continue
            check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{what}: not runAsNonRoot")
            if "serviceAccountName" in pod:
                check(pod["serviceAccountName"] in accounts, f"{what}: no ServiceAccount {pod['serviceAccountName']}")
            for v in pod.get("volumes", []):
                if "configMap" in v:
                    check(v["configMap"]["name"] in maps or v["configMap"].get("optional") is True,
                          f"{what}: no ConfigMap {v['configMap']['name']}")
                if "secret" in v:
                    check(v["secret"]["secretName"] in secrets, f"{what}: no Secret {v['secret']['secretName']}")
            check(pod.get("containers"), f"{what}: no container")
            for c in pod.get("containers", []):
                sc = c.get("securityContext", {})
                check(c.get("name") and c.get("image"), f"{what}: container without name or image")
                check(sc.get("readOnlyRootFilesystem") is True, f"{what}: root filesystem writable")
                check(sc.get("allowPrivilegeEscalation") is False, f"{what}: privilege escalation allowed")
                res = c.get("resources", {})
                check(res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory"),
                      f"{what}: no memory request and limit")
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        check(ref["key"] in secrets.get(ref["name"], {}),
                              f"{what}: no key {ref['key']} in Secret {ref['name']}")
                if (c.get("args") or [None])[0] == "daemon":
                    check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{what}: readiness not /readyz")
                    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{what}: liveness not /healthz")
    for kind in ("Deployment", "StatefulSet", "Job", "CronJob", "ConfigMap", "Secret", "Service", "ServiceAccount"):
        check(kind in kinds, f"no {kind} among the manifests")


def fleet_config_validates(files, vigil):
    if not check(os.access(vigil, os.X_OK), f"{vigil}: no vigil binary to validate the configuration with"):
        return
    docs = files["deploy/kubernetes/fleet/vigil-fleet.yaml"]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    secrets = {d["metadata"]["name"]: d["stringData"] for d in docs if d["kind"] == "Secret"}
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    pod = deployment["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = {}
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        env[e["name"]] = secrets[ref["name"]][ref["key"]] if ref else e["value"]
    config_path = c["args"][c["args"].index("--config") + 1]
    mount = next(m for m in c["volumeMounts"] if m["mountPath"] == config_path)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    toml = maps[volume["configMap"]["name"]][mount["subPath"]]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vigil.toml")
        with open(path, "w") as f:
            f.write(toml)
        r = subprocess.run([vigil, "config", "validate", "--config", path], env=env,
                           capture_output=True, text=True)
        check(r.returncode == 0, f"vigil config validate refused the fleet's configuration:\n{r.stdout}{r.stderr}")
        # Without the Secret's store URL it must be refused: the check can fail.
        env.pop("VIGIL_STORE_URL")
        r = subprocess.run([vigil, "config", "validate", "--config", path], env=env,
                           capture_output=True, text=True)
        check(r.returncode != 0 and "VIGIL_STORE_URL" in r.stdout + r.stderr,
              "the configuration validated without VIGIL_STORE_URL")


def shards_partition(files):
    docs = files["deploy/kubernetes/fleet/scan-indexed-job.yaml"]
    job = next(d for d in docs if d["kind"] == "Job")
    completions = job["spec"]["completions"]
    c = job["spec"]["template"]["spec"]["containers"][0]
    script = c["args"][0]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    check(env["SHARDS"] == str(completions), "SHARDS must equal completions")
    accounts = ["%012d" % (100000000000 + i * 7919) for i in range(500)]
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "bin"))
        log = os.path.join(d, "scans.log")
        fake = os.path.join(d, "bin", "vigil")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --role-arn ] && echo "$2 $JOB_COMPLETION_INDEX" >> %s; shift; done\n'
                    '[ "$JOB_COMPLETION_INDEX" != 3 ] || exit 7\n' % log)
        os.chmod(fake, 0o755)
        # A comment, a blank line, and a last line without its newline.
        with open(os.path.join(d, "accounts.txt"), "w") as f:
            f.write("# the organisation\n\n" + "\n".join(accounts))
        env.update(ACCOUNTS_FILE=os.path.join(d, "accounts.txt"), PATH=os.path.join(d, "bin") + ":/usr/bin:/bin")
        sizes = []
        for index in range(completions):
            before = open(log).read().count("\n") if os.path.exists(log) else 0
            r = subprocess.run(["/bin/sh", "-c", script], env=dict(env, JOB_COMPLETION_INDEX=str(index)),
                               capture_output=True, text=True)
            check((r.returncode == 0) == (index != 3), f"shard {index}: exit {r.returncode} {r.stderr}")
            sizes.append(open(log).read().count("\n") - before)
        seen = collections.Counter()
        for line in open(log).read().splitlines():
            arn, _ = line.split(" ")
            check(arn.startswith("arn:aws:iam::") and arn.endswith(":role/VigilScanner"), f"role ARN {arn}")
            seen[arn[len("arn:aws:iam::"):].split(":")[0]] += 1
        check(set(seen) == set(accounts), "some account in no shard")
        check(set(seen.values()) == {1}, "some account in two shards")
        share = len(accounts) // completions
        check(all(0 < n < 2 * share for n in sizes), f"uneven shards {sizes}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigil", default="target/debug/vigil")
    args = parser.parse_args()
    files = manifests()
    check(len(files) >= 5, f"manifests found: {list(files)}")
    structure(files)
    fleet_config_validates(files, args.vigil)
    shards_partition(files)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print(f"{len(files)} manifest files, {sum(len(d) for d in files.values())} documents: "
          + ("ok" if not failures else f"{len(failures)} problem(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
