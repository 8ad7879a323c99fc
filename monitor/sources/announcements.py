"""Read an announcement: what kind of change it is, which dates it sets, and which spec operations it is about.

Usage:

    c = classify(item)                       # category, severity, effective and removal dates, APIs named
    links = link_operations(item, c, refs)   # [(source_id, "GET /catalog/v0/items"), ...]
    subject = subject_key(c, links)          # what the removal date is about, to notice when it moves

Pure functions over `FeedItem`s: keyword rules in English and Chinese, no model, no network, no database. How they
work and how accurate they are on the real corpus is in docs/announcements.md.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from monitor.sources.feeds import FeedItem, find_dates

__all__ = [
    "CATEGORIES",
    "Classification",
    "OperationRef",
    "api_key",
    "classify",
    "link_operations",
    "removal_subjects",
    "subject_key",
]

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


# -- keywords ---------------------------------------------------------------------------------------------------------


def _words(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


# Chinese has no word boundaries, so its keywords are plain substrings.
_CATEGORY_KEYWORDS: dict[str, list[re.Pattern[str]]] = {
    REMOVAL: _words(
        r"\bremov(?:e|ed|es|al|ing)\b", r"\bsunset\w*", r"\bdecommission\w*", r"\bretir(?:e|ed|es|ing|ement)\b",
        r"\bend[- ]of[- ](?:life|support)\b", r"\bdiscontinu\w*", r"\bno longer (?:be )?(?:available|supported)\b",
        r"\bshut(?:ting)? down\b", r"\bstop(?:s|ped)? (?:running|working)\b", r"\bwill (?:start to )?fail\b",
        r"下线|停用|移除|删除|停止(?:服务|支持|使用)|关闭|退役",
    ),
    DEPRECATION: _words(r"\bdeprecat\w*", r"\bdepreciat\w*", r"\blegacy\b", r"\bobsolete\b", r"弃用|废弃|不再推荐|过时"),
    BREAKING: _words(
        r"\bbreaking\b", r"\b(?:to be|becomes?|became|is now|are now|now)\s+required\b",
        r"\bmake\s+(?:\w+\s+){0,3}required\b", r"\brequired\s+(?:propert|field|argument|parameter)\w*\b[^.\n]{0,60}"
        r"\bremoved\b", r"\bno longer (?:accepts?|supports?)\b", r"\brejects?\b", r"\bincompatib\w*",
        r"\bchanged? from (?:an? )?(?:object|string|array|integer|number|boolean|optional|required)\b",
        r"\bresponse[- ]shape\b", r"不兼容|破坏性|必填|变更",
        # a field or value that stops appearing in responses breaks every reader of it
        r"\b(?:no longer|not) (?:be )?returned\b", r"\bstop(?:s|ped)? (?:being )?returned\b",
        r"\bstop(?:s|ped)? returning\b", r"不再返回",
    ),
    NEW_VERSION: _words(
        r"^new\b", r"\bnew:", r"\bintroduc\w*", r"\bnew (?:api )?version\b", r"\bnow available\b", r"\blaunch\w*",
        r"\bgenerally available\b",
        r"\bwhat'?s new\b", r"新版本|发布|推出|上线",
    ),
    RATE_LIMIT: _words(
        r"\brate[- ]limit\w*", r"\bthrottl\w*", r"\bquotas?\b", r"\brequests? per (?:second|minute|hour|day)\b",
        r"\busage plan\b", r"限流|限速|配额|调用频率|速率限制",
    ),
    MAINTENANCE: _words(
        r"\bmaintenance\b", r"\bdowntime\b", r"\boutage\b", r"\bservice (?:interruption|unavailable)\b",
        r"维护|停机|宕机",
    ),
}  # fmt: skip
# Enumerations of change kinds ("APIs added or removed") describe a changelog, they announce nothing.
_NEUTRAL = re.compile(r"\badded (?:or|and|/) removed\b|\bremoved (?:or|and|/) added\b", re.IGNORECASE)
_ACTION_REQUIRED = re.compile(r"\baction required\b|需要(?:您)?(?:采取)?行动|必须迁移", re.IGNORECASE)
_TITLE_WEIGHT = 3  # a title (or a feed category tag) says what the post is about; the body mentions things
_BODY_CAP = 3  # occurrences of one keyword counted in a body, so one long list does not outvote the title

# Words close to a date that say what the date is. Chinese puts the verb after the date (将于2025年3月31日下线).
_DATE_KEYWORDS: list[tuple[str, re.Pattern[str]]] = [
    (KIND_REMOVAL, re.compile(
        r"\bremov(?:e|ed|al)\b|\bsunset\w*|\bdecommission\w*|\bretire[ds]?\b|\bend[- ]of[- ](?:life|support)\b"
        r"|\bdiscontinu\w*|\bno longer\b|\bstop(?:s|ped)? (?:running|working|being returned|returning)\b"
        r"|\bshut(?:ting)? down\b"
        r"|\bfail\b|\buntil\b|\bmigrat\w* (?:to\b.*\b)?by\b|\bmust be (?:migrated|completed)\b|\bdeadline\b"
        r"|下线|停用|移除|删除|停止|关闭|退役|截止|前(?:完成)?迁移",
        re.IGNORECASE,
    )),
    (KIND_DEPRECATION, re.compile(r"\bdeprecat\w*|\bdepreciat\w*|\blegacy\b|弃用|废弃", re.IGNORECASE)),
    (KIND_EFFECTIVE, re.compile(
        r"\beffective\b|\bstarting\b|\bstarts?\b|\bbeginning\b|\bbegins?\b|\bas of\b|\bfrom\b|\bafter\b"
        r"|生效|起|开始",
        re.IGNORECASE,
    )),
]  # fmt: skip
# A date directly followed by "to <date>" is the old value of a moved date; the new one inherits its kind.
_MOVED_TO = re.compile(r"^\s*(?:to|->|→|改为|推迟到|推迟至|延期到|延期至|延至|调整为)\s*$")
_TODAY = re.compile(r"\btoday\b|今天|今日", re.IGNORECASE)
# Clause boundaries: a date's context never reaches past one. ": " and " - " end a heading ("Reminders - June 2025").
# A Latin comma is none: "Effective March 31, 2026, the operation will no longer be available" is one clause.
_BOUNDARY = re.compile(r"[.;!?](?=\s|$)|\n|[，；。！？|]|:\s|\s[-–—]\s")
_CONTEXT_CHARS = 120
_MAX_DATES = 200  # a real post states a few dozen; a hostile one must not make the subject search quadratic

# -- names ------------------------------------------------------------------------------------------------------------

# Names stay on one line: " " and tabs only, never a line break, between their words.
_WORD = r"(?<![\w-])[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_NAME = rf"{_WORD}(?:[ \t]+(?:and[ \t]+|&[ \t]+)?{_WORD})*"
_VERSION = r"v?\d{4}-\d{2}-\d{2}\b|v\d+(?:\.\d+)*\b"
# "Catalog Items API v0", "Catalog Items v0 API", "Fulfillment Inbound v0", "Trading API", "Seller Performance APIs"
_API_MENTION = re.compile(
    rf"(?P<name>{_NAME})[ \t]+(?:(?:APIs?\b)(?:[ \t]+(?:version[ \t]+)?(?P<v1>{_VERSION}))?"
    rf"|(?P<v2>{_VERSION})(?:[ \t]+APIs?\b)?)"
)
# eBay-style model names: sell_account, buy_order_v2, commerce_taxonomy_v1_beta
_SNAKE_API = re.compile(r"\b(?:sell|buy|commerce|developer|post_order)_[a-z]+(?:_[a-z0-9]+)*\b")
# Capitalised words that start a title or sentence, not an API name ("Introducing Walmart Marketplace API").
_LEADING_NOISE = {
    "the", "new", "a", "an", "our", "your", "this", "these", "all", "deprecated", "legacy", "old", "introducing",
    "announcing", "deprecating", "removing", "sunsetting", "update", "updated", "upcoming", "reminder", "important",
}  # fmt: skip
_NAME_STOPWORDS = {"api", "apis", "the", "selling", "partner", "for", "sp", "oas3", "oas", "beta", "model", "json"}
_SUCCESSOR_BEFORE = re.compile(
    r"(?:\bmigrat\w*|\bmov(?:e|ing)|\bswitch(?:ing)?|\bupgrad\w*|\btransition\w*)\s+to\b[^.;\n]{0,80}$"
    r"|\breplaced by\b[^.;\n]{0,40}$|\bin favou?r of\b[^.;\n]{0,40}$|\buse\s+(?:the\s+)?$|\blaunch of\s+(?:the\s+)?$"
    r"|迁移(?:到|至)[^。；\n]{0,40}$|改用[^。；\n]{0,20}$",
    re.IGNORECASE,
)
_UPPER_SNAKE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_CAMEL = re.compile(r"\b(?:[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+|[A-Z][a-z][a-z0-9]*(?:[A-Z][a-z][a-z0-9]*)+)\b")
_PATH = re.compile(
    r"(?:\b(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+)?(?<![\w.:/])(?P<path>/[\w{}.~-]+(?:/[\w{}.~-]*)*)"
)


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


# -- dates ------------------------------------------------------------------------------------------------------------

# Custom elements whose name says what their date is: eBay's deprecationDate/decommissionDate, Shopify's effectiveAt.
_STRUCTURED_KINDS = [
    (
        re.compile(r"(?:decommission|removal|sunset|retire|end_?of_?life|eol)\w*(?:date|at)$", re.IGNORECASE),
        KIND_REMOVAL,
    ),
    (re.compile(r"deprecat\w*(?:date|at)$", re.IGNORECASE), KIND_DEPRECATION),
    (re.compile(r"^(?:effective|start)(?:_?date|_?at)?$", re.IGNORECASE), KIND_EFFECTIVE),
]


def _date_kind_of(name: str) -> str | None:
    return next((kind for pattern, kind in _STRUCTURED_KINDS if pattern.search(name)), None)


def _structured_dates(item: FeedItem) -> list[tuple[int, str, date, str]]:
    found = []
    for name, value in item.extra.items():
        kind = _date_kind_of(name)
        dates = find_dates(value) if kind else []
        if kind and dates:
            found.append((-1, kind, dates[0][2], f"{name}: {value}"[:200]))
    return found


def _text_dates(text: str, prose_end: int, item: FeedItem) -> list[tuple[int, str, date, str]]:
    """(position, kind, date, snippet) for every date written in text[:prose_end], plus "today" removals."""
    spans = find_dates(text[:prose_end])[:_MAX_DATES]
    kinds: list[str] = []
    for index, (start, end, _) in enumerate(spans):
        previous_end = spans[index - 1][1] if index else 0
        next_start = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        before = _clause_before(text, max(previous_end, start - _CONTEXT_CHARS), start)
        after = _clause_after(text, end, min(next_start, end + _CONTEXT_CHARS))
        kinds.append(_date_kind(before, after))
        if index and _MOVED_TO.match(text[previous_end:start]):
            # "changed from <old> to <new>": the kind read before <old> belongs to <new>.
            kinds[index], kinds[index - 1] = kinds[index - 1], KIND_PREVIOUS
    found = [
        (start, kind, value, _snippet(text, start, end)) for (start, end, value), kind in zip(spans, kinds, strict=True)
    ]
    return found + _today_removals(text, item, spans)


def _clause_before(text: str, start: int, end: int) -> str:
    window = text[start:end]
    cuts = [m.end() for m in _BOUNDARY.finditer(window)]
    return window[cuts[-1] :] if cuts else window


def _clause_after(text: str, start: int, end: int) -> str:
    window = text[start:end]
    match = _BOUNDARY.search(window)
    return window[: match.start()] if match else window


def _date_kind(before: str, after: str) -> str:
    # Removal and deprecation words outrank effective words wherever they sit in the clause: in "the removal date
    # has changed from <date>", "from" is nearer but "removal" says what the date is.
    strong = (KIND_REMOVAL, KIND_DEPRECATION)
    kind = _nearest_keyword(before, strong, from_end=True)
    # After the date: "Effective March 31, 2026, the operation will no longer be available"; "于2025年3月31日下线".
    kind = kind or _nearest_keyword(after, strong, from_end=False)
    if kind:
        return kind
    if _nearest_keyword(before, (KIND_EFFECTIVE,), from_end=True) or _nearest_keyword(
        after, (KIND_EFFECTIVE,), from_end=False
    ):
        return KIND_EFFECTIVE
    return KIND_MENTIONED


# "the deprecated Finances API will be decommissioned": an adjective says what a thing is, not what the date is
_ADJECTIVE_BEFORE = re.compile(r"\b(?:the|a|an|all|any|these|those|its|their|our|already)\s+$", re.IGNORECASE)
_ADJECTIVE_AFTER = re.compile(r"^\s+(?:operations?|endpoints?|apis?|versions?|fields?|propert\w+|resources?)\b",
                             re.IGNORECASE)  # fmt: skip


def _nearest_keyword(context: str, kinds: tuple[str, ...], *, from_end: bool) -> str | None:
    best: tuple[int, str] | None = None
    for kind, pattern in _DATE_KEYWORDS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(context):
            if kind == KIND_DEPRECATION and (
                _ADJECTIVE_BEFORE.search(context, 0, match.start()) or _ADJECTIVE_AFTER.match(context[match.end() :])
            ):
                continue
            distance = len(context) - match.end() if from_end else match.start()
            if best is None or distance < best[0]:
                best = (distance, kind)
    return best[1] if best else None


def _snippet(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    offset = start - line_start
    left = max(0, offset - 120)
    return ("…" if left else "") + line[left : offset + (end - start) + 80].strip()


def _today_removals(text: str, item: FeedItem, spans: list[tuple[int, int, date]]) -> list[tuple[int, str, date, str]]:
    """'Today we removed...', 'should be removed as of today': the removal date is the post's own date."""
    if item.published_at is None:
        return []
    found = []
    for match in itertools.islice(_TODAY.finditer(text), 20):  # each look scans back to the sentence start
        sentence_start = max((m.end() for m in _BOUNDARY.finditer(text, 0, match.start())), default=0)
        boundary = _BOUNDARY.search(text, match.end())
        sentence = text[sentence_start : boundary.start() if boundary else len(text)]
        if any(pattern.search(sentence) for pattern in _CATEGORY_KEYWORDS[REMOVAL]):
            found.append((match.start(), KIND_REMOVAL, item.published_at.date(), sentence.strip()[:200]))
            break
    return found


