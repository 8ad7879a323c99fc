"""What an announcement reading produces: categories, date kinds, the classification, operation refs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEPRECATION = "deprecation"
REMOVAL = "removal"
BREAKING = "breaking-change"
NEW_VERSION = "new-version"
RATE_LIMIT = "rate-limit"
MAINTENANCE = "maintenance"
OTHER = "other"
# Also the tie-break order: a scheduled removal is still a deprecation notice until it happens.
CATEGORIES = (DEPRECATION, REMOVAL, BREAKING, RATE_LIMIT, MAINTENANCE, NEW_VERSION, OTHER)

# Date kinds in `Classification.dates`.
KIND_REMOVAL = "removal"  # removed, sunset, decommissioned, no longer available, migrate by...
KIND_DEPRECATION = "deprecation"
KIND_EFFECTIVE = "effective"  # effective, starting, as of...
KIND_PREVIOUS = "previous"  # the old value in "the removal date has changed from <previous> to <new>"
KIND_MENTIONED = "mentioned"  # any other date (a post date, a release date)


@dataclass
class Classification:
    """What `classify` read in one item."""

    category: str  # one of CATEGORIES
    severity: str  # high, medium, low
    effective_date: date | None
    removal_date: date | None  # the first removal date, which belongs to `removals[0]` when there is one
    dates: list[tuple[str, date, str]] = field(default_factory=list)  # (kind, date, snippet) in reading order
    apis: list[str] = field(default_factory=list)  # APIs (and eBay methods) the item is about
    successors: list[str] = field(default_factory=list)  # APIs it tells you to migrate to
    identifiers: list[str] = field(default_factory=list)  # operation ids, feed/report/notification types named
    removals: list[tuple[str, date]] = field(default_factory=list)  # (subject, removal date) in reading order


@dataclass(frozen=True)
class OperationRef:
    """One operation of a monitored spec, as `link_operations` needs it."""

    source_id: str  # the spec source (or model name) the operation belongs to
    key: str  # the engine's operation key, "GET /catalog/v0/items/{}"
    operation_id: str | None
    path: str
    tags: tuple[str, ...]
    api_title: str
    api_version: str
