"""The schema walk: pairs old and new schemas (properties, items, alternatives) and runs the schema checks.

Two things keep it fast and keep one root cause to one finding:
* identical subtrees are skipped: equal raw nodes whose refs all point at unchanged components;
* a pair of components is compared once per direction and context, and what is found inside it is
  located at the component (`#/definitions/Order/properties/Status`), so every operation that reaches
  it reports the same finding, which the grouping folds into one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitor.engine.loaders.lenient import lift_required_flags, required_flag_detail
from monitor.engine.loaders.refs import DANGLING, Resolver, plain_refs_in, refs_in
from monitor.engine.rules import checks_for, unread
from monitor.engine.rules.base import Finding
from monitor.engine.rules.composition import check_alternatives, check_ambiguous_split, match_branches, wrapped_side
from monitor.engine.rules.equivalent import align
from monitor.engine.rules.properties import check_properties, properties_of, requiredness_changes
from monitor.engine.rules.schema_pair import Place, SchemaPair
from monitor.engine.rules.types import is_replaced, is_wholesale

MAX_DEPTH = 64  # real marketplace schemas nest at most ~15 levels; deeper input is cut off, not followed
_SUBSCHEMA_ORDER = ("not", "contains", "if", "then", "else", "propertyNames", "unevaluatedItems",
                    "unevaluatedProperties", "contentSchema")  # fmt: skip
# ... and the keyed ones; few schemas hold any, so one set test per side skips them all
_SUBSCHEMA_KEYS = frozenset((*_SUBSCHEMA_ORDER, "patternProperties", "dependentSchemas"))


_SCHEMA_REFS = ("#/components/schemas/", "#/definitions/")  # refs to schemas, as opposed to other components
_COMPONENT_ARGS = frozenset(("parameter", "in", "header"))  # what a component's findings keep of their place
ORIGIN = "\x00origin"  # key of a flattened schema: property -> $ref of the allOf part declaring it
ComponentKey = tuple[Any, ...]  # (old ref, new ref, direction, scope, in_property, args)


class _Prepared:
    """A pair of raw schemas as the walk reads them, whatever place it is reached from (`SchemaComparer._prepare`)."""

    __slots__ = (
        "changed",
        "common",
        "flips",
        "lifted",
        "new",
        "new_props",
        "old",
        "old_props",
        "origins",
        "replaced",
        "split",
    )

    def __init__(self, old: dict[str, Any], new: dict[str, Any], lifted: list[tuple[str, bool]]) -> None:
        self.old, self.new = old, new  # allOf merged, required flags lifted, spellings aligned
        self.lifted = lifted  # required flags lifted on the new side only
        self.changed = _changed_keys(old, new)
        self.replaced = is_replaced(old, new)
        self.split: str | None = None
        self.old_props: dict[str, Any] = {}
        self.new_props: dict[str, Any] = {}
        self.origins: dict[str, str] = {}
        self.common: set[str] = set()  # property names on both sides
        self.flips: list[tuple[str, bool]] = []  # of those, the ones that became required (True) or optional


class _Scope:
    """What one comparison finds itself, and the component pairs it reaches."""

    __slots__ = ("edges", "findings")

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.edges: set[ComponentKey] = set()


# Keys a schema check reads with `is True`, `is False` or by excluding bools, where `==` finds `1` and `true` equal.
_BOOLEAN_KEYS = ("nullable", "x-nullable", "multipleOf", "uniqueItems", "additionalProperties", "deprecated",
                 "readOnly", "writeOnly")  # fmt: skip
_BOOLEAN_KEY_SET = frozenset(_BOOLEAN_KEYS)


_ABSENT = object()


_UNCHANGED: frozenset[object] = frozenset()


def _changed_keys(old: dict[str, Any], new: dict[str, Any]) -> frozenset[object]:
    """The keys a schema check may read whose values differ (or, for `_BOOLEAN_KEYS`, their types)."""
    changed = []
    if old != new:
        changed = [k for k in old.keys() | new.keys() if old.get(k, _ABSENT) != new.get(k, _ABSENT) and not unread(k)]
    if not (_BOOLEAN_KEY_SET.isdisjoint(old) and _BOOLEAN_KEY_SET.isdisjoint(new)):  # most schemas hold none
        for key in _BOOLEAN_KEYS:
            if type(old.get(key)) is not type(new.get(key)):
                changed.append(key)
    return frozenset(changed) if changed else _UNCHANGED


def _alike(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Schemas between which no schema check finds anything: each compares old with new (rules/__init__.py), and
    none reads the keys `unread` names, so schemas equal but for those are as good as equal."""
    return not _changed_keys(old, new)