# -- names ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    name: str  # as written, "Catalog Items API v0"
    key: tuple[str, str | None]  # normalised (name, version)
    start: int
    end: int
    is_successor: bool  # named as what to migrate to


def _api_mentions(text: str) -> list[_Mention]:
    mentions = []
    for match in _API_MENTION.finditer(text):
        words = match["name"].split()
        while words and words[0].lower() in _LEADING_NOISE:
            words.pop(0)
        version = match["v1"] or match["v2"]
        if not words:
            continue
        start = match.start() + match.group(0).find(words[0])
        key = api_key(" ".join(words), version)
        if not key[0]:  # "Selling Partner API": only stopwords
            continue
        mentions.append(_Mention(text[start : match.end()], key, start, match.end(), _is_successor(text, start)))
    for match in _SNAKE_API.finditer(text):
        key = api_key(match.group(0), None)
        mentions.append(_Mention(match.group(0), key, match.start(), match.end(), _is_successor(text, match.start())))
    return sorted(mentions, key=lambda m: m.start)


def _is_successor(text: str, start: int) -> bool:
    return bool(_SUCCESSOR_BEFORE.search(text[max(0, start - 120) : start]))


def api_key(name: str, version: str | None = None) -> tuple[str, str | None]:
    """Normalised (name, version) of an API: case, camelCase, underscores, spacing, "API" and "v" removed.

    `api_key("Catalog Items API", "v0") == api_key("catalogItemsV0") == ("catalogitems", "0")`;
    `api_key("orders_2026-01-01") == ("orders", "2026-01-01")`; "v1.14.0" and "v1_beta.3.1" become "1".
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    tokens = [t for t in re.split(r"[\s_/]+|(?<![0-9])-|-(?![0-9])", spaced.lower()) if t]
    found_version = None
    words = []
    for token in tokens:
        if re.fullmatch(r"v?\d{4}-\d{2}-\d{2}|v\d+(?:[._].*)?", token):
            found_version = found_version or token
        elif token not in _NAME_STOPWORDS:
            words.append(re.sub(r"[^a-z0-9]", "", token))
    return "".join(words), _normalise_version(version or found_version)


def _normalise_version(version: str | None) -> str | None:
    if not version:
        return None
    version = version.strip().lower().removeprefix("version").strip().removeprefix("v")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        return version
    major = re.match(r"\d+", version)
    return major.group(0) if major else version or None


def _apis(mentions: list[_Mention], item: FeedItem) -> list[str]:
    names = [item.extra["api"]] if item.extra.get("api") else []
    names += [m.strip() for m in item.extra.get("methods", "").split(",") if m.strip() and "(" not in m]
    seen = {api_key(n) for n in names}
    # An API counts as a subject unless every mention of it is as a migration target.
    subjects = {m.key for m in mentions if not m.is_successor}
    for mention in mentions:
        if mention.key in subjects and mention.key not in seen:
            seen.add(mention.key)
            names.append(mention.name)
    return names


def _identifiers(text: str, item: FeedItem) -> list[str]:
    found = [m.group(0) for m in _UPPER_SNAKE.finditer(text)]
    found += [m.group(0) for m in _CAMEL.finditer(text) if not _is_successor(text, m.start())]
    return [name for name in _unique(found) if name not in item.extra]  # "deprecationDate: ..." names no operation


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- subjects of removal dates ----------------------------------------------------------------------------------------


def _removal_subjects(
    text: str, dates: list[tuple[int, str, date, str]], mentions: list[_Mention], item: FeedItem
) -> list[tuple[str, date]]:
    """(subject, date) for each removal date: the API (and operations) or type named on the date's line."""
    primary = _primary_subject(item, mentions)
    found: list[tuple[str, date]] = []
    for position, kind, value, _ in dates:
        if kind != KIND_REMOVAL:
            continue
        subject = primary if position < 0 else _line_subject(text, position, mentions) or primary
        same = [i for i, (s, d) in enumerate(found) if d == value and _same_or_narrower(s, subject)]
        if not same:
            found.append((subject, value))
        elif len(subject) > len(found[same[0]][0]):  # the body names the operations the title only implies
            found[same[0]] = (subject, value)
    return found


