"""Read the Shopee, Lazada and TikTok Shop announcement fixtures as the service does, and what they should say."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.engine import load_spec_bytes
from monitor.sources.announcements import Classification, OperationRef, classify, link_operations, removal_subjects
from monitor.sources.feeds import FeedItem, parse_page

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "sources" / "fixtures" / "platforms"
CONTRACTS = {
    "shopee/order-sync": TESTS / "sandbox" / "platforms" / "shopee-order-sync.yaml",
    "shopee/order-sync-v1": TESTS / "sandbox" / "platforms" / "shopee-order-sync-v1.yaml",
    "lazada/order-sync": TESTS / "sandbox" / "platforms" / "lazada-order-sync.yaml",
    "tiktok-shop/order-sync": TESTS / "sandbox" / "platforms" / "tiktok-shop-order-sync.yaml",
}


@dataclass
class Read:
    label: dict[str, Any]
    item: FeedItem
    classification: Classification
    links: dict[str, list[str]]
    subjects: dict[str, str]


def catalogue() -> list[OperationRef]:
    refs = []
    for source_id, path in CONTRACTS.items():
        spec = load_spec_bytes(path.read_bytes(), str(path))
        refs += [OperationRef(source_id, op.key, op.operation_id, op.path, tuple(op.tags), spec.title, spec.version)
                 for op in spec.operations.values()]  # fmt: skip
    return refs


def labels() -> list[dict[str, Any]]:
    return yaml.safe_load((FIXTURES / "labels.yaml").read_text(encoding="utf-8"))


def read_all() -> list[Read]:
    """Every labelled article, parsed from its page with `article` as the selector, classified and linked."""
    refs = catalogue()
    pages: dict[str, list[FeedItem]] = {}
    found = []
    for label in labels():
        items = pages.setdefault(label["file"], parse_page((FIXTURES / label["file"]).read_bytes(), selector="article",
                                                           base_url=f"https://fixtures.test/{label['file']}"))  # fmt: skip
        item = next(i for i in items if i.title == label["title"])
        c = classify(item)
        links: dict[str, list[str]] = {}
        for source_id, key in link_operations(item, c, refs):
            links.setdefault(source_id, []).append(key)
        subjects = {subject: value.isoformat() for subject, value in removal_subjects(c)}
        found.append(Read(label, item, c, links, subjects))
    return found