def _alike_targets(ref: str, old: Any, new: Any) -> bool:
    """Targets of a ref that differ only where the walk never looks: schemas alike for every check (`_alike`).

    Only schemas: other components' extensions are read (a parameter's x-sunset). And not `{type: null}`, which
    alone is a null branch (`_unwrap_nullable` tests its length) and beside a description is not.
    """
    return (
        ref.startswith(_SCHEMA_REFS)
        and isinstance(old, dict)
        and isinstance(new, dict)
        and old is not DANGLING
        and new is not DANGLING
        and old.get("type") != "null"
        and _alike(old, new)
    )


def _named_schemas(resolver: Resolver) -> dict[str, dict[str, Any]]:
    """The containers a plain schema ref names a member of, by the ref's head (`#/definitions`)."""
    found = {}
    for head, parents in (("#/components/schemas", ("components", "schemas")), ("#/definitions", ("definitions",))):
        node = resolver.root
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            found[head] = node
    return found


def _target(resolver: Resolver, named: dict[str, dict[str, Any]], ref: str) -> Any:
    """`resolver.target(ref)`, a plain schema name looked up directly in `named` (`_named_schemas`): `clean_refs`
    asks for every ref of both documents, the walk later for a few of them, and the resolver decodes each part of
    each pointer it follows."""
    head, _, name = ref.rpartition("/")
    container = named.get(head)
    if container is not None and "~" not in name and "%" not in name:  # escaped: the resolver decodes it
        found = container.get(name, _ABSENT)
        if found is not _ABSENT:
            return found
    return resolver.target(ref)


def _ref(node: Any) -> str | None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return ref
    return None


def _origins(old: dict[str, Any], new: dict[str, Any], old_props: dict[str, Any], new_props: dict[str, Any]
             ) -> dict[str, str]:  # fmt: skip
    """Properties both sides take from the same component through allOf, so a change in that component is
    reported once, at the component, whichever path (direct, allOf, nested) reaches it."""
    o, n = old.get(ORIGIN, {}), new.get(ORIGIN, {})
    if not o and not n:  # no allOf on either side: no property has an origin
        return {}
    parts_old, parts_new = set(o.values()), set(n.values())
    found = {}
    for name in old_props.keys() | new_props.keys():
        ref_o, ref_n = o.get(name), n.get(name)
        kept = ref_o == ref_n or (name not in new_props and ref_o in parts_new)
        if ref_o is not None and kept:
            found[name] = ref_o
        elif name not in old_props and ref_n is not None and ref_n in parts_old:
            found[name] = ref_n
    return found


