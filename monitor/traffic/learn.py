"""Traffic -> OpenAPI 3.1: infer a contract from recorded exchanges (schemas by genson), and widen a learned one.

What is inferred, and on how much evidence:
* paths are templated (`monitor.traffic.paths`); one operation per method and template;
* query parameters and the headers worth keeping: integer when every value is a whole number, boolean when every
  value is true/false, else string; never required, and request bodies carry no `required` either: traffic shows
  what a client sent, not what the API demands;
* signing and auth parameters are security, never operation inputs: Shopee `partner_id, timestamp, sign,
  access_token, shop_id, merchant_id`; Lazada `app_key, timestamp, sign_method, sign, access_token`; TikTok Shop
  `app_key, timestamp, sign, shop_cipher` and the `x-tts-access-token` header; `Authorization`, cookies and any
  header or parameter `monitor.redact` calls a secret;
* request bodies (JSON and form) and response bodies per status code and media type: genson builds the schema;
  in responses required = present in every answer; nullable = null was seen (a `type` list with "null");
* formats (date-time, date, email, uri, uuid) only when every sample of a string agrees;
* enums only with evidence: at least ENUM_MIN_SAMPLES samples, 2 to ENUM_MAX_VALUES distinct code-like values, each
  seen at least ENUM_MIN_EACH times; never from one sample, never for a masked field.
Every operation carries `x-monitor-samples`; the document carries `x-monitor-learned` (from what, when, how much).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from genson import SchemaBuilder
from genson.schema.strategies import String

from monitor import __version__
from monitor.redact import MASK, is_secret_header, is_secret_param
from monitor.traffic.har import ABSENT, Exchange, Skipped, is_json_media
from monitor.traffic.paths import template_paths

ENUM_MIN_SAMPLES = 20  # a string seen fewer times than this never becomes an enum
ENUM_MAX_VALUES = 12  # more distinct values than this is an open set
ENUM_MIN_EACH = 3  # every value of an enum was seen at least this often (a value seen once may be one of many)
ENUM_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,39}$")  # code-like: `Shipped`, `READY_TO_SHIP`, `FBA`

SIGNING: dict[str, tuple[frozenset[str], frozenset[str]]] = {  # platform -> (query/form params, headers)
    "shopee": (frozenset({"partner_id", "timestamp", "sign", "access_token", "shop_id", "merchant_id"}), frozenset()),
    "lazada": (frozenset({"app_key", "timestamp", "sign_method", "sign", "access_token"}), frozenset()),
    "tiktok-shop": (frozenset({"app_key", "timestamp", "sign", "shop_cipher"}), frozenset({"x-tts-access-token"})),
}
PLATFORM_ALIASES = {"tiktok": "tiktok-shop", "tiktokshop": "tiktok-shop", "tiktok_shop": "tiktok-shop"}

# Headers every client sends (or a proxy adds): transport, caching, tracing, browsers. Not operation inputs.
IGNORED_HEADERS = frozenset({
    "accept", "accept-charset", "accept-encoding", "accept-language", "cache-control", "connection", "content-length",
    "content-type", "cookie", "host", "origin", "pragma", "referer", "user-agent", "te", "dnt", "priority", "expect",
    "upgrade-insecure-requests", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "range",
    "traceparent", "tracestate", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port",
    "x-real-ip", "x-request-id", "x-amzn-trace-id", "x-amz-date", "x-amz-content-sha256", "x-amz-user-agent",
    "forwarded", "via", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection",
})  # fmt: skip
_FORMATS = (
    ("date-time", re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")),
    ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("email", re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")),
    ("uri", re.compile(r"^https?://[^\s]+$")),
    ("uuid", re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class _LearnedString(String):
    """genson's string strategy, also counting formats and candidate enum values."""

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self.count = 0
        self.formats: set[str] | None = None
        self.values: Counter[str] | None = Counter()  # None once the set is open

    def add_object(self, obj: Any) -> None:
        super().add_object(obj)
        self.count += 1
        found = {name for name, regex in _FORMATS if regex.match(obj)}
        self.formats = found if self.formats is None else self.formats & found
        if self.values is not None:
            if obj == MASK or not ENUM_VALUE.match(obj):
                self.values = None
            else:
                self.values[obj] += 1
                if len(self.values) > ENUM_MAX_VALUES:
                    self.values = None

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        if self.formats:
            schema["format"] = next(name for name, _ in _FORMATS if name in self.formats)
        elif (self.values is not None and self.count >= ENUM_MIN_SAMPLES and len(self.values) >= 2
              and min(self.values.values()) >= ENUM_MIN_EACH):  # fmt: skip
            schema["enum"] = sorted(self.values)
        return schema


