"""Hypothesis strategies for the JSON-schema subset the corpus stores.

hypothesis-jsonschema (0.23.1, in the lock) cannot draw objects with the locked
Hypothesis (6.170: its private `conjecture.utils.many` lost `.more()`), so the corpus
draws from its own schemas here. The subset is the one tests/realworld/tools/build_corpus.py
writes: type (or a list of types), properties + required (each optional property present
or absent), additionalProperties (a schema, or false), min/maxProperties for free-form
maps, enum, pattern, minimum/maximum, maxLength, items + maxItems, anyOf, local $ref.
"""

from __future__ import annotations

from hypothesis import strategies as st

ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
TEXT = st.text(ALPHABET, max_size=24)


def from_schema(schema: dict, defs: dict | None = None) -> st.SearchStrategy:
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(defs[name], defs))
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) if schema["enum"] else st.none()
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, defs) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        # Providers send money as JSON numbers with at most a few decimals.
        return st.one_of(
            st.integers(int(low or -(10**6)), int(high or 10**6)),
            st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False).map(float),
        )
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(ALPHABET, max_size=schema.get("maxLength", 24))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), max_size=schema.get("maxItems", 2))
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        if not props:
            if isinstance(extra, dict):
                return st.dictionaries(TEXT, from_schema(extra, defs), max_size=schema.get("maxProperties", 2))
            return st.just({})
        required = [k for k in schema.get("required", []) if k in props]
        optional = {k: from_schema(v, defs) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries({k: from_schema(props[k], defs) for k in required}, optional=optional)
    return st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), TEXT)
