#!/usr/bin/env python3
"""Loads every OCSF finding event of a Vigil output with py-ocsf-models, the model
library Prowler uses, and fails on any validation error.

Usage: check_py_ocsf_models.py FILE [FILE...]
FILE is a JSON array (`vigil scan --format ocsf`) or NDJSON (`--format ndjson`).

Prints one summary line, `py-ocsf-models: VALID of TOTAL events valid`, then, for the
first few invalid events, the finding uid and pydantic's error list. Exits 1 when any
event is invalid or a class has no model, 2 on unreadable input.
"""

import json
import sys

import pydantic
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

# The finding classes Vigil may emit, by class_uid. py-ocsf-models has no model for
# other classes (Scan Activity), so those are checked by the JSON Schema test only.
MODELS = {2003: ComplianceFinding, 2004: DetectionFinding}
SHOWN = 5


def events(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main(paths):
    total = valid = 0
    shown = 0
    for path in paths:
        try:
            loaded = events(path)
        except (OSError, ValueError) as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            return 2
        for event in loaded:
            total += 1
            model = MODELS.get(event.get("class_uid"))
            uid = (event.get("finding_info") or {}).get("uid", "?")
            if model is None:
                problem = f"no py-ocsf-models class for class_uid {event.get('class_uid')}"
            else:
                try:
                    model.model_validate(event)
                    valid += 1
                    continue
                except pydantic.ValidationError as e:
                    problem = str(e)
            if shown < SHOWN:
                shown += 1
                print(f"--- {path}: {uid}\n{problem}", file=sys.stderr)
    print(f"py-ocsf-models: {valid} of {total} events valid")
    return 0 if total and valid == total else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