class LearnedSchemaBuilder(SchemaBuilder):  # type: ignore[misc]
    EXTRA_STRATEGIES = (_LearnedString,)


def _builder() -> LearnedSchemaBuilder:
    return LearnedSchemaBuilder(schema_uri=None)


@dataclass(slots=True)
class _Param:
    seen: int = 0
    ints: bool = True
    bools: bool = True
    repeated: bool = False

    def add(self, values: list[str]) -> None:
        self.seen += 1
        self.repeated = self.repeated or len(values) > 1
        for value in values:
            self.ints = self.ints and bool(re.fullmatch(r"-?\d{1,18}", value))
            self.bools = self.bools and value in ("true", "false")

    def schema(self, location: str = "query") -> dict[str, Any]:
        scalar = "integer" if self.ints else "boolean" if self.bools else "string"
        if self.repeated:
            return {"type": "array", "items": {"type": scalar}}
        if location == "query":
            # In a query string one value is also a one-element list (form and csv styles): a parameter never seen
            # repeated may be either, and a contract claiming one of them would call the other's callers broken.
            return {"type": [scalar, "array"], "items": {"type": scalar}}
        return {"type": scalar}


@dataclass(slots=True)
class _Body:
    count: int = 0
    builder: LearnedSchemaBuilder | None = None  # None: not JSON (or never inspected)

    def add(self, document: Any) -> None:
        self.count += 1
        if document is not ABSENT:
            if self.builder is None:
                self.builder = _builder()
            self.builder.add_object(document)


@dataclass(slots=True)
class _Operation:
    method: str
    template: str
    samples: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    path_values: dict[str, _Param] = field(default_factory=dict)
    query: dict[str, _Param] = field(default_factory=dict)
    headers: dict[str, _Param] = field(default_factory=dict)
    bodies: dict[str, _Body] = field(default_factory=dict)  # request media type -> body
    requests_with_body: int = 0
    responses: dict[tuple[str, str | None], _Body] = field(default_factory=dict)  # (status, media)
    security: Counter[str] = field(default_factory=Counter)


MAX_SKIPPED_KEPT = 1000  # skipped entries kept with their reasons; the rest are only counted


@dataclass
class LearnStats:
    exchanges: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    notes: Counter[str] = field(default_factory=Counter)  # bodies not inspected, by reason
    sources: list[str] = field(default_factory=list)

    @property
    def skipped_reasons(self) -> Counter[str]:
        return Counter(s.reason for s in self.skipped)


@dataclass
class Learned:
    document: dict[str, Any]
    stats: LearnStats


def normal_platform(platform: str) -> str:
    lowered = platform.lower()
    return PLATFORM_ALIASES.get(lowered, lowered)


def signing_for(exchange: Exchange, platform: str) -> str | None:
    """The signing scheme of an exchange: the platform's own, else one recognised from `sign` plus its companions."""
    if platform in SIGNING:
        return platform
    names = {k for k, _ in exchange.query} | _form_names(exchange)
    if "sign" not in names:
        return None
    best, score = None, 0
    for name, (params, headers) in SIGNING.items():
        overlap = len(names & params) + len(set(exchange.request_headers) & headers) * 2
        if overlap > score:
            best, score = name, overlap
    return best if score >= 3 else None


def _form_names(exchange: Exchange) -> set[str]:
    body = exchange.request_body
    return (
        set(body) if exchange.request_media == "application/x-www-form-urlencoded" and isinstance(body, dict) else set()
    )


def _base_path(base_url: str | None) -> str:
    if not base_url:
        return ""
    from urllib.parse import urlsplit

    return urlsplit(base_url).path.rstrip("/")


Items = Iterable[Exchange | Skipped]


