"""link_operations(): the operations of monitored specs an announcement is about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from monitor.sources.announcements.classify import _body_text
from monitor.sources.announcements.keywords import _BOUNDARY, _UNAFFECTED
from monitor.sources.announcements.model import Classification, OperationRef
from monitor.sources.announcements.names import (
    _CAMEL,
    _PATH,
    _api_mentions,
    _is_successor,
    _Mention,
    _normalise_version,
    api_key,
)
from monitor.sources.feeds import FeedItem
from monitor.sources.platforms import api_paths

# -- links ------------------------------------------------------------------------------------------------------------


def link_operations(
    item: FeedItem, classification: Classification, catalogue: Sequence[OperationRef]
) -> list[tuple[str, str]]:
    """(source_id, operation key) pairs of the catalogue's operations the item is about.

    Usage: `link_operations(item, classify(item), refs)`

    An API named with a version links the operations of the spec with that name and version (names compare after
    `api_key`, against both the source id and the spec title); without a version only when one spec has that name.
    Operation ids named in the text narrow the API to those operations (each id goes to the nearest API named
    before it that has it); a path ("GET /orders/v0/orders") links that operation. APIs named only as migration
    targets are not linked.
    """
    if not catalogue:
        return []
    text = f"{item.title}\n{_body_text(item)}"
    index = _CatalogueIndex(catalogue)
    named: list[tuple[_Mention | None, list[str]]] = [
        (m, index.sources_for(m.key)) for m in _api_mentions(text) if not m.is_successor
    ]
    # eBay's `api` element names the API outside the prose; it has no position, so it only decides last.
    named += [(None, index.sources_for(api_key(name))) for name in classification.apis[:1] if item.extra.get("api")]
    links: list[tuple[str, str]] = []
    narrowed: set[str] = set()
    for match in _CAMEL.finditer(text):
        if _is_successor(text, match.start()) or _is_unaffected(text, match.start()):
            continue
        refs = index.by_operation_id.get(match.group(0).lower(), [])
        sources = {ref.source_id for ref in refs}
        chosen = _nearest_source(named, sources, match.start())
        for ref in refs:
            if ref.source_id == chosen:
                links.append((ref.source_id, ref.key))
                narrowed.add(ref.source_id)
    for _, named_sources in named:
        for source_id in named_sources:
            if source_id not in narrowed:
                links += [(ref.source_id, ref.key) for ref in index.by_source[source_id]]
    links += _path_links(text, index)
    return _unique_pairs(links)


def _is_unaffected(text: str, position: int) -> bool:
    """Whether the list around `position` is of operations that stay ("...: Will remain operational")."""
    start = max(text.rfind(";", 0, position), text.rfind("；", 0, position), text.rfind("\n", 0, position)) + 1
    ends = [i for i in (text.find(";", position), text.find("；", position), text.find("\n", position)) if i >= 0]
    return bool(_UNAFFECTED.search(text, start, min(ends, default=len(text))))


def _nearest_source(named: list[tuple[_Mention | None, list[str]]], sources: set[str], position: int) -> str | None:
    """The source of the API named nearest before `position` that has the operation; else after; else the only one."""
    before = [(m.start, s) for m, found in named if m is not None and m.start < position for s in found if s in sources]
    if before:
        return max(before)[1]
    after = [(m.start if m else 0, s) for m, found in named for s in found if s in sources]
    if after:
        return min(after)[1]
    return next(iter(sources)) if len(sources) == 1 else None


_URL_PATH = re.compile(r"\bhttps?://[A-Za-z0-9.-]+(?::\d+)?(?P<path>/[\w{}.~/-]*)")
# Gateway prefixes that are not part of an API's name: Lazada's `https://api.lazada.sg/rest/orders/get` is `/orders/get`.
_GATEWAY_PREFIXES = ("/rest/",)


def _path_links(text: str, index: _CatalogueIndex) -> list[tuple[str, str]]:
    """Operations named by path (`GET /orders/v0/orders`, Lazada `/orders/get`, TikTok `/order/202309/orders/search`),
    by full URL, or by a platform's own API name (Shopee `v2.order.get_order_list`)."""
    named: list[tuple[int, str | None, str]] = [(m.start(), m["method"], m["path"]) for m in _PATH.finditer(text)]
    named += [(m.start(), None, m["path"]) for m in _URL_PATH.finditer(text)]
    named += [(start, None, path) for start, path in api_paths(text)]
    links = []
    for position, method, raw in named:
        if _UNAFFECTED.search(_sentence(text, position)):  # "GetOrder (/order/get) is not affected"
            continue
        path = _template(raw.rstrip("/.,;:)"))
        if path.count("/") < 2:  # "/v3" alone names no operation
            continue
        candidates = [path] + [path[len(p) - 1 :] for p in _GATEWAY_PREFIXES if path.startswith(p)]
        for candidate in candidates:
            for ref in index.by_path.get(candidate, []):
                if method is None or ref.key.startswith(method + " "):
                    links.append((ref.source_id, ref.key))
    return links


def _sentence(text: str, position: int) -> str:
    start = max(
        (m.end() for m in _BOUNDARY.finditer(text, max(0, position - 300), position)), default=max(0, position - 300)
    )
    end = _BOUNDARY.search(text, position)
    return text[start : end.start() if end else min(len(text), position + 300)]


def _template(path: str) -> str:
    return re.sub(r"\{[^}/]*\}", "{}", path).rstrip("/")


def _unique_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))


class _CatalogueIndex:
    """Lookups over the catalogue: names per source, operations per source and per operation id."""

    def __init__(self, catalogue: Sequence[OperationRef]) -> None:
        self.by_source: dict[str, list[OperationRef]] = {}
        self.by_operation_id: dict[str, list[OperationRef]] = {}
        self.by_path: dict[str, list[OperationRef]] = {}
        self.names: dict[str, set[tuple[str, str | None]]] = {}
        for ref in catalogue:
            self.by_source.setdefault(ref.source_id, []).append(ref)
            self.by_path.setdefault(_template(ref.path), []).append(ref)
            if ref.operation_id and len(ref.operation_id) >= 6:  # "search", "list": too common as words
                self.by_operation_id.setdefault(ref.operation_id.lower(), []).append(ref)
            version = _normalise_version(ref.api_version)
            from_source = api_key(ref.source_id.rsplit("/", 1)[-1])
            self.names.setdefault(ref.source_id, set()).update(
                {(from_source[0], from_source[1] or version), (api_key(ref.api_title)[0], version)}
            )

    def sources_for(self, key: tuple[str, str | None]) -> list[str]:
        name, version = key
        if not name:
            return []
        matching = [s for s, names in self.names.items() if any(n == name for n, _ in names)]
        if version is not None:
            return [s for s in matching if (name, version) in self.names[s]]
        # An unversioned name ("Catalog Items API") is only trusted when it is unambiguous.
        return matching if len(matching) == 1 else []