class SchemaComparer:
    """Compares schemas of two specs; one instance per diff, holding the memo of compared components."""

    def __init__(self, old: Resolver, new: Resolver) -> None:
        self.old = old
        self.new = new
        self._scopes: dict[ComponentKey, _Scope] = {}
        self._clean: set[str] | None = None
        self._refs: dict[int, tuple[Any, list[str]]] = {}
        self._same: dict[int, tuple[Any, bool]] = {}
        self._clean_bytes: set[bytes] | None = None
        self._reach_memo: dict[ComponentKey, frozenset[ComponentKey]] = {}
        self._findings_memo: dict[ComponentKey, list[Finding]] = {}  # as final as _reach_memo's answers
        self._orders: dict[ComponentKey, str] = {}
        self._prepared: dict[tuple[int, int], tuple[Any, Any, _Prepared]] = {}

    # -- identical subtrees -------------------------------------------------------------------
    def clean_refs(self) -> set[str]:
        """Refs whose target is the same in both specs, transitively (greatest fixpoint): byte-for-byte, or for a
        schema, but for keys no check reads (`_alike`), as most components of a real API whose description alone
        changed. Nothing is found behind such a ref: the walk of its schemas (in any place) finds them alike, and
        every subschema the same.
        """
        if self._clean is None:
            candidates: dict[str, list[str]] = {}
            old_named, new_named = _named_schemas(self.old), _named_schemas(self.new)
            for ref in self.old.refs & self.new.refs:
                try:
                    o, n = _target(self.old, old_named, ref), _target(self.new, new_named, ref)
                except Exception:  # a dangling ref is dirty, and reported where it is used
                    continue
                if o == n:
                    candidates[ref] = self.refs_of(o)
                elif _alike_targets(ref, o, n):
                    candidates[ref] = [*self.refs_of(o), *self.refs_of(n)]
            clean = set(candidates)
            changed = True
            while changed:
                changed = False
                for ref in list(clean):
                    if not clean.issuperset(candidates[ref]):
                        clean.discard(ref)
                        changed = True
            self._clean = clean
        return self._clean

    def refs_of(self, node: Any) -> list[str]:
        key = id(node)
        cached = self._refs.get(key)
        if cached is None:
            # the node is kept with its refs: a temporary (a schema lifted by the lenient reader) freed later
            # would let another object take its id and be answered these refs
            cached = self._refs[key] = (node, refs_in(node) if isinstance(node, (dict, list)) else [])
        return cached[1]

    def same(self, old: Any, new: Any) -> bool:
        """True when two raw nodes (from the two documents) mean exactly the same thing."""
        if old != new:
            return False
        if not isinstance(old, (dict, list)):
            return True
        cached = self._same.get(id(old))
        if cached is None:  # the node is kept with its answer, as in refs_of
            cached = self._same[id(old)] = (old, self._refs_clean(old))
        return cached[1]

    def _refs_clean(self, node: Any) -> bool:
        """Whether every ref inside `node` is clean, tested on its refs as bytes.

        Thousands of nodes are asked this per diff (most of them equal but holding some ref): testing their refs
        as bytes against the clean refs as bytes skips decoding each one and building lists.
        """
        if isinstance(node, dict):
            for value in node.values():
                if isinstance(value, (dict, list)):
                    break
            else:  # a flat schema (most properties a walk asks about): its one possible ref is read, not serialised
                ref = node.get("$ref")
                return not isinstance(ref, str) or ref in self.clean_refs()
        found = plain_refs_in(node)
        if found is None:  # an escape inside a ref, or too deep: the exact refs
            return self.clean_refs().issuperset(self.refs_of(node))
        if self._clean_bytes is None:
            # surrogatepass: a lone surrogate (from a YAML escape) gives bytes orjson never writes, never a match
            self._clean_bytes = {ref.encode("utf-8", "surrogatepass") for ref in self.clean_refs()}
        return self._clean_bytes.issuperset(found)

    # -- the walk -------------------------------------------------------------------------------
    def compare(self, old: Any, new: Any, place: Place) -> list[Finding]:
        """All findings between two schema nodes (raw, possibly refs) at `place`.

        Findings inside a pair of components are computed once and belong to that pair; every
        comparison that reaches the pair (directly or through other components, cycles included)
        gets all of them, so the operations a finding lists never depend on the order of the walk.
        """
        if self.same(old, new):
            return []
        return self.compare_changed(old, new, place)

    def compare_changed(self, old: Any, new: Any, place: Place) -> list[Finding]:
        """`compare` of two nodes the caller found not to be the same (before it built their place)."""
        scope = _Scope()
        self._walk_changed(old, new, place, 0, scope)
        if not scope.edges:
            return scope.findings
        return [*scope.findings, *self._reachable_findings(scope.edges)]

    def _walk_nested(
        self, old: Any, new: Any, place: Place, segment: str, marker: str, depth: int, scope: _Scope
    ) -> None:
        """Walk a subschema of the pair at `place` (at `segment`); most are the same, and their place is not built."""
        if depth < MAX_DEPTH and not self.same(old, new):
            self._walk_changed(old, new, self._nested(place, segment, marker), depth + 1, scope)

    def _walk_changed(self, old: Any, new: Any, place: Place, depth: int, scope: _Scope) -> None:
        """Walk a pair known not to be the same (its caller asked, before it built the place)."""
        old_ref, new_ref = _ref(old), _ref(new)
        if new_ref is None:
            self._compare_resolved(self.old.deref(old), self.new.deref(new), place, depth, scope)
            return
        args = self._component_args(place, new_ref)
        if old_ref is None:
            at = Place(place.direction, place.scope, place.in_property, new_ref, args)
            self._compare_resolved(self.old.deref(old), self.new.deref(new), at, depth, scope)
            return
        key = (old_ref, new_ref, place.direction, place.scope, place.in_property, args)
        scope.edges.add(key)
        if key in self._scopes:  # done (most components are reached many times), or in progress further up a
            return  # recursive schema: its place is not built
        inner = _Scope()
        self._scopes[key] = inner
        at = Place(place.direction, place.scope, place.in_property, new_ref, args)
        self._compare_resolved(self.old.deref(old), self.new.deref(new), at, 0, inner)

    def _reachable_findings(self, start: set[ComponentKey]) -> list[Finding]:
        if len(start) == 1:  # the usual case: one component, reached from many operations, answered once
            (key,) = start
            known = self._findings_memo.get(key)
            if known is None:
                known = self._findings_memo[key] = self._sorted_findings(self._reach(key))
            return known
        found: set[ComponentKey] = set()
        for key in start:
            found |= self._reach(key)
        return self._sorted_findings(found)

    def _sorted_findings(self, found: Iterable[ComponentKey]) -> list[Finding]:
        return [f for key in sorted(found, key=self._order) for f in self._scopes[key].findings]

    def _order(self, key: ComponentKey) -> str:
        """The sort key of a component pair: its repr, kept (each is sorted many times, and Enum.__repr__ is slow)."""
        order = self._orders.get(key)
        if order is None:
            order = self._orders[key] = repr(key)
        return order

    def _reach(self, start: ComponentKey) -> frozenset[ComponentKey]:
        """The component pairs with findings reachable from `start` (itself included), memoised.

        Real APIs reference a few changed components from most of their operations (Stripe: 700 comparisons
        reach the same graph of thousands of pairs), so walking the graph again for each one was most of a
        diff's time. Called only between top-level comparisons, when every pair reached is complete; one
        iterative Tarjan pass gives every strongly connected component (a recursive schema) its answer.
        """
        memo = self._reach_memo
        known = memo.get(start)
        if known is not None:
            return known
        scopes = self._scopes
        index: dict[ComponentKey, int] = {start: 0}
        low: dict[ComponentKey, int] = {start: 0}
        stack, on_stack = [start], {start}
        work = [(start, iter(scopes[start].edges))]
        while work:
            key, edges = work[-1]
            for nxt in edges:
                if nxt in memo:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(scopes[nxt].edges)))
                    break
                if nxt in on_stack:
                    low[key] = min(low[key], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[key])
                if low[key] == index[key]:  # `key` roots a strongly connected component: pop and answer it
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == key:
                            break
                    found = {m for m in members if scopes[m].findings}
                    for member in members:  # edges leaving the component end at answered pairs
                        for nxt in scopes[member].edges:
                            if nxt in memo:
                                found |= memo[nxt]
                    answer = frozenset(found)
                    for member in members:
                        memo[member] = answer
        return memo[start]

    @staticmethod
    def _component_args(place: Place, ref: str) -> tuple[tuple[str, Any], ...]:
        kept = [kv for kv in place.args if kv[0] in _COMPONENT_ARGS]
        return (*kept, ("schema", ref.rsplit("/", 1)[-1]))

    def _compare_resolved(self, old: Any, new: Any, place: Place, depth: int, scope: _Scope) -> None:
        if not isinstance(old, dict) or not isinstance(new, dict) or old is DANGLING or new is DANGLING:
            return  # a schema behind a broken $ref is unknown: the ref itself is reported as a spec defect
        prepared = self._prepare(old, new)
        old, new = prepared.old, prepared.new
        pair = SchemaPair(old, new, place)
        out = scope.findings
        for name, flag in prepared.lifted:  # a malformed value read leniently, reported where it appears
            escaped = name.replace("~", "~0").replace("/", "~1")
            at = f"{place.location}/properties/{escaped}/required"
            out.append(Finding("spec-malformed-value", at, {"detail": required_flag_detail(name, flag)}))
        if prepared.changed:  # most pairs a walk reaches are alike: only something they reference is not
            for check in checks_for(prepared.changed):  # those that read a key that changed
                out.extend(check(pair))
        if prepared.replaced or is_wholesale(old, new, place.direction):
            return
        split = prepared.split
        if split is not None:  # one object against each alternative, not its properties each removed
            out.extend(check_ambiguous_split(pair, self.new.deref))
            keyword = "oneOf" if isinstance((new if split == "new" else old).get("oneOf"), list) else "anyOf"
            alternatives = (new if split == "new" else old)[keyword]
            for i, branch in enumerate(alternatives):
                a, b = (old, branch) if split == "new" else (branch, new)
                if depth < MAX_DEPTH and not self.same(a, b):
                    at = self._nested(place, f"{keyword}/{i}", "") if split == "new" else place  # where b sits
                    self._walk_changed(a, b, at, depth + 1, scope)
        old_props, new_props = prepared.old_props, prepared.new_props
        if old_props or new_props:
            origins = prepared.origins

            def child(name: str) -> Place:
                ref = origins.get(name)
                return self._child(place, name) if ref is None else self._component_child(place, ref, name)

            out.extend(
                check_properties(pair, old_props, new_props, prepared.flips, self.old.deref, self.new.deref, child)
            )
            if depth < MAX_DEPTH:
                for name in prepared.common:
                    o, n = old_props[name], new_props[name]
                    if not self.same(o, n):  # most properties are: their place is not built
                        self._walk_changed(o, n, child(name), depth + 1, scope)
        o, n = old.get("items"), new.get("items")
        if isinstance(o, dict) and isinstance(n, dict):
            self._walk_nested(o, n, place, "items", "[]", depth, scope)
        o, n = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(o, dict) and isinstance(n, dict):
            self._walk_nested(o, n, place, "additionalProperties", "{}", depth, scope)
        if not _SUBSCHEMA_KEYS.isdisjoint(old) and not _SUBSCHEMA_KEYS.isdisjoint(new):  # rare: one test for all
            for key in _SUBSCHEMA_ORDER:
                if key in old and key in new:
                    self._walk_nested(old[key], new[key], place, key, f"<{key}>", depth, scope)
            for key in ("patternProperties", "dependentSchemas"):
                o, n = old.get(key), new.get(key)
                if isinstance(o, dict) and isinstance(n, dict):
                    for name in o.keys() & n.keys():
                        self._walk_nested(o[name], n[name], place, f"{key}/{name}", f"<{name}>", depth, scope)
        for keyword in ("oneOf", "anyOf"):
            o, n = old.get(keyword), new.get(keyword)
            if isinstance(o, list) or isinstance(n, list):
                matched, removed, added = match_branches(
                    o if isinstance(o, list) else [],
                    n if isinstance(n, list) else [],
                    self.old.deref,
                    self.new.deref,
                    self.same,
                )
                out.extend(check_alternatives(pair, keyword, removed, added, self.old.deref, self.new.deref))
                for a, b in matched:  # located at the alternative's place in the new document
                    if depth < MAX_DEPTH and not self.same(a, b):
                        i = next(k for k, branch in enumerate(n) if branch is b)
                        self._walk_changed(a, b, self._nested(place, f"{keyword}/{i}", ""), depth + 1, scope)

    def _prepare(self, old: dict[str, Any], new: dict[str, Any]) -> _Prepared:
        """What the walk reads of a pair of raw schemas and what does not depend on the place (see `_Prepared`):
        the same for every place the pair is reached from (a component from several operations, directions and
        contexts), so computed once."""
        key = (id(old), id(new))
        known = self._prepared.get(key)
        if known is not None:
            return known[2]
        old_flat, was_flagged = lift_required_flags(self._flatten(old, self.old, 0))
        new_flat, flagged = lift_required_flags(self._flatten(new, self.new, 0))
        old_flat, new_flat = align(old_flat, new_flat)
        p = _Prepared(old_flat, new_flat, [(name, flag) for name, flag in flagged if (name, flag) not in was_flagged])
        if not p.replaced:
            p.split = wrapped_side(old_flat, new_flat, self.old.deref, self.new.deref)
            if p.split is None:  # split: one object against each alternative, not its properties each removed
                p.old_props, p.new_props = properties_of(old_flat), properties_of(new_flat)
                if p.old_props or p.new_props:
                    p.origins = _origins(old_flat, new_flat, p.old_props, p.new_props)
                    p.common = p.old_props.keys() & p.new_props.keys()
                    p.flips = requiredness_changes(old_flat, new_flat, p.common)
        self._prepared[key] = (old, new, p)  # the raw pair is kept, so no other pair takes their ids
        return p

    def _flatten(self, schema: dict[str, Any], resolver: Resolver, depth: int) -> dict[str, Any]:
        """Merge allOf parts into one schema, so moving properties into or out of allOf changes nothing.

        `oneOf: [X, {type: null}]` (the OpenAPI 3.1 way to say nullable) becomes X marked nullable.
        """
        schema = self._unwrap_nullable(schema, resolver)
        parts = schema.get("allOf")
        if not isinstance(parts, list) or depth > 8:
            return schema
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(properties_of(schema))
        required = list(schema.get("required") or []) if isinstance(schema.get("required"), list) else []
        origin: dict[str, str] = {}  # property -> the component (allOf part) that declares it
        required_in: dict[str, str | None] = {r: None for r in required if isinstance(r, str)}
        for part in parts:
            resolved, ref = resolver.resolve(part)
            if not isinstance(resolved, dict):
                continue
            resolved = self._flatten(resolved, resolver, depth + 1)
            inner = resolved.get(ORIGIN, {})
            for k, v in resolved.items():
                if k == ORIGIN:
                    continue
                if k == "properties" and isinstance(v, dict):
                    for name, prop in v.items():
                        if name not in properties:
                            properties[name] = prop
                            if inner.get(name) or ref:
                                origin[name] = inner.get(name) or ref
                elif k == "required" and isinstance(v, list):
                    required.extend(r for r in v if r not in required)
                    for r in v:
                        required_in.setdefault(r, inner.get(r) or ref)
                else:
                    merged.setdefault(k, v)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        # a property keeps its component's location only if its requiredness is stated there too
        origin = {n: ref for n, ref in origin.items() if n not in required_in or required_in[n] == ref}
        if origin:
            merged[ORIGIN] = origin
        return merged

    @staticmethod
    def _unwrap_nullable(schema: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
        for keyword in ("oneOf", "anyOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list) or len(branches) != 2:
                continue
            resolved = [resolver.deref(b) for b in branches]
            nulls = [
                i for i, b in enumerate(resolved) if isinstance(b, dict) and b.get("type") == "null" and len(b) == 1
            ]
            if len(nulls) != 1 or not isinstance(resolved[1 - nulls[0]], dict):
                continue
            merged = {k: v for k, v in schema.items() if k != keyword}
            merged.update(resolved[1 - nulls[0]])
            merged["nullable"] = True
            return merged
        return schema

    @staticmethod
    def _child(place: Place, name: str) -> Place:
        args = dict(place.args)
        parent = args.get("property")
        args["property"] = f"{parent}.{name}" if parent else name
        escaped = name.replace("~", "~0").replace("/", "~1")
        # Place(...) rather than dataclasses.replace, which is 4x slower and runs for every property walked
        return Place(place.direction, place.scope, True, f"{place.location}/properties/{escaped}", tuple(args.items()))

    def _component_child(self, place: Place, ref: str, name: str) -> Place:
        """A property an allOf part brings in: located at that component, as a direct reference to it would be."""
        escaped = name.replace("~", "~0").replace("/", "~1")
        args = (*self._component_args(place, ref), ("property", name))
        return Place(place.direction, place.scope, True, f"{ref}/properties/{escaped}", args)

    @staticmethod
    def _nested(place: Place, segment: str, marker: str) -> Place:
        args = dict(place.args)
        if marker and "property" in args:
            args["property"] = f"{args['property']}{marker}"
        return Place(
            place.direction, place.scope, place.in_property, f"{place.location}/{segment}", tuple(args.items())
        )
