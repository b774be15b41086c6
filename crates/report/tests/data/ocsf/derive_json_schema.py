#!/usr/bin/env python3
"""Derives a JSON Schema (draft 2020-12) for one OCSF 1.6.0 event class from the
official schema sources, the way the OCSF server's JSON Schema export does: the class's
`extends` chain merged, the attributes of the applied profiles added, each attribute
typed from the dictionary, `requirement: required` as JSON Schema `required`, enums as
`enum`, object constraints (`at_least_one`, `just_one`) as `anyOf` / `oneOf`, and no
attribute outside the schema (`additionalProperties: false`), so a misspelt or
misplaced attribute fails too.

Source: the ocsf/ocsf-schema repository at v1.6.0 (events/, objects/, dictionary.json,
categories.json), as merged into one file by pydantic-ocsf 3.0.0
(`ocsf/schemas/v1_6_0.json` in its wheel; the same file as
`.schema_cache/ocsf-schema-1.6.0.json` in github.com/mcm/pydantic-ocsf). That file
leaves the profiles out, so the one profile Vigil applies, `cloud`, is copied below from
ocsf/ocsf-schema `profiles/cloud.json`.

Usage:
    pip install pydantic-ocsf==3.0.0   # only for the source file
    python3 derive_json_schema.py compliance_finding > ocsf-1.6.0-compliance_finding.schema.json
    python3 derive_json_schema.py scan_activity > ocsf-1.6.0-scan_activity.schema.json
An explicit source path may follow the class name.
"""

import json
import sys

# ocsf/ocsf-schema profiles/cloud.json (unchanged from 1.0 to 1.6).
PROFILES = {
    "cloud": {
        "cloud": {"requirement": "required", "group": "primary"},
        "api": {"requirement": "optional", "group": "context"},
    },
}
# The profiles Vigil declares in metadata.profiles; attributes of other profiles are
# not part of the derived schema.
APPLIED = ["cloud"]

SCALARS = {
    "string_t": {"type": "string"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "boolean_t": {"type": "boolean"},
    "json_t": {},
    "object": {"type": "object"},
}


def load_source(path):
    if path is None:
        from importlib import resources

        path = resources.files("ocsf").joinpath("schemas/v1_6_0.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Deriver:
    def __init__(self, source):
        self.events = source["events"]
        self.objects = source["objects"]
        self.dictionary = source["dictionary"]["attributes"]
        self.types = source["dictionary"]["types"]["attributes"]
        self.categories = source["categories_meta"]["attributes"]
        self.defs = {}

    def chain(self, table, name):
        """The record and its ancestors, base first."""
        out = []
        while name and name in table:
            out.insert(0, table[name])
            name = table[name].get("extends")
        return out

    def merged_attributes(self, records):
        attrs = {}
        for record in records:
            for key, spec in record.get("attributes", {}).items():
                if key == "$include":
                    for include in spec if isinstance(spec, list) else [spec]:
                        profile = include.removeprefix("profiles/").removesuffix(".json")
                        if profile in APPLIED:
                            for name, pspec in PROFILES[profile].items():
                                attrs[name] = {**attrs.get(name, {}), **pspec}
                    continue
                profile = spec.get("profile")
                if profile is not None and profile not in APPLIED:
                    continue
                merged = {**attrs.get(key, {}), **spec}
                if "enum" in attrs.get(key, {}) and "enum" in spec:
                    merged["enum"] = {**attrs[key]["enum"], **spec["enum"]}
                attrs[key] = merged
        return attrs

    def attribute(self, name, spec):
        """The JSON Schema of one attribute: dictionary entry, then the override."""
        entry = dict(self.dictionary.get(name, {}))
        enum = dict(entry.get("enum", {}))
        entry.update(spec)
        enum.update(spec.get("enum", {}))
        schema = self.type_schema(entry["type"])
        if enum and schema.get("type") in ("integer", "string"):
            cast = int if schema["type"] == "integer" else str
            schema["enum"] = sorted(cast(k) for k in enum)
        if entry.get("is_array"):
            schema = {"type": "array", "items": schema}
        return schema

    def type_schema(self, type_name):
        if type_name in SCALARS:
            return dict(SCALARS[type_name])
        if type_name in self.types:
            spec = self.types[type_name]
            schema = self.type_schema(spec.get("type", "string_t"))
            if "regex" in spec:
                schema["pattern"] = spec["regex"]
            if "max_len" in spec:
                schema["maxLength"] = spec["max_len"]
            if "range" in spec:
                schema["minimum"], schema["maximum"] = spec["range"]
            return schema
        if type_name in self.objects:
            self.object_def(type_name)
            return {"$ref": f"#/$defs/{type_name}"}
        raise SystemExit(f"unknown type {type_name}")

    def object_def(self, name):
        if name in self.defs:
            return
        self.defs[name] = {}  # placeholder: objects refer to themselves (user.groups...)
        records = self.chain(self.objects, name)
        attrs = self.merged_attributes(records)
        constraints = {}
        for record in records:
            constraints.update(record.get("constraints", {}))
        self.defs[name] = self.shape(records[-1].get("caption", name), attrs, constraints)

    def shape(self, title, attrs, constraints):
        properties = {k: self.attribute(k, v) for k, v in sorted(attrs.items())}
        schema = {
            "title": title,
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        required = sorted(k for k, v in attrs.items() if v.get("requirement") == "required")
        if required:
            schema["required"] = required
        if "at_least_one" in constraints:
            schema["anyOf"] = [{"required": [k]} for k in constraints["at_least_one"]]
        if "just_one" in constraints:
            schema["oneOf"] = [{"required": [k]} for k in constraints["just_one"]]
        return schema

    def event(self, name):
        records = self.chain(self.events, name)
        attrs = self.merged_attributes(records)
        category = next(r["category"] for r in reversed(records) if "category" in r)
        category_uid = self.categories[category]["uid"]
        class_uid = category_uid * 1000 + records[-1]["uid"]
        schema = self.shape(records[-1]["caption"], attrs, {})
        props = schema["properties"]
        props["category_uid"]["enum"] = [category_uid]
        props["class_uid"]["enum"] = [class_uid]
        activities = props["activity_id"]["enum"]
        props["type_uid"]["enum"] = [class_uid * 100 + a for a in activities]
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://schema.ocsf.io/schema/1.6.0/classes/{name}?profiles={','.join(APPLIED)}",
            "$comment": "Derived by derive_json_schema.py from the OCSF 1.6.0 schema "
            "sources; see README.md beside this file.",
            **schema,
            "$defs": dict(sorted(self.defs.items())),
        }


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    deriver = Deriver(load_source(argv[2] if len(argv) > 2 else None))
    json.dump(deriver.event(argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
