"""oneOf / anyOf alternatives and discriminators, compared by meaning rather than by position."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from monitor.engine.model import Direction
from monitor.engine.rules.base import BREAKING, REQUEST, Finding, Rule
from monitor.engine.rules.schema_pair import SchemaPair

RULES = [
    Rule("request-body-one-of-ambiguous", BREAKING, REQUEST, "request-body", "structure", "An object became a oneOf whose alternatives overlap: a body that was valid now matches several, which oneOf rejects"),
    Rule("request-property-one-of-ambiguous", BREAKING, REQUEST, "request-body", "structure", "A request property became a oneOf whose alternatives overlap: a value that was valid now matches several"),
]  # fmt: skip


def _branches(schema: dict[str, Any], keyword: str) -> list[Any]:
    value = schema.get(keyword)
    return value if isinstance(value, list) else []


def _label(branch: Any, deref: Callable[[Any], Any]) -> str:
    if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
        return branch["$ref"].rsplit("/", 1)[-1]
    resolved = deref(branch)
    if isinstance(resolved, dict):
        return str(resolved.get("title") or resolved.get("type") or "inline schema")
    return "inline schema"


def match_branches(
    old: list[Any],
    new: list[Any],
    old_deref: Callable[[Any], Any],
    new_deref: Callable[[Any], Any],
    same: Callable[[Any, Any], bool],
) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pair alternatives: by component name, equal content, title, then the one left on each side, or else by
    structure (`_match_by_structure`) when several are left.

    Returns (matched pairs, removed, added). Reordering or inlining an alternative changes nothing.
    """
    old_left, new_left = list(old), list(new)
    pairs: list[tuple[Any, Any]] = []

    def take(key: Callable[[Any, Callable[[Any], Any]], Any]) -> None:
        for o in list(old_left):
            ko = key(o, old_deref)
            if ko is None:
                continue
            for n in new_left:
                if key(n, new_deref) == ko:
                    pairs.append((o, n))
                    old_left.remove(o)
                    new_left.remove(n)
                    break

    take(lambda b, _: b["$ref"] if isinstance(b, dict) and isinstance(b.get("$ref"), str) else None)
    for o in list(old_left):
        for n in new_left:
            if same(o, n):
                pairs.append((o, n))
                old_left.remove(o)
                new_left.remove(n)
                break
    take(lambda b, deref: _title(deref(b)))
    take(lambda b, deref: _label(b, deref) if isinstance(b, dict) and "$ref" in b else None)
    if len(old_left) == 1 and len(new_left) == 1:
        pairs.append((old_left.pop(), new_left.pop()))
    elif old_left and new_left:
        pairs.extend(_match_by_structure(old_left, new_left, old_deref, new_deref))
    return pairs, old_left, new_left


def _match_by_structure(
    old: list[Any], new: list[Any], old_deref: Callable[[Any], Any], new_deref: Callable[[Any], Any]
) -> list[tuple[Any, Any]]:
    """Pair what is left by likeness (type, property names, required set, recursively), best pairs first.

    Ties go to the earlier alternatives on both sides, so the pairing never depends on anything but the documents.
    Alternatives of incompatible kinds are never paired: they are an alternative removed and another added.
    """
    scored = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            score = similarity(old_deref(o), new_deref(n), old_deref, new_deref, 0)
            if score > 0:
                scored.append((-score, i, j))
    scored.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for _, i, j in scored:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((old[i], new[j]))
    for i in sorted(used_old, reverse=True):
        del old[i]
    for j in sorted(used_new, reverse=True):
        del new[j]
    return pairs


