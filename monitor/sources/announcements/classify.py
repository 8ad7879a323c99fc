"""classify(): category, severity and dates of one announcement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from monitor.sources.announcements.dates import _date_kind_of, _structured_dates, _text_dates
from monitor.sources.announcements.keywords import (
    _ACTION_REQUIRED,
    _BODY_CAP,
    _CATEGORY_KEYWORDS,
    _NEUTRAL,
    _TITLE_WEIGHT,
)
from monitor.sources.announcements.model import (
    BREAKING,
    CATEGORIES,
    DEPRECATION,
    KIND_DEPRECATION,
    KIND_EFFECTIVE,
    KIND_MENTIONED,
    KIND_REMOVAL,
    MAINTENANCE,
    OTHER,
    RATE_LIMIT,
    REMOVAL,
    Classification,
)
from monitor.sources.announcements.names import _api_mentions, _apis, _identifiers, _unique
from monitor.sources.announcements.subjects import _removal_subjects
from monitor.sources.feeds import FeedItem

# -- classify ---------------------------------------------------------------------------------------------------------


def classify(item: FeedItem) -> Classification:
    """Category, severity, dates and named APIs of one announcement.

    Usage: `c = classify(item); c.category, c.removal_date, c.apis`

    The text read is the title, the summary and the custom elements (eBay's `deprecationDate`, feed categories).
    Each date gets a kind from the words around it in its clause; `removal_date` is the first removal date and
    `effective_date` the first effective, else deprecation, else other date.
    """
    title = item.title
    body = _body_text(item)
    text = f"{title}\n{body}"
    mentions = _api_mentions(text)
    # Dates in custom elements are read once, by name (_structured_dates); they sit at the end of the text.
    prose_end = len(text) - len(_dated_extras_text(item))
    dates = sorted(_structured_dates(item) + _text_dates(text, prose_end, item), key=lambda d: d[0])
    removal = _removal_subjects(text, dates, mentions, item)
    category = _category(title, body, item.extra)
    removal_date = removal[0][1] if removal else _first(dates, KIND_REMOVAL)
    return Classification(
        category=category,
        severity=_severity(category, removal_date, text + " " + item.extra.get("categories", "")),
        effective_date=_effective_date(dates),
        removal_date=removal_date,
        dates=[(kind, value, snippet) for _, kind, value, snippet in dates],
        apis=_apis(mentions, item),
        successors=_unique(m.name for m in mentions if m.is_successor),
        identifiers=_identifiers(text, item),
        removals=removal,
    )


def _body_text(item: FeedItem) -> str:
    """Summary, then custom elements as "name: value" lines (so "notes: ... will be decommissioned" is read too),
    the ones whose name says what their date is last."""
    lines = [item.summary] if item.summary else []
    lines += [
        f"{name}: {value}" for name, value in item.extra.items() if name != "categories" and not _date_kind_of(name)
    ]
    dated = _dated_extras_text(item)
    return "\n".join([*lines, dated] if dated else lines)


def _dated_extras_text(item: FeedItem) -> str:
    return "\n".join(f"{name}: {value}" for name, value in item.extra.items() if _date_kind_of(name))


def _category(title: str, body: str, extra: dict[str, str]) -> str:
    head = "\n".join([title, extra.get("categories", "")])
    scores = {category: 0 for category in CATEGORIES}
    for category, patterns in _CATEGORY_KEYWORDS.items():
        for pattern in patterns:
            scores[category] += _TITLE_WEIGHT * min(1, len(pattern.findall(_NEUTRAL.sub(" ", head))))
            scores[category] += min(_BODY_CAP, len(pattern.findall(_NEUTRAL.sub(" ", body))))
    best = max(CATEGORIES, key=lambda c: (scores[c], -CATEGORIES.index(c)))
    return best if scores[best] > 0 else OTHER


def _severity(category: str, removal_date: date | None, text: str) -> str:
    if category in (REMOVAL, BREAKING) or removal_date is not None or _ACTION_REQUIRED.search(text):
        return "high"
    if category in (DEPRECATION, RATE_LIMIT, MAINTENANCE):
        return "medium"
    return "low"


def _first(dates: Sequence[tuple[int, str, date, str]], kind: str) -> date | None:
    return next((value for _, k, value, _ in dates if k == kind), None)


def _effective_date(dates: Sequence[tuple[int, str, date, str]]) -> date | None:
    """When the change takes effect: an "effective/starting/as of" date, else the deprecation date, else any date."""
    return _first(dates, KIND_EFFECTIVE) or _first(dates, KIND_DEPRECATION) or _first(dates, KIND_MENTIONED)
