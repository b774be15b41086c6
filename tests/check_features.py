"""Checks that `cargo build -p vigil` (the README's first command, localstack/demo.sh)
and `cargo test --workspace` (tests/run) resolve every shared crate with the same
features. When they differ, a crate low in the AWS SDK's graph (hashbrown, say) is
compiled twice, and so is every SDK crate above it: about 25 CPU-minutes more for a
newcomer who runs the demo and then the tests. The fix is a line in the feature
unification block of crates/vigil/Cargo.toml. Needs only `cargo tree` (no build)."""

import subprocess
import sys


def features(*args: str) -> dict[str, set[str]]:
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--prefix", "none", "-f", "{p}|{f}", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        if "|" not in line:
            continue
        package, _, feats = line.partition("|")
        key = " ".join(package.split()[:2])
        feats = feats.removesuffix(" (*)")
        found.setdefault(key, set()).update(f for f in feats.split(",") if f)
    return found


def main() -> int:
    binary = features("-p", "vigil", "-e", "normal,build")
    tests = features("--workspace", "-e", "normal,build,dev")
    differ = [
        f"  {name}: only the tests turn on {sorted(tests[name] - feats)}, only the binary {sorted(feats - tests[name])}"
        for name, feats in sorted(binary.items())
        if name in tests and tests[name] != feats
    ]
    if differ:
        print("check_features: the binary and the tests resolve shared crates differently;", file=sys.stderr)
        print("add the features to the unification block of crates/vigil/Cargo.toml:", file=sys.stderr)
        print("\n".join(differ), file=sys.stderr)
        return 1
    print(f"check_features: {len(binary)} crates of the binary resolve as in the tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
