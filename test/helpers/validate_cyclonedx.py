"""Validate a CycloneDX 1.5 JSON document against the published schema (offline copies).
Usage: validate_cyclonedx.py SCHEMA_DIR DOC. Prints each error; exit 1 if any, 3 if jsonschema is missing."""
import json
import sys

try:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
except ImportError:
    sys.exit(3)

d, doc = sys.argv[1], sys.argv[2]
load = lambda n: json.load(open(f"{d}/{n}", encoding="utf-8"))
bom = load("bom-1.5.SNAPSHOT.schema.json")
# bom-1.5 refers to its neighbours by relative name, resolved against its $id
registry = Registry().with_resources([
    ("http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json", Resource.from_contents(load("spdx.SNAPSHOT.schema.json"))),
    ("http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json", Resource.from_contents(load("jsf-0.82.SNAPSHOT.schema.json"))),
])
v = Draft7Validator(bom, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
errors = list(v.iter_errors(json.load(open(doc, encoding="utf-8"))))
for e in errors:
    print(f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
sys.exit(1 if errors else 0)