def learn(
    items: Items | Callable[[], Items], *, platform: str, name: str, base_url: str | None = None,
    sources: Iterable[str] = (), now: datetime | None = None, note: str | None = None,
) -> Learned:  # fmt: skip
    """An OpenAPI 3.1 document learned from `items` (exchanges, and skipped entries that are only counted).

    `items` is read twice (paths first, to template them; then everything else), so no exchange is held in memory
    meanwhile: pass a list, or a function that reads the captures anew.

    `note` says where the traffic came from when it is not real traffic (documented examples), and is kept in
    `x-monitor-learned`.

    Usage: `learned = learn(lambda: read_captures([Path("orders.har")]), platform="shopee", name="orders")`
    """
    again: Callable[[], Items] = items if callable(items) else (lambda: items)  # type: ignore[assignment]
    platform_key = normal_platform(platform)
    stats = LearnStats(sources=list(sources))
    base = _base_path(base_url)
    paths: set[str] = set()
    for item in again():
        if not isinstance(item, Skipped):
            paths.add(_strip(item.path, base))
    templates = template_paths(paths)
    del paths
    operations: dict[tuple[str, str], _Operation] = {}
    schemes: dict[str, dict[str, Any]] = {}
    for exchange in again():
        if isinstance(exchange, Skipped):
            if len(stats.skipped) < MAX_SKIPPED_KEPT:
                stats.skipped.append(exchange)
            stats.skipped_count += 1
            continue
        exchange.path = _strip(exchange.path, base)
        stats.exchanges += 1
        for note in exchange.notes:
            stats.notes[note] += 1
        template = templates.get(exchange.path) or exchange.path  # a capture that changed between the two reads
        key = (exchange.method.lower(), template)
        op = operations.get(key)
        if op is None:
            op = operations[key] = _Operation(exchange.method.lower(), template)
        _add(op, exchange, template, platform_key, schemes)
    document = _document(operations, schemes, platform=platform, name=name, base_url=base_url, stats=stats,
                         now=now or datetime.now(UTC), note=note)  # fmt: skip
    return Learned(document, stats)


def _strip(path: str, base: str) -> str:
    if base and (path == base or path.startswith(base + "/")):
        return path[len(base) :] or "/"
    return path


def _add(op: _Operation, exchange: Exchange, template: str, platform: str, schemes: dict[str, dict[str, Any]]) -> None:
    op.samples += 1
    if exchange.started_at is not None:
        op.first_at = min(op.first_at or exchange.started_at, exchange.started_at)
        op.last_at = max(op.last_at or exchange.started_at, exchange.started_at)
    for segment, value in zip(template.split("/"), exchange.path.split("/"), strict=False):
        if segment.startswith("{"):
            op.path_values.setdefault(segment[1:-1], _Param()).add([value])
    signing = signing_for(exchange, platform)
    signing_params, signing_headers = SIGNING.get(signing, (frozenset(), frozenset())) if signing else ((), ())
    used: set[str] = set()
    if signing:
        scheme = f"{signing}Signing"
        schemes[scheme] = {"type": "apiKey", "in": "query", "name": "sign",
                           "x-monitor-signing": {"platform": signing, "parameters": sorted(signing_params),
                                                 "headers": sorted(signing_headers)}}  # fmt: skip
        used.add(scheme)
    grouped: dict[str, list[str]] = {}
    for key, value in exchange.query:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        if key in signing_params:
            continue
        if is_secret_param(key) or key.lower() in ("access_token", "api_key", "apikey"):
            scheme = _scheme_name(key)
            schemes[scheme] = {"type": "apiKey", "in": "query", "name": key}
            used.add(scheme)
            continue
        op.query.setdefault(key, _Param()).add(values)
    for header, value in exchange.request_headers.items():
        if header in signing_headers:
            used.add(f"{signing}Signing")
            continue
        if header == "authorization":
            kind = value.split(" ", 1)[0].lower() if value and value != MASK else "bearer"
            scheme = "basicAuth" if kind == "basic" else "bearerAuth"
            schemes[scheme] = {"type": "http", "scheme": "basic" if kind == "basic" else "bearer"}
            used.add(scheme)
        elif header == "cookie":
            continue
        elif is_secret_header(header):
            scheme = _scheme_name(header)
            schemes[scheme] = {"type": "apiKey", "in": "header", "name": header}
            used.add(scheme)
        elif header not in IGNORED_HEADERS and not header.startswith((":", "sec-", "proxy-")):
            op.headers.setdefault(header, _Param()).add([value])
    op.security.update(used)
    if exchange.request_body is not ABSENT or exchange.request_media:
        body = exchange.request_body
        if isinstance(body, dict) and signing and exchange.request_media == "application/x-www-form-urlencoded":
            body = {k: v for k, v in body.items() if k not in signing_params}
        media = exchange.request_media or "application/octet-stream"
        op.requests_with_body += 1
        op.bodies.setdefault(media, _Body()).add(body if is_json_media(media) or isinstance(body, dict) else ABSENT)
    response_key = (str(exchange.status), exchange.response_media)
    op.responses.setdefault(response_key, _Body()).add(exchange.response_body)


