"""Local `$ref` resolution, and the bundling of sibling files when the caller allows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from monitor.engine.errors import RefusedInput, SpecError

# The patterns start at the `$` (rare in JSON) and check the quote before it with a lookbehind: a pattern starting at
# `"` stops at every quote, twice the time on a whole document.
_REF_VALUE = re.compile(rb'\$(?<="\$)ref":"((?:[^"\\]|\\.)*)"')
_REF_PLAIN = re.compile(rb'\$(?<="\$)ref":"([^"]*)"')  # exact when no ref holds an escape (all real ones)
# A ref as the loader's one pass over the document finds it, right after a key's colon (see `REPAIR_AFTER_COLON`):
# its value with the opening quote, so never empty.
REF_AFTER_COLON = rb'(?<="\$ref":)("[^"]*)"'
_REF_KEY = b'"$ref":"'
MAX_REF_CHAIN = 64  # a chain of refs to refs longer than this is a loop or an attack


def refs_in(node: Any) -> list[str]:
    """Every `$ref` string inside `node`, found on its serialised form (C speed, no Python walk)."""
    try:
        data = orjson.dumps(node)
    except TypeError:  # orjson stops at 255 levels of nesting; hostile files can be deeper
        return _walk_refs(node)
    if _REF_KEY not in data:  # most subtrees hold no ref at all: one C scan decides
        return []
    found = []
    for piece in data.split(_REF_KEY)[1:]:
        value = piece[: piece.find(b'"')]
        if b"\\" in value:  # an escape inside a ref (rare): the regex knows where it really ends
            return [orjson.loads(b'"' + m + b'"') for m in _REF_VALUE.findall(data)]
        found.append(value.decode())
    return found


def plain_refs_in(node: Any) -> list[bytes] | None:
    """The `$ref` values inside `node` as the UTF-8 bytes orjson writes (a ref's `str.encode()`), undecoded.

    None when a value holds an escape or `node` nests deeper than orjson goes: then `refs_in` answers.
    """
    try:
        data = orjson.dumps(node)
    except TypeError:
        return None
    found = _REF_PLAIN.findall(data)  # alone: a `"$ref":"` test first would scan the bytes twice
    return None if b"\\" in b"".join(found) else found


def serialise(node: Any) -> bytes | None:
    """The document as compact JSON bytes, or None when it nests beyond orjson's limit (hostile input)."""
    try:
        return orjson.dumps(node)
    except TypeError:
        return None


def unique_refs_in(node: Any, serialised: bytes | None = None) -> set[str]:
    """The distinct `$ref` strings inside `node` (a whole document has thousands of refs but few distinct ones)."""
    data = serialised if serialised is not None else serialise(node)
    if data is None:
        return set(_walk_refs(node))
    plain = set(_REF_PLAIN.findall(data))
    if b"\\" not in b"".join(plain):  # else a value may have stopped at an escaped quote
        return {value.decode() for value in plain}
    return {orjson.loads(b'"' + m + b'"') for m in set(_REF_VALUE.findall(data))}


def _walk_refs(node: Any) -> list[str]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def pointer_get(root: Any, pointer: str, file: str) -> Any:
    """Follow a local JSON pointer (`#/definitions/Order`) inside `root`."""
    if pointer in ("#", ""):
        return root
    if not pointer.startswith("#/"):
        raise SpecError(file, f"unsupported $ref {pointer!r}: only local refs (#/...) are followed")
    node = root
    for raw in pointer[2:].split("/"):
        node = _step(node, raw)
        if node is _ABSENT:
            raise SpecError(file, f"$ref {pointer!r} points at nothing")
    return node


_ABSENT = object()


def _step(node: Any, raw: str) -> Any:
    """The member or item one pointer segment names (`~1`, `~0` and %-escapes undone), or `_ABSENT`."""
    part = unquote(raw).replace("~1", "/").replace("~0", "~")
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return _ABSENT


def _pointer_get_cached(root: Any, pointer: str, file: str, parents: dict[str, Any]) -> Any:
    """`pointer_get`, with the node each pointer's last segment is looked up in cached by its pointer.

    A document's thousands of refs share a few such nodes (`#/components/schemas`): one dict lookup each then,
    not a walk from the root. Anything that is not found goes through `pointer_get` for its exact error.
    """
    if not pointer.startswith("#/"):
        return pointer_get(root, pointer, file)
    where, _, last = pointer.rpartition("/")
    parent = parents.get(where, _ABSENT)
    if parent is _ABSENT:
        try:
            parent = pointer_get(root, where, file)
        except SpecError:
            return pointer_get(root, pointer, file)  # fails at the same segment, naming the whole ref
        parents[where] = parent
    if isinstance(parent, dict) and "%" not in last and "~" not in last:  # nothing to unescape (nearly every ref)
        found = parent.get(last, _ABSENT)
    else:
        found = _step(parent, last)
    return pointer_get(root, pointer, file) if found is _ABSENT else found


# What a local $ref that points at nothing resolves to: the rest of the document is still compared, the schema
# behind the broken ref is not (it is unknown), and the loader reports the ref as a spec defect (`find_dangling`).
DANGLING: dict[str, Any] = {"x-monitor-dangling-ref": True}


def find_dangling(
    root: Any, file: str, refs: set[str] | None = None, resolver: Resolver | None = None
) -> list[tuple[str, str]]:
    """(pointer of the object holding the `$ref`, the ref) for every local ref that points at nothing.

    `resolver` (of `root`) may have looked the refs up already: the loader's has.
    """
    resolver = resolver or Resolver(root, file, refs)
    bad = {r for r in (resolver.refs if refs is None else refs) if r.startswith("#") and resolver.target(r) is DANGLING}
    if not bad:
        return []
    found = []
    stack: list[tuple[Any, str]] = [(root, "#")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in bad:
                found.append((where, ref))
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    stack.append((value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"))
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(node) if isinstance(value, (dict, list)))
    return sorted(found)


class Resolver:
    """Follows `$ref` chains within one document, caching each target; a ref to nothing gives `DANGLING`."""

    def __init__(self, root: Any, file: str, refs: set[str] | None = None) -> None:
        self.root = root
        self.file = file
        self._cache: dict[str, Any] = {}
        self._parents: dict[str, Any] = {}
        self._refs = refs

    @property
    def refs(self) -> set[str]:
        """Every distinct $ref of the document (given by the loader, which has found them already)."""
        if self._refs is None:
            self._refs = unique_refs_in(self.root)
        return self._refs

    def target(self, ref: str) -> Any:
        found = self._cache.get(ref)
        if found is None:
            try:
                found = _pointer_get_cached(self.root, ref, self.file, self._parents)
            except SpecError:
                found = DANGLING
            self._cache[ref] = found
        return found

    def resolve(self, node: Any) -> tuple[Any, str | None]:
        """Return the node a ref chain ends at, and the last ref followed (None when `node` is no ref)."""
        last: str | None = None
        for _ in range(MAX_REF_CHAIN):
            if not isinstance(node, dict):
                return node, last
            ref = node.get("$ref")
            if not isinstance(ref, str):
                return node, last
            last = ref
            node = self.target(ref)
        raise SpecError(self.file, f"$ref chain through {last!r} does not end (a ref loop)")

    def deref(self, node: Any) -> Any:
        return self.resolve(node)[0]


def check_refs(root: Any, file: Path, *, allow_external: bool, refs: set[str] | None = None) -> Any:
    """Refuse remote and absolute refs; bundle sibling-file refs into the root when allowed.

    Bundled documents live under `x-bundled` and their refs are rewritten to point there, so the
    rest of the engine only ever sees local refs.
    """
    external = {r for r in (unique_refs_in(root) if refs is None else refs) if not r.startswith("#")}
    if not external:
        return root
    bundled: dict[str, Any] = {}
    _bundle(root, file, file.parent.resolve(), allow_external, bundled)
    root = dict(root)
    root["x-bundled"] = bundled
    return root


def _bundle(node: Any, file: Path, folder: Path, allow: bool, bundled: dict[str, Any]) -> None:
    from monitor.engine.loaders.documents import parse_document

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
            continue
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            current["$ref"] = _external_ref(ref, file, folder, allow, bundled, parse_document)
        stack.extend(v for k, v in current.items() if k != "$ref")


def _external_ref(ref: str, file: Path, folder: Path, allow: bool, bundled: dict[str, Any], parse: Any) -> str:
    where, _, fragment = ref.partition("#")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", where):
        raise RefusedInput(str(file), f"remote $ref {ref!r} refused: only files beside the spec may be referenced")
    if where.startswith("/"):
        raise RefusedInput(str(file), f"absolute $ref {ref!r} refused: only files beside the spec may be referenced")
    target = (file.parent / where).resolve()
    if folder not in target.parents and target != folder:
        raise RefusedInput(str(file), f"$ref {ref!r} leaves the spec's folder and is refused")
    if not allow:
        raise RefusedInput(str(file), f"$ref {ref!r} names another file; pass --allow-external-refs to follow it")
    key = str(target.relative_to(folder)).replace("~", "~0").replace("/", "~1")
    if key not in bundled:
        try:
            data = target.read_bytes()
        except OSError as exc:
            raise SpecError(str(file), f"$ref {ref!r}: cannot read {where}: {exc.strerror}") from exc
        bundled[key] = None  # placeholder first: files that refer to each other terminate
        doc = parse(data, str(target))
        _bundle(doc, target, folder, True, bundled)
        _localise(doc, key)
        bundled[key] = doc
    return f"#/x-bundled/{key}" + (fragment[1:] and f"/{fragment[1:]}" if fragment.startswith("/") else "")


def _localise(node: Any, key: str) -> None:
    """Rewrite a bundled file's own local refs (`#/X`) to its place under `x-bundled`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and not ref.startswith("#/x-bundled/"):
                current["$ref"] = f"#/x-bundled/{key}" + ref[1:]
            stack.extend(v for k, v in current.items() if k != "$ref")
