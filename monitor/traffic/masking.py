"""Masking: secret headers and parameters always, personal fields by JSON path, before anything is kept."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.errors import CaptureError
from monitor.redact import MASK, is_secret_header, is_secret_param

# Beyond what `redact` calls a secret (tokens, `sign`, x-amz-*): an OAuth authorization `code` in a captured auth
# callback is a one-time credential, though in logged URLs `code` names too many harmless things to mask everywhere.
SECRET_PARAMS = frozenset({"code"})


@dataclass(frozen=True, slots=True)
class FieldPath:
    """`$.payload.Orders[*].BuyerInfo` or `$..BuyerName`: the values there are personal and get masked."""

    text: str
    steps: tuple[tuple[str, str], ...]  # (kind, name): kind is "key", "any" (recursive descent), "*" or "[]"

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        rest = text.strip()
        if rest.startswith("$"):
            rest = rest[1:]
        elif not rest.startswith("."):
            rest = ".." + rest  # a bare name masks that key at any depth
        steps: list[tuple[str, str]] = []
        i = 0
        while i < len(rest):
            if rest.startswith("..", i):
                i += 2
                name, i = _name(rest, i)
                if not name:
                    raise CaptureError(f"field path {text!r}: `..` must be followed by a key")
                steps.append(("any", name))
            elif rest[i] == ".":
                name, i = _name(rest, i + 1)
                if not name:
                    raise CaptureError(f"field path {text!r}: empty key")
                steps.append(("*", "") if name == "*" else ("key", name))
            elif rest.startswith("[*]", i) or rest.startswith("[]", i):
                steps.append(("[]", ""))
                i += 3 if rest.startswith("[*]", i) else 2
            else:
                raise CaptureError(f"field path {text!r}: expected `.key`, `..key` or `[*]` at {rest[i:]!r}")
        if not steps:
            raise CaptureError(f"field path {text!r} names no field")
        return cls(text, tuple(steps))

    @property
    def last_key(self) -> str | None:
        kind, name = self.steps[-1]
        return name if kind in ("key", "any") else None


def _name(text: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] not in ".[":
        i += 1
    return text[start:i], i


@dataclass(frozen=True, slots=True)
class Masking:
    """What is masked before anything is kept: secret parameters and headers always, personal fields by path."""

    fields: tuple[FieldPath, ...] = ()
    params: frozenset[str] = SECRET_PARAMS

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> Masking:
        return cls(fields=tuple(FieldPath.parse(p) for p in paths))

    def is_secret_param(self, name: str) -> bool:
        # A personal field also names the query parameter of the same name (Amazon's getOrders took BuyerEmail).
        keys = frozenset(f.last_key.lower() for f in self.fields if f.last_key is not None)
        return _is_secret_name(name, self.params, keys)

    def header(self, name: str, value: str) -> str:
        return MASK if is_secret_header(name) or self.is_secret_param(name) else value

    def param(self, name: str, value: str) -> str:
        return MASK if value and self.is_secret_param(name) else value

    def body(self, document: Any) -> Any:
        """The document with every configured personal field's leaves masked (types kept: strings, numbers)."""
        for path in self.fields:
            document = _mask_at(document, path.steps)
        return document


@functools.lru_cache(maxsize=8192)
def _is_secret_name(name: str, params: frozenset[str], personal: frozenset[str]) -> bool:
    """Cached: a capture repeats the same few parameter and header names thousands of times."""
    lowered = name.lower()
    return lowered in params or lowered in personal or is_secret_param(name)


def _mask_leaves(value: Any) -> Any:
    if isinstance(value, str):
        return MASK
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return 0
    if isinstance(value, list):
        return [_mask_leaves(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_leaves(v) for k, v in value.items()}
    return value


def _mask_at(node: Any, steps: tuple[tuple[str, str], ...]) -> Any:
    if not steps:
        return _mask_leaves(node)
    kind, name = steps[0]
    rest = steps[1:]
    if kind == "key":
        if isinstance(node, dict) and name in node:
            node = {**node, name: _mask_at(node[name], rest)}
        return node
    if kind == "*":
        return {k: _mask_at(v, rest) for k, v in node.items()} if isinstance(node, dict) else node
    if kind == "[]":
        return [_mask_at(v, rest) for v in node] if isinstance(node, list) else node
    # recursive descent: the key wherever it sits, under objects and arrays alike (bounded by the body's depth)
    if isinstance(node, dict):
        return {k: _mask_at(v, rest) if k == name else _mask_at(v, steps) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_at(v, steps) for v in node]
    return node


DEFAULT_MASKING = Masking()  # secrets only: no personal field configured
