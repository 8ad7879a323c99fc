"""Read the malformed values real publishers ship, where their meaning is unambiguous, and say what was done.

* `required: true` inside a property's schema (the Swagger 1.x / JSON Schema draft 3 spelling): the property is
  required, so its name joins the parent's `required` list; `required: false` is dropped.
* `items: "string"`, a bare type name where a schema belongs: `items: {type: string}`.
* `[]` where an object belongs (`properties: []`, `responses: []`): an empty object.
Anything else malformed is left as it is (and compared as written). Each repair becomes a spec defect
`("malformed-value", location, what was read)`, reported by the `spec-malformed-value` rule when it appears.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object"}
_OBJECT_KEYS = ("properties", "patternProperties", "headers", "content", "responses", "schemas", "securitySchemes",
                "definitions", "securityDefinitions")  # fmt: skip
# quick test on the serialised document (C speed): only a document that may need a repair is walked in Python
_SUSPECT = re.compile(rb'"required":(?:true|false)|"items":"|"(?:' + "|".join(_OBJECT_KEYS).encode() + rb')":\[\]')
_SKIP = ("example", "examples", "default", "enum", "const", "x-bundled")  # values, not schemas


def repair(root: Any) -> list[tuple[str, str, str]]:
    """Repair `root` in place; returns the defects found, as (kind, JSON pointer, what was read)."""
    try:
        if not _SUSPECT.search(orjson.dumps(root)):
            return []
    except TypeError:  # nested beyond orjson's limit: walk it (hostile files are cut off elsewhere)
        pass
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


def _repair_object(node: dict[str, Any], where: str, defects: list[tuple[str, str, str]]) -> None:
    for key in _OBJECT_KEYS:
        if node.get(key) == []:
            node[key] = {}
            defects.append(("malformed-value", f"{where}/{key}", f"`{key}: []` read as an empty object"))
    items = node.get("items")
    if isinstance(items, str) and items in _JSON_TYPES:
        node["items"] = {"type": items}
        defects.append(("malformed-value", f"{where}/items", f'`items: "{items}"` read as `items: {{type: {items}}}`'))
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return
    for name, schema in properties.items():
        if isinstance(schema, dict) and isinstance(schema.get("required"), bool):
            flag = schema.pop("required")
            at = f"{where}/properties/{_escape(str(name))}/required"
            if flag:
                required = node.get("required")
                if not isinstance(required, list):
                    required = node["required"] = []
                if name not in required:
                    required.append(name)
            defects.append(("malformed-value", at, f"`required: {str(flag).lower()}` inside the schema of property "
                            f"`{name}` read as the property being {'required' if flag else 'optional'}"))  # fmt: skip


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