def _names(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {str(k) for k in value}
    if isinstance(value, list):
        return {str(v) for v in value if isinstance(v, (str, int, float, bool))}
    return set()


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def similarity(a: Any, b: Any, a_deref: Callable[[Any], Any], b_deref: Callable[[Any], Any], depth: int) -> float:
    """How alike two schemas are: 0 when they describe different kinds of value, more the more they share."""
    from monitor.engine.rules.types import shape_of

    if not isinstance(a, dict) or not isinstance(b, dict):
        return 0.0
    ta, tb = shape_of(a), shape_of(b)
    if ta and tb and not ta & tb:
        return 0.0
    score = 1.0
    props_a, props_b = _names(a.get("properties")), _names(b.get("properties"))
    if props_a or props_b:
        shared = _jaccard(props_a, props_b)
        if shared == 0.0:
            return 0.0  # objects with no property in common are different alternatives
        score += 4 * shared + _jaccard(_names(a.get("required")), _names(b.get("required")))
    if "enum" in a or "enum" in b:
        score += 2 * _jaccard(_names(a.get("enum")), _names(b.get("enum")))
    if "const" in a or "const" in b:
        score += 2.0 if a.get("const") == b.get("const") else 0.0
    score += 0.5 if a.get("format") == b.get("format") else 0.0
    if depth < 4 and isinstance(a.get("items"), dict) and isinstance(b.get("items"), dict):
        score += similarity(a_deref(a["items"]), b_deref(b["items"]), a_deref, b_deref, depth + 1)
    return score


def _title(schema: Any) -> str | None:
    return schema.get("title") if isinstance(schema, dict) and isinstance(schema.get("title"), str) else None


def check_alternatives(
    p: SchemaPair,
    keyword: str,
    removed: list[Any],
    added: list[Any],
    old_deref: Callable[[Any], Any],
    new_deref: Callable[[Any], Any],
) -> Iterator[Finding]:
    stem = "one-of" if keyword == "oneOf" else "any-of"
    for branch in removed:
        yield p.finding(f"{stem}-removed", alternative=_label(branch, old_deref))
    for branch in added:
        yield p.finding(f"{stem}-added", alternative=_label(branch, new_deref))


def check_discriminator(p: SchemaPair) -> Iterator[Finding]:
    old, new = p.old.get("discriminator"), p.new.get("discriminator")
    if old == new:
        return
    if not isinstance(old, dict) and isinstance(new, dict):
        yield p.finding("discriminator-added", property_name=new.get("propertyName"))
        return
    if isinstance(old, dict) and not isinstance(new, dict):
        yield p.finding("discriminator-removed", property_name=old.get("propertyName"))
        return
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    if old.get("propertyName") != new.get("propertyName"):
        yield p.finding("discriminator-property-name-changed", old=old.get("propertyName"), new=new.get("propertyName"))
    old_map = old.get("mapping") if isinstance(old.get("mapping"), dict) else {}
    new_map = new.get("mapping") if isinstance(new.get("mapping"), dict) else {}
    for value in sorted(new_map.keys() - old_map.keys()):
        yield p.finding("discriminator-mapping-added", value=value)
    for value in sorted(old_map.keys() - new_map.keys()):
        yield p.finding("discriminator-mapping-removed", value=value)
    for value in sorted(old_map.keys() & new_map.keys()):
        if old_map[value].rsplit("/", 1)[-1] != new_map[value].rsplit("/", 1)[-1]:
            yield p.finding("discriminator-mapping-changed", value=value, old=old_map[value], new=new_map[value])


def wrapped_side(old: dict[str, Any], new: dict[str, Any], old_deref: Callable[[Any], Any],
                 new_deref: Callable[[Any], Any]) -> str | None:  # fmt: skip
    """ "new" when an object became a oneOf/anyOf of objects ("old" for the reverse), else None.

    Such a pair is one object compared with each alternative, not properties removed and alternatives added.
    """
    for side, lone, split, deref in (("new", old, new, new_deref), ("old", new, old, old_deref)):
        if not isinstance(lone.get("properties"), dict) or any(k in lone for k in ("oneOf", "anyOf")):
            continue
        if split.get("properties"):
            continue
        for keyword in ("oneOf", "anyOf"):
            branches = split.get(keyword)
            if isinstance(branches, list) and branches and all(_is_object(deref(b)) for b in branches):
                return side
    return None


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or isinstance(schema.get("properties"), dict))


def check_ambiguous_split(p: SchemaPair, new_deref: Callable[[Any], Any]) -> Iterator[Finding]:
    """An object split into oneOf alternatives that overlap: the full old value matches several, and oneOf
    accepts exactly one, so request writers that sent it are now rejected. A discriminator settles it."""
    branches = p.new.get("oneOf")
    if p.place.direction is not Direction.REQUEST or p.place.scope != "body" or not isinstance(branches, list):
        return
    if isinstance(p.new.get("discriminator"), dict):
        return
    value = set(p.old.get("properties") or {})
    matching = [b for b in (new_deref(b) for b in branches) if _admits(b, value)]
    if any(_exclusive(a, b) for i, a in enumerate(matching) for b in matching[i + 1 :]):
        return
    if len(matching) >= 2:
        yield Finding(f"{p.place.context}-one-of-ambiguous", p.place.location,
                      {**dict(p.place.args), "alternatives": len(matching)})  # fmt: skip


def _admits(branch: Any, value: set[str]) -> bool:
    """Could an object with all of `value`'s properties be valid against this alternative?"""
    if not isinstance(branch, dict):
        return False
    required = branch.get("required") if isinstance(branch.get("required"), list) else []
    declared = set(branch.get("properties") or {})
    if not set(required) <= value:
        return False
    return not (branch.get("additionalProperties") is False and value - declared)


def _exclusive(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two alternatives a value cannot match at once: a shared property limited to disjoint values."""
    pa, pb = a.get("properties") or {}, b.get("properties") or {}
    for name in pa.keys() & pb.keys():
        va, vb = _allowed(pa[name]), _allowed(pb[name])
        if va is not None and vb is not None and not va & vb:
            return True
    return False


def _allowed(schema: Any) -> set[str] | None:
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return {repr(schema["const"])}
    if isinstance(schema.get("enum"), list):
        return {repr(v) for v in schema["enum"]}
    return None


CHECKS = (check_discriminator,)
