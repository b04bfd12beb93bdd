"""Rebuild tests/realworld/corpus/*/schemas.json from the providers' published specs.

Not run by the tests: it documents (and repeats) how the stored subsets were cut.
Each input is a file from a public repository at the commit named in
tests/realworld/README.md; pass the directory holding them:

    python tests/realworld/tools/build_corpus.py /path/to/inputs

Inputs (names as below): stripe_spec3.json (stripe/openapi openapi/spec3.json),
xero_accounting.yaml (XeroAPI/Xero-OpenAPI), qbo_Finance.xsd, qbo_IntuitBaseTypes.xsd, qbo_IntuitNamesTypes.xsd
(intuit/QuickBooks-V3-Java-SDK ipp-v3-java-data/src/main/xsd), hubspot/*.py and plaid/*.py
(the generated models of HubSpot/hubspot-api-python and plaid/plaid-python).

Trimming rules, the same for every provider: keep each entity's own properties, their
types, enums, nullability and `required`; inline nested objects two levels deep and keep
deeper ones as opaque objects; cap string lengths and array sizes (generation speed);
turn the specs' time formats into the wire text they describe (Stripe `unix-time`
integers, Xero `/Date(ms+0000)/`, ISO dates) so generated records carry real shapes.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "corpus"
# Times are drawn from 2010-2023: the simulated company the end-to-end test builds beside
# the corpus starts in 2025, so its months stay comparable with its ground truth.
UNIX = {"type": "integer", "minimum": 1262304000, "maximum": 1704067199}  # 2010..2023
MSDATE = {"type": "string", "pattern": r"^/Date\(1[3-6][0-9]{11}\+0000\)/$"}  # 2011..2020
ISODATE = {"type": "string", "pattern": r"^20(1[0-9]|2[0-3])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"}
ISODATETIME = {
    "type": "string",
    "pattern": r"^20(1[0-9]|2[0-3])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3})?(Z|[+-]0[0-9]:00)$",
}
UUID = {"type": "string", "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"}
MAX_STRING, MAX_ITEMS = 24, 2


def _nullable(schema: dict) -> dict:
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


# -- OpenAPI 3 (Stripe, Xero) -------------------------------------------------------------


def openapi_trim(spec: dict, schema: dict, depth: int) -> dict:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if depth <= 0:
            return {"type": "object", "maxProperties": 0}
        return openapi_trim(spec, spec["components"]["schemas"][name], depth - 1)
    if "anyOf" in schema or "oneOf" in schema:
        options = [openapi_trim(spec, s, depth) for s in schema.get("anyOf") or schema.get("oneOf")]
        scalar = [o for o in options if o.get("type") not in ("object", None)]
        out = {"anyOf": scalar or options[:1]}
        if len(out["anyOf"]) == 1:
            out = out["anyOf"][0]
        return _nullable(out) if schema.get("nullable") else out
    if "allOf" in schema:
        merged: dict = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            sub = openapi_trim(spec, part, depth)
            merged["properties"].update(sub.get("properties", {}))
            merged["required"] += sub.get("required", [])
        return merged
    out: dict = {}
    kind = schema.get("type")
    fmt = schema.get("format")
    if schema.get("x-is-msdate") or schema.get("x-is-msdate-time"):
        out = dict(MSDATE)
    elif fmt == "unix-time":
        out = dict(UNIX)
    elif fmt == "uuid":
        out = dict(UUID)
    elif fmt == "date":
        out = dict(ISODATE)
    elif fmt == "date-time":
        out = dict(ISODATETIME)
    elif "enum" in schema:
        out = {"enum": [v for v in schema["enum"] if v is not None]}
        if kind:
            out["type"] = kind
    elif kind == "string":
        out = {"type": "string", "maxLength": min(MAX_STRING, schema.get("maxLength", MAX_STRING))}
    elif kind in ("integer", "number", "boolean"):
        out = {"type": kind}
        if kind == "integer":
            out.update(minimum=-(10**9), maximum=10**9)
        if kind == "number":
            out.update(minimum=-(10**7), maximum=10**7)
    elif kind == "array":
        out = {
            "type": "array",
            "maxItems": MAX_ITEMS,
            "items": openapi_trim(spec, schema.get("items", {}), depth - 1) if depth > 0 else {},
        }
    elif kind == "object" or "properties" in schema:
        if depth < 0:
            return {"type": "object", "maxProperties": 0}
        props = schema.get("properties") or {}
        out = {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: openapi_trim(spec, v, depth - 1) for k, v in props.items()},
        }
        if schema.get("required"):
            out["required"] = [r for r in schema["required"] if r in props]
        if not props and isinstance(schema.get("additionalProperties"), dict):
            out = {
                "type": "object",
                "maxProperties": 2,
                "additionalProperties": openapi_trim(spec, schema["additionalProperties"], 0),
            }
    return _nullable(out) if schema.get("nullable") and out else out


def stripe(inputs: Path) -> dict:
    spec = json.loads((inputs / "stripe_spec3.json").read_text())
    names = ["charge", "refund", "balance_transaction", "payout", "customer", "invoice", "subscription"]
    entities = {name: openapi_trim(spec, spec["components"]["schemas"][name], 2) for name in names}
    return {"$comment": "Trimmed from stripe/openapi openapi/spec3.json (see README)", "entities": entities}


def xero(inputs: Path) -> dict:
    import yaml

    spec = yaml.safe_load((inputs / "xero_accounting.yaml").read_text())
    names = ["Invoice", "Payment", "BankTransaction", "CreditNote", "Account", "Contact", "ManualJournal"]
    entities = {name: openapi_trim(spec, spec["components"]["schemas"][name], 2) for name in names}
    examples = {}
    for name in names:  # the spec's own per-property examples, assembled into one record
        props = spec["components"]["schemas"][name].get("properties", {})
        examples[name] = {k: v["example"] for k, v in props.items() if isinstance(v, dict) and "example" in v}
    return {
        "$comment": "Trimmed from XeroAPI/Xero-OpenAPI xero_accounting.yaml (see README)",
        "entities": entities,
        "examples": examples,
    }


# -- QuickBooks Online: Intuit's XSD (the JSON API renders the same elements) ----------------

XS = "{http://www.w3.org/2001/XMLSchema}"


def qbo(inputs: Path) -> dict:
    types: dict[str, ET.Element] = {}
    defs: dict[str, dict] = {}
    for name in ("qbo_IntuitBaseTypes.xsd", "qbo_IntuitNamesTypes.xsd", "qbo_Finance.xsd"):
        root = ET.parse(inputs / name).getroot()
        for node in root:
            if node.tag in (XS + "complexType", XS + "simpleType") and node.get("name"):
                types[node.get("name")] = node

    def simple(type_name: str) -> dict | None:
        base = type_name.split(":")[-1]
        if type_name.startswith("xs:"):
            return {
                "string": {"type": "string", "maxLength": MAX_STRING},
                "decimal": {"type": "number", "minimum": -(10**7), "maximum": 10**7},
                "boolean": {"type": "boolean"},
                "int": {"type": "integer", "minimum": -(10**6), "maximum": 10**6},
                "integer": {"type": "integer", "minimum": -(10**6), "maximum": 10**6},
                "long": {"type": "integer", "minimum": -(10**6), "maximum": 10**6},
                "date": dict(ISODATE),
                "dateTime": dict(ISODATETIME),
            }.get(base, {"type": "string", "maxLength": MAX_STRING})
        node = types.get(base)
        if node is not None and node.tag == XS + "simpleType":
            enum = [e.get("value") for e in node.iter(XS + "enumeration")]
            return {"enum": enum} if enum else {"type": "string", "maxLength": MAX_STRING}
        return None

    def elements(node: ET.Element, depth: int, props: dict) -> None:
        for child in node:
            if child.tag == XS + "element" and child.get("name"):
                schema = convert(child.get("type") or "xs:string", depth - 1)
                if child.get("maxOccurs") == "unbounded":
                    schema = {"type": "array", "maxItems": MAX_ITEMS, "items": schema}
                props[child.get("name")] = schema
            elif child.tag in (XS + "sequence", XS + "choice", XS + "all"):
                elements(child, depth, props)
            elif child.tag in (XS + "complexContent",):
                elements(child, depth, props)
            elif child.tag == XS + "extension":
                base = types.get(child.get("base", "").split(":")[-1])
                if base is not None:
                    elements(base, depth, props)
                elements(child, depth, props)

    def convert(type_name: str, depth: int) -> dict:
        found = simple(type_name)
        if found is not None:
            return found
        node = types.get(type_name.split(":")[-1])
        if node is None:
            return {"type": "string", "maxLength": MAX_STRING}
        content = node.find(XS + "simpleContent")
        if content is not None:  # ReferenceType and friends: text -> "value", attributes -> keys
            ext = content.find(XS + "extension")
            props = {"value": {"type": "string", "maxLength": MAX_STRING}}
            for attr in ext.findall(XS + "attribute") if ext is not None else []:
                props[attr.get("name")] = {"type": "string", "maxLength": MAX_STRING}
            name = node.get("name")
            defs[name] = {"type": "object", "additionalProperties": False, "properties": props}
            return {"$ref": f"#/$defs/{name}"}
        if depth < 0:
            return {"type": "object", "maxProperties": 0}
        props: dict = {}
        elements(node, depth, props)
        return {"type": "object", "additionalProperties": False, "properties": props}

    from ledgerlake.sources.qbo.poll import ENTITIES

    names = list(ENTITIES)  # the entities the poller asks CDC for
    # Every element is minOccurs="0" in Intuit's XSD: nothing is required on the wire.
    # Shared `$defs` (ReferenceType and friends): the tests attach them to each entity schema.
    return {
        "$comment": "Converted from intuit/QuickBooks-V3-Java-SDK XSD (see README)",
        "entities": {name: convert(name, 2) for name in names},
        "$defs": defs,
    }


# -- HubSpot and Plaid: the schema as generated into their official clients -----------------


def generated_models(paths: list[Path], style: str) -> dict[str, dict]:
    """openapi-generator Python models -> {class: {"types": {json name: type text}, "required": [...]}}."""
    out = {}
    for path in paths:
        text = path.read_text()
        tree = ast.parse(text)
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            info = {"types": {}, "required": []}
            for item in ast.walk(cls):
                if isinstance(item, ast.Assign) and any(
                    getattr(t, "id", None) in ("openapi_types", "attribute_map") for t in item.targets
                ):
                    target = item.targets[0].id
                    info[target] = ast.literal_eval(item.value)
                if (
                    isinstance(item, ast.FunctionDef)
                    and item.name in ("openapi_types", "attribute_map")
                    and style == "plaid"
                ):
                    ret = next(n for n in ast.walk(item) if isinstance(n, ast.Return))
                    info[item.name] = {k.value: ast.unparse(v) for k, v in zip(ret.value.keys, ret.value.values)}
                if isinstance(item, ast.FunctionDef) and item.name == "_from_openapi_data":
                    info["required"] = [a.arg for a in item.args.args[1:]]
            if style == "hubspot":
                info["required"] = re.findall(r"Invalid value for `(\w+)`, must not be `None`", text)
            out[cls.name] = info
    return out


def hubspot(inputs: Path) -> dict:
    models = generated_models(sorted((inputs / "hubspot").glob("*.py")), "hubspot")

    def schema(cls: str, overrides: dict) -> dict:
        info = models[cls]
        props, required = {}, []
        for attr, kind in info["openapi_types"].items():
            name = info["attribute_map"][attr]
            props[name] = overrides.get(name) or {
                "datetime": dict(ISODATETIME),
                "bool": {"type": "boolean"},
                "int": {"type": "integer", "minimum": 0, "maximum": 1000},
                "str": {"type": "string", "maxLength": MAX_STRING},
            }.get(kind, {"type": "object", "maxProperties": 0})
            if attr in info["required"]:
                required.append(name)
        return {"type": "object", "additionalProperties": False, "properties": props, "required": required}

    # `properties` is dict(str, str): every value a string or null. The keys we ask for are listed.
    deal_props = [
        "dealname",
        "amount",
        "deal_currency_code",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hs_is_closed_won",
        "hs_is_closed",
        "hubspot_owner_id",
    ]
    company_props = ["name", "domain", "country", "currency", "createdate", "hs_lastmodifieddate", "lifecyclestage"]

    # Values are strings in the property's type (HubSpot's property model): datetimes as
    # ISO text, numbers as decimal text, booleans as "true"/"false".
    typed = {
        "createdate": ISODATETIME,
        "closedate": ISODATETIME,
        "hs_lastmodifieddate": ISODATETIME,
        "amount": {"type": "string", "pattern": r"^-?[0-9]{1,7}(\.[0-9]{1,2})?$"},
        "hs_is_closed_won": {"enum": ["true", "false"]},
        "hs_is_closed": {"enum": ["true", "false"]},
        "deal_currency_code": {"enum": ["USD", "GBP", "EUR", "JPY"]},
        "currency": {"enum": ["USD", "GBP", "EUR"]},
    }

    def bag(keys):
        props = {}
        for k in keys:
            value = typed.get(k, {"type": "string", "maxLength": MAX_STRING})
            props[k] = {"anyOf": [value, {"type": "null"}]} if k != "hs_lastmodifieddate" else value
        # Asked for, HubSpot always returns hs_lastmodifieddate (it sets it on every write).
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": props,
            "required": ["hs_lastmodifieddate"],
        }

    numeric_id = {"type": "string", "pattern": r"^[1-9][0-9]{3,10}$"}
    stage = schema(
        "PipelineStage",
        {
            "id": {"type": "string", "maxLength": MAX_STRING},
            "metadata": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 8},
                "maxProperties": 2,
            },
        },
    )
    return {
        "$comment": "Transcribed from HubSpot/hubspot-api-python generated models (see README)",
        "entities": {
            "deal": schema("SimplePublicObject", {"properties": bag(deal_props), "id": numeric_id}),
            "company": schema("SimplePublicObject", {"properties": bag(company_props), "id": numeric_id}),
            "pipeline": schema("Pipeline", {"stages": {"type": "array", "maxItems": 3, "items": stage}}),
        },
    }


def plaid(inputs: Path) -> dict:
    models = generated_models(sorted((inputs / "plaid").glob("*.py")), "plaid")

    def prop(kind: str) -> dict:
        nullable = "none_type" in kind
        base = kind.strip("()").split(",")[0].strip()
        schema = {
            "str": {"type": "string", "maxLength": MAX_STRING},
            "float": {"type": "number", "minimum": -(10**6), "maximum": 10**6},
            "bool": {"type": "boolean"},
            "date": dict(ISODATE),
            "datetime": dict(ISODATETIME),
            "[str]": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 12}},
        }.get(base, {"type": "object", "maxProperties": 0})
        return _nullable(schema) if nullable else schema

    def schema(*classes: str) -> dict:
        props, required = {}, []
        for cls in classes:
            info = models[cls]
            for attr, kind in info["openapi_types"].items():
                props[info["attribute_map"][attr]] = prop(kind)
            required += [info["attribute_map"][r] for r in info["required"] if r in info["attribute_map"]]
        return {"type": "object", "additionalProperties": False, "properties": props, "required": sorted(set(required))}

    transaction = schema("TransactionBase", "TransactionAllOf")
    transaction["properties"].update(
        {k: v for k, v in schema("Transaction")["properties"].items() if k not in transaction["properties"]}
    )
    account = schema("AccountBase")
    account["properties"]["balances"] = schema("AccountBalance")
    account["properties"]["type"] = {"enum": ["investment", "credit", "depository", "loan", "brokerage", "other"]}
    return {
        "$comment": "Transcribed from plaid/plaid-python generated models (see README)",
        "entities": {
            "transaction": transaction,
            "removed_transaction": schema("RemovedTransaction"),
            "account": account,
        },
    }


def main(inputs: Path) -> None:
    for source, build in (("stripe", stripe), ("xero", xero), ("qbo", qbo), ("hubspot", hubspot), ("plaid", plaid)):
        target = OUT / source / "schemas.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        # One line per entity: small, and a diff still shows which entity changed.
        doc = build(inputs)
        lines = [f" {json.dumps(k)}: {json.dumps(v, sort_keys=True, default=str)}" for k, v in doc["entities"].items()]
        rest = {k: v for k, v in doc.items() if k != "entities"}
        target.write_text(
            "{\n"
            + "".join(f" {json.dumps(k)}: {json.dumps(v, sort_keys=True, default=str)},\n" for k, v in rest.items())
            + ' "entities": {\n'
            + ",\n".join(lines)
            + "\n }\n}\n"
        )
        print(target, target.stat().st_size)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