def _scheme_name(name: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return (parts[0].lower() + "".join(p.capitalize() for p in parts[1:])) if parts else "apiKey"


def _operation_id(method: str, template: str) -> str:
    words = []
    for segment in template.split("/"):
        if not segment:
            continue
        if segment.startswith("{"):
            words.append("By" + segment[1:2].upper() + segment[2:-1])
        else:
            words.extend(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", segment) if p)
    return method + "".join(words)


def _document(operations: dict[tuple[str, str], _Operation], schemes: dict[str, dict[str, Any]], *, platform: str,
              name: str, base_url: str | None, stats: LearnStats, now: datetime,
              note: str | None = None) -> dict[str, Any]:  # fmt: skip
    paths: dict[str, dict[str, Any]] = {}
    firsts = [op.first_at for op in operations.values() if op.first_at]
    lasts = [op.last_at for op in operations.values() if op.last_at]
    for (method, template), op in sorted(operations.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(template, {})[method] = _operation(op)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": f"{platform}/{name} (learned from traffic)", "version": f"learned-{now:%Y%m%dT%H%M%SZ}"},
    }
    if base_url:
        document["servers"] = [{"url": base_url.rstrip("/")}]
    document["paths"] = paths
    if schemes:
        document["components"] = {"securitySchemes": dict(sorted(schemes.items()))}
    document["x-monitor-learned"] = {
        "tool": f"monitor {__version__}",
        "at": now.isoformat(),
        "from": stats.sources,
        "exchanges": stats.exchanges,
        "skipped": stats.skipped_count,
        "traffic_from": min(firsts).isoformat() if firsts else None,
        "traffic_until": max(lasts).isoformat() if lasts else None,
        "enum_evidence": {"min_samples": ENUM_MIN_SAMPLES, "max_values": ENUM_MAX_VALUES, "min_each": ENUM_MIN_EACH},
    }
    if note:
        document["x-monitor-learned"]["note"] = note[:1000]
    return document


def _operation(op: _Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for pname, param in op.path_values.items():
        parameters.append({"name": pname, "in": "path", "required": True, "schema": param.schema("path")})
    for location, params in (("query", op.query), ("header", op.headers)):
        for pname, param in sorted(params.items()):
            # Never required: traffic shows what clients sent, not what the API demands (a contract that made an
            # always-sent optional parameter required would call the published spec's own callers broken).
            parameters.append({"name": pname, "in": location, "required": False, "schema": param.schema(location)})
    out: dict[str, Any] = {"operationId": _operation_id(op.method, op.template)}
    if parameters:
        out["parameters"] = parameters
    if op.bodies:
        out["requestBody"] = {
            "required": op.requests_with_body == op.samples,
            "content": {media: {"schema": _request_schema(_schema(body))} for media, body in sorted(op.bodies.items())},
        }
    responses: dict[str, Any] = {}
    for (status, media), body in sorted(op.responses.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        response = responses.setdefault(status, {"description": "", "x-monitor-samples": 0})
        response["x-monitor-samples"] += body.count
        response["description"] = f"Seen {response['x-monitor-samples']} time(s)"
        if media is not None:
            response.setdefault("content", {})[media] = {"schema": _schema(body)}
    out["responses"] = responses
    if op.security:
        out["security"] = [{scheme: [] for scheme in sorted(s for s, n in op.security.items() if n == op.samples)}]
        if not out["security"][0]:
            out["security"] = [{scheme: [] for scheme in sorted(op.security)}]
    out["x-monitor-samples"] = op.samples
    return out


def _request_schema(schema: Any) -> Any:
    """A request body's schema without `required`, at every level: for the same reason as parameters."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required" and isinstance(value, list):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _request_schema(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = _request_schema(value)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [_request_schema(sub) for sub in value]
        else:
            out[key] = value
    return out


def _schema(body: _Body) -> dict[str, Any]:
    if body.builder is None:
        return {}
    schema: dict[str, Any] = body.builder.to_schema()
    schema.pop("$schema", None)
    return schema
