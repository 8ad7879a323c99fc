"""Read an announcement: what kind of change it is, which dates it sets, and which spec operations it is about.

Usage:

    c = classify(item)                       # category, severity, effective and removal dates, APIs named
    links = link_operations(item, c, refs)   # [(source_id, "GET /catalog/v0/items"), ...]
    subject = subject_key(c, links)          # what the removal date is about, to notice when it moves

Pure functions over `FeedItem`s: keyword rules in English and Chinese, no model, no network, no database. How they
work and how accurate they are on the real corpus is in docs/announcements.md. One module per concern, like the
engine's rules: `keywords` (the words), `dates` (what each date is), `names` (APIs, operation ids, paths),
`subjects` (what a removal date is about), `links` (operations of monitored specs), `classify` (the whole reading);
per-platform name forms (Shopee `v2.order.get_order_list`) live in `monitor.sources.platforms`.
"""

from __future__ import annotations

from monitor.sources.announcements.classify import classify
from monitor.sources.announcements.links import link_operations
from monitor.sources.announcements.model import (
    BREAKING,
    CATEGORIES,
    DEPRECATION,
    MAINTENANCE,
    NEW_VERSION,
    OTHER,
    RATE_LIMIT,
    REMOVAL,
    Classification,
    OperationRef,
)
from monitor.sources.announcements.names import api_key
from monitor.sources.announcements.subjects import removal_subjects, subject_key

__all__ = [
    "BREAKING",
    "CATEGORIES",
    "DEPRECATION",
    "MAINTENANCE",
    "NEW_VERSION",
    "OTHER",
    "RATE_LIMIT",
    "REMOVAL",
    "Classification",
    "OperationRef",
    "api_key",
    "classify",
    "link_operations",
    "removal_subjects",
    "subject_key",
]
