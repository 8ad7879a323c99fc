"""Turn bytes into a JSON-like tree: orjson for JSON, PyYAML's safe loader for YAML, both bounded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from monitor.engine.errors import RefusedInput, SpecError

if TYPE_CHECKING:
    import yaml

MAX_SPEC_BYTES = 64 * 1024 * 1024  # the largest real spec we know (Stripe) is 4.2 MB; 15x headroom
MAX_YAML_NODES = 2_000_000  # expanded node count; a 7.4 MB spec has ~600k, a billion-laughs file has 10^9


def parse_document(data: bytes, name: str) -> Any:
    """Parse JSON or YAML bytes; JSON is tried first because it is 50x faster and most specs are JSON."""
    if len(data) > MAX_SPEC_BYTES:
        raise RefusedInput(name, f"file is {len(data)} bytes, over the {MAX_SPEC_BYTES}-byte limit")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return parse_json(data, name)
    return parse_yaml(data, name)


def parse_json(data: bytes, name: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "UTF-8" not in exc.msg:
            raise SpecError(name, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from exc
    # Real specs carry stray cp1252 bytes in descriptions (Amazon services 6a74cd37); like Go's decoder,
    # replace them rather than refuse the whole file.
    text = data.decode("utf-8", errors="replace")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SpecError(name, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from exc


def parse_yaml(data: bytes, name: str) -> Any:
    import yaml  # here: importing PyYAML costs ~15 ms per process, and most specs are JSON

    # libyaml is 10x faster; the pure-Python loader behaves the same
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(data)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(name, "the file is empty")
        _check_expansion(node, name)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = f"invalid YAML: {exc.problem or exc.context}"
        if mark is None:
            raise SpecError(name, reason) from exc
        raise SpecError(name, reason, line=mark.line + 1, column=mark.column + 1) from exc
    except yaml.YAMLError as exc:
        raise SpecError(name, f"invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise RefusedInput(name, "YAML nesting is too deep") from exc
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse documents whose aliases expand to more nodes than any real spec has ("billion laughs").

    Aliases share one node object, so the expanded size is computed once per distinct node.
    """
    import yaml

    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in in_progress:
            raise RefusedInput(name, "recursive YAML alias")
        total = 1
        if isinstance(node, yaml.SequenceNode):
            in_progress.add(key)
            for child in node.value:
                total += size(child)
            in_progress.discard(key)
        elif isinstance(node, yaml.MappingNode):
            in_progress.add(key)
            for k, v in node.value:
                total += size(k) + size(v)
            in_progress.discard(key)
        if total > MAX_YAML_NODES:
            raise RefusedInput(name, f"YAML aliases expand to more than {MAX_YAML_NODES} nodes (alias bomb?)")
        sizes[key] = total
        return total

    size(root)
