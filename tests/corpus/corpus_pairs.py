"""Every version pair the corpus manifests list, read in place from ../shared/corpus (never copied).

Shared by the corpus tests and `bench/compare_oasdiff.py`. The manifests come in two shapes:

* `amazon/manifest.json`: `pairs: [{old_file, new_file, category, ...}]`; a removed API has `new_file` null
  or a `.removed.md` tombstone, a re-added one has `old_file` null;
* `stripe/manifest.json`: `pairs: [{old: {file}, new: {file}, ...}]`;
* `etsy`, `bolcom`, `ebay`, `walmart`: `lineages: [{versions: [{file, spec_format, diff_from_previous}]}]`,
  where a version with `diff_from_previous.previous_file` makes one pair.

Paths in a `Pair` are relative to the corpus folder (`amazon/ordersV0/cdda8717_2023-02-22.json`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLATFORMS = ("amazon", "etsy", "bolcom", "ebay", "walmart", "stripe")


@dataclass(frozen=True)
class Pair:
    platform: str
    old: str | None  # None: the file did not exist yet (re-added API)
    new: str | None  # None: the API file was removed (no file, or only a .removed.md tombstone)
    old_format: str = ""  # "swagger 2.0", "openapi 3.0.1", ... as the manifest says ("" when unknown)
    new_format: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def id(self) -> str:
        """A short readable test id: `amazon/ordersV0/cdda8717->07110543`."""

        def short(path: str | None) -> str:
            return "(none)" if path is None else Path(path).name.split("_", 1)[0]

        folder = str(Path(self.old or self.new or "").parent)
        return f"{folder}/{short(self.old)}->{short(self.new)}"

    @property
    def is_openapi3(self) -> bool:
        return self.old_format.startswith("openapi 3") and self.new_format.startswith("openapi 3")


def _load(corpus: Path, platform: str) -> dict[str, Any]:
    return json.loads((corpus / platform / "manifest.json").read_text(encoding="utf-8"))


def manifest_pairs(corpus: Path, platforms: tuple[str, ...] = PLATFORMS) -> list[Pair]:
    """Every pair of every platform manifest, in manifest order."""
    pairs: list[Pair] = []
    for platform in platforms:
        manifest = _load(corpus, platform)
        if platform == "amazon":
            for p in manifest["pairs"]:
                new = p["new_file"]
                if new is not None and not new.endswith(".json"):
                    new = None  # `<sha>_<date>.removed.md`: the API file was deleted
                fmt = p.get("spec_format") or ""
                pairs.append(Pair(
                    platform,
                    p["old_file"] and f"amazon/{p['old_file']}",
                    new and f"amazon/{new}",
                    fmt if p["old_file"] else "",
                    fmt if new else "",
                    p,
                ))  # fmt: skip
        elif platform == "stripe":
            for p in manifest["pairs"]:
                pairs.append(Pair(
                    platform, f"stripe/{p['old']['file']}", f"stripe/{p['new']['file']}",
                    p["old"]["spec_format"], p["new"]["spec_format"], p,
                ))  # fmt: skip
        else:
            for lineage in manifest["lineages"]:
                formats = {v["file"]: v.get("spec_format", "") for v in lineage["versions"]}
                for version in lineage["versions"]:
                    previous = (version.get("diff_from_previous") or {}).get("previous_file")
                    if previous is None:
                        continue
                    pairs.append(Pair(
                        platform, f"{platform}/{previous}", f"{platform}/{version['file']}",
                        formats.get(previous, ""), version.get("spec_format", ""),
                        {"lineage": lineage["lineage"], **version},
                    ))  # fmt: skip
    return pairs


def empty_spec_like(spec_format: str) -> bytes:
    """A spec with no operations, standing in for a file that does not exist (removed or not yet added)."""
    if spec_format.startswith("swagger"):
        return b'{"swagger": "2.0", "info": {"title": "(no file)", "version": "0"}, "paths": {}}'
    return b'{"openapi": "3.0.3", "info": {"title": "(no file)", "version": "0"}, "paths": {}}'
