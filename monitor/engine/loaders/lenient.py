"""Read the malformed values real publishers ship, where their meaning is unambiguous, and say what was done.

* `required: true` inside a property's schema (the Swagger 1.x / JSON Schema draft 3 spelling): the property is
  required, so its name joins the parent's `required` list; `required: false` is dropped. `"required":true` is
  everywhere in a document (parameters, bodies), so no quick test can tell whether a walk is needed: this one is
  done where the schema walk compares objects (`lift_required_flags`), and reported there when it appears.
* `items: "string"`, a bare type name where a schema belongs: `items: {type: string}`.
* `[]` where an object belongs (`properties: []`, `responses: []`): an empty object.
Anything else malformed is left as it is (and compared as written). Each repair becomes a spec defect
`("malformed-value", location, what was read)`, reported by the `spec-malformed-value` rule when it appears.
"""

from __future__ import annotations

from typing import Any

_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object"}
_OBJECT_KEYS = ("properties", "patternProperties", "headers", "content", "responses", "schemas", "securitySchemes",
                "definitions", "securityDefinitions")  # fmt: skip
# What may need a repair, as the serialised document has it right after a key's colon: `"items":"` (a string where
# a schema belongs) or `"properties":[]` and the like (other keys' `[]`, `"security":[]` say, are common and fine).
# The loader's one pass over the document stops at each `:` and looks behind it for the key.
REPAIR_AFTER_COLON = (
    rb'"(?<="items":")|\[\](?:' + b"|".join(rb'(?<="%s":\[\])' % k.encode() for k in _OBJECT_KEYS) + b")"
)
_SKIP = ("example", "examples", "default", "enum", "const", "x-bundled")  # values, not schemas


def repair(root: Any, suspect: bool = True) -> list[tuple[str, str, str]]:
    """Repair `root` in place; returns the defects found, as (kind, JSON pointer, what was read).

    `suspect`: whether the serialised document has something `REPAIR_AFTER_COLON` matches (or could not be
    serialised); when it has not, there is nothing to repair and the document is not walked.
    """
    if not suspect:
        return []
    defects: list[tuple[str, str, str]] = []
    stack: list[tuple[Any, str]] = [(root, "#")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(node) if isinstance(v, (dict, list)))
            continue
        if not isinstance(node, dict):
            continue
        _repair_object(node, where, defects)
        for key, value in node.items():
            if isinstance(key, str) and (key in _SKIP or key.startswith("x-")):
                continue
            if isinstance(value, (dict, list)):
                stack.append((value, f"{where}/{_escape(str(key))}"))
    return sorted(defects)


def lift_required_flags(schema: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, bool]]]:
    """`properties: {sku: {required: true}}` read as `required: [sku]`; returns the schema and the flags lifted."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema, []
    flags = [
        (str(n), p["required"])
        for n, p in properties.items()
        if isinstance(p, dict) and isinstance(p.get("required"), bool)
    ]
    if not flags:
        return schema, []
    lifted = {name for name, _ in flags}
    out = dict(schema)
    out["properties"] = {
        n: ({k: v for k, v in p.items() if k != "required"} if n in lifted else p) for n, p in properties.items()
    }
    required = (
        [r for r in schema.get("required", []) if isinstance(r, str)]
        if isinstance(schema.get("required"), list)
        else []
    )
    required += [name for name, flag in flags if flag and name not in required]
    if required:
        out["required"] = required
    return out, flags


def required_flag_detail(name: str, flag: bool) -> str:
    state = "required" if flag else "optional"
    return f"`required: {str(flag).lower()}` inside the schema of property `{name}` read as the property being {state}"


def _repair_object(node: dict[str, Any], where: str, defects: list[tuple[str, str, str]]) -> None:
    for key in _OBJECT_KEYS:
        if node.get(key) == []:
            node[key] = {}
            defects.append(("malformed-value", f"{where}/{key}", f"`{key}: []` read as an empty object"))
    items = node.get("items")
    if isinstance(items, str) and items in _JSON_TYPES:
        node["items"] = {"type": items}
        defects.append(("malformed-value", f"{where}/items", f'`items: "{items}"` read as `items: {{type: {items}}}`'))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
