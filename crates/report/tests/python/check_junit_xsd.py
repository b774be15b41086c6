#!/usr/bin/env python3
"""Validates JUnit XML files against an XSD (the Jenkins xunit-plugin junit-10.xsd in
../data/junit/) with the `xmlschema` package, and fails on the first invalid file.

Usage: check_junit_xsd.py XSD FILE [FILE...]
Prints `junit-xsd: N of M files valid`; exits 1 when one is invalid, 2 on bad input.
"""

import sys

import xmlschema


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = xmlschema.XMLSchema10(argv[1])
    files = argv[2:]
    valid = 0
    for path in files:
        errors = list(schema.iter_errors(path))
        if errors:
            print(f"--- {path}: {len(errors)} errors", file=sys.stderr)
            for error in errors[:5]:
                print(f"{error.path}: {error.reason}", file=sys.stderr)
        else:
            valid += 1
    print(f"junit-xsd: {valid} of {len(files)} files valid")
    return 0 if valid == len(files) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