def _primary_subject(item: FeedItem, mentions: list[_Mention]) -> str:
    api = item.extra.get("api", "")
    methods = [m.strip() for m in item.extra.get("methods", "").split(",") if m.strip() and "(" not in m]
    if api:
        return f"{api}: {', '.join(methods)}" if methods else api
    subjects = [m for m in mentions if not m.is_successor]
    return subjects[0].name if subjects else item.title[:120]


def _line_subject(text: str, position: int, mentions: list[_Mention]) -> str | None:
    """The nearest API named before the date on its line (else after it), with the operations named along with it;
    else the first feed/report/notification type on the line."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line_end = len(text) if line_end < 0 else line_end
    on_line = [m for m in mentions if line_start <= m.start < line_end and not m.is_successor]
    before = [m for m in on_line if m.start < position]
    mention = before[-1] if before else (on_line[0] if on_line else None)
    if mention is None:
        constant = _UPPER_SNAKE.search(text, line_start, line_end)
        return constant.group(0) if constant else None
    # The operations belong to the API from the sentence of its first mention on the line (or from the date) up to
    # the next other API: "The listCatalogCategories operation of the Catalog Items API v0 has a removal date of".
    first = min(m.start for m in on_line if m.key == mention.key)
    sentence_start = max((m.end() for m in _BOUNDARY.finditer(text, line_start, first)), default=line_start)
    start = min(sentence_start, position)
    later = [m.start for m in on_line if m.key != mention.key and m.start > max(position, mention.start)]
    operations = _unique(_operations_affected(text[start : min(later, default=line_end)]))
    return f"{mention.name}: {', '.join(operations)}" if operations else mention.name


# A part of a line that lists operations NOT affected ("getShipments, getLabels: Will remain operational").
_UNAFFECTED = re.compile(
    r"\bremain\w*\b|\bnot (?:be )?affected\b|\bunaffected\b|\bcontinue to\b|不受影响|继续", re.IGNORECASE
)


def _operations_affected(line: str) -> list[str]:
    """Operation ids named on a line, minus migration targets and parts that say they stay."""
    found = []
    for part in re.split(r"[;；]", line):
        if _UNAFFECTED.search(part):
            continue
        found += [
            m.group(0) for m in _CAMEL.finditer(part) if m.group(0)[0].islower() and not _is_successor(part, m.start())
        ]
    return found


def _same_or_narrower(known: str, candidate: str) -> bool:
    return known == candidate or known.startswith(candidate + ":") or candidate.startswith(known + ":")


def subject_key(classification: Classification, links: Sequence[tuple[str, str]]) -> str:
    """A stable name for what the removal date is about, so a later entry with a different date shows a move.

    The subject of the first removal date, normalised ("catalogitems@0:getcatalogitem,listcatalogitems"); else the
    first API named; else the first linked spec source; else "" (nothing to track).
    """
    if classification.removals:
        return _normalise_subject(classification.removals[0][0])
    if classification.apis:
        return _normalise_subject(classification.apis[0])
    if links:
        return links[0][0]
    return ""


def removal_subjects(classification: Classification) -> list[tuple[str, date]]:
    """(subject key, removal date) for every removal the item announces, not only the first: a "Deprecation
    Reminders" post moves the dates of several APIs and types at once."""
    return list(dict.fromkeys((_normalise_subject(subject), value) for subject, value in classification.removals))


def _normalise_subject(subject: str) -> str:
    name, _, operations = subject.partition(":")
    name = name.strip()
    mention = _API_MENTION.fullmatch(name) or _SNAKE_API.fullmatch(name)
    if _UPPER_SNAKE.fullmatch(name):
        head = name
    elif mention is not None:
        key = api_key(name)
        head = f"{key[0]}@{key[1]}" if key[1] else key[0]
    else:  # not an API name (an eBay api element, a post title): a plain slug
        head = "-".join(re.findall(r"[a-z0-9]+", name.lower()))
    ops = sorted({op.strip().lower() for op in operations.split(",") if op.strip()})
    return f"{head}:{','.join(ops)}" if ops else head


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


def _path_links(text: str, index: _CatalogueIndex) -> list[tuple[str, str]]:
    links = []
    for match in _PATH.finditer(text):
        path = _template(match["path"].rstrip("/.,;:)"))
        if path.count("/") < 2:  # "/v3" alone names no operation
            continue
        method = match["method"]
        for ref in index.by_path.get(path, []):
            if method is None or ref.key.startswith(method + " "):
                links.append((ref.source_id, ref.key))
    return links


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
