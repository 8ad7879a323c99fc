"""HAR captures: read (whole HAR documents or JSON Lines of HAR entries) and write, masking secrets on the way.

Captures are hostile input: a file is refused over `Limits.max_file_bytes`, an entry is skipped (with its reason)
when it is not a HAR entry, its body is cut when it passes `max_body_bytes`, and a JSON body nesting deeper than
`max_depth` is not inspected. Every value that leaves this module has been masked: secret headers, cookies, secret
query parameters (Shopee/Lazada `sign`, `access_token`, Amazon `x-amz-access-token`, anything `monitor.redact` calls
secret) and the values of configured personal fields, chosen by JSON path (`monitor.traffic.masking`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from monitor import __version__
from monitor.errors import CaptureError
from monitor.redact import MASK
from monitor.traffic.masking import DEFAULT_MASKING, Masking

ABSENT: Any = object()  # a body that is not there (or was not inspected), as opposed to a JSON null

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a capture is read; every number bounds memory or time against a hostile file."""

    max_file_bytes: int = 256 * 1024 * 1024  # a whole HAR document is parsed at once; bigger ones: use JSON Lines
    max_line_bytes: int = 64 * 1024 * 1024  # one JSON Lines entry
    max_entries: int = 200_000  # per file; entries past it are skipped with a reason
    max_body_bytes: int = 4 * 1024 * 1024  # a body over this is cut (and marked); SP-API pages are ~200 KB
    max_depth: int = 64  # JSON nesting; real marketplace answers nest ~15 levels


@dataclass(slots=True)
class Exchange:
    """One request and its answer, masked, with bodies parsed when they are JSON (or form fields)."""

    source: str  # the capture file's name
    index: int  # the entry's position in it
    started_at: datetime | None
    method: str
    url: str  # scheme://host/path, without the query (see `query`)
    path: str
    query: list[tuple[str, str]]  # masked values
    request_headers: dict[str, str]  # lower-case names, masked values
    request_media: str | None
    request_body: Any  # parsed JSON, a dict of form fields, or ABSENT
    status: int
    response_headers: dict[str, str]
    response_media: str | None
    response_body: Any  # parsed JSON or ABSENT
    notes: list[str] = field(default_factory=list)  # why a body was not inspected (cut, binary, too deep)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry that could not be used, and why."""

    source: str
    index: int
    reason: str


def read_captures(
    paths: Iterable[Path], *, masking: Masking = DEFAULT_MASKING, limits: Limits = Limits()
) -> Iterator[Exchange | Skipped]:
    """Every entry of every capture, in order: an `Exchange`, or `Skipped` with the reason.

    Raises CaptureError when a file cannot be read at all (missing, over the size limit, neither HAR nor JSON Lines).
    """
    for path in paths:
        yield from read_capture(path, masking=masking, limits=limits)


def read_capture(
    path: Path, *, masking: Masking = DEFAULT_MASKING, limits: Limits = Limits()
) -> Iterator[Exchange | Skipped]:
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if path.suffix.lower() in JSON_LINES_SUFFIXES:
        yield from _read_lines(path, name, masking, limits)
        return
    if size > limits.max_file_bytes:
        raise CaptureError(f"{path}: {size} bytes is over the {limits.max_file_bytes}-byte limit for a HAR document; "
                           "split it or write JSON Lines of HAR entries (.jsonl), which are read entry by entry")  # fmt: skip
    with path.open("rb") as handle:
        head = handle.read(1).lstrip()
    if head != b"{":
        if head:
            yield from _read_lines(path, name, masking, limits)  # JSON Lines without the suffix
            return
        raise CaptureError(f"{path}: empty file: not a HAR capture")
    try:
        document = loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        if _looks_like_lines(path):
            yield from _read_lines(path, name, masking, limits)
            return
        raise CaptureError(f"{path}: not a HAR capture: invalid JSON ({_first_line(str(exc))})") from exc
    entries = _entries_of(document)
    if entries is None:
        if isinstance(document, dict) and "request" in document and "response" in document:
            entries = [document]  # a single HAR entry
        else:
            raise CaptureError(f"{path}: not a HAR capture: no log.entries list")
    for index, entry in enumerate(entries):
        if index >= limits.max_entries:
            yield Skipped(name, index, f"{len(entries) - index} entries past the {limits.max_entries}-entry limit")
            return
        yield _exchange(entry, name, index, masking, limits)


def exchanges_of_entries(entries: Iterable[Any], source: str, *, masking: Masking = DEFAULT_MASKING,
                         limits: Limits = Limits()) -> Iterator[Exchange | Skipped]:  # fmt: skip
    """HAR entries already in memory (a contract run's answers), read like a capture file's."""
    for index, entry in enumerate(entries):
        if index >= limits.max_entries:
            yield Skipped(source, index, f"entries past the {limits.max_entries}-entry limit")
            return
        yield _exchange(entry, source, index, masking, limits)


ORJSON_MAX_BYTES = 8 * 1024 * 1024  # orjson peaks at ~14x a long string's size (1.4 GB for one 100 MB body)


def loads(data: bytes | str) -> Any:
    """JSON, parsed by orjson (fast) when small, by the standard library (~2.3x peak) when large."""
    if len(data) <= ORJSON_MAX_BYTES:
        return orjson.loads(data)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise orjson.JSONDecodeError(str(exc).split("\n", 1)[0], "", 0) from None


def _looks_like_lines(path: Path) -> bool:
    with path.open("rb") as handle:
        first = handle.readline(1024 * 1024)
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _first_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _entries_of(document: Any) -> list[Any] | None:
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    return entries if isinstance(entries, list) else None


def _read_lines(path: Path, name: str, masking: Masking, limits: Limits) -> Iterator[Exchange | Skipped]:
    with path.open("rb") as handle:
        index = 0
        while True:
            line = handle.readline(limits.max_line_bytes + 1)
            if not line:
                return
            if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the oversize line, chunk by chunk
                    line = handle.readline(1024 * 1024)
                yield Skipped(name, index, f"entry over the {limits.max_line_bytes}-byte line limit")
                index += 1
                continue
            if not line.strip():
                continue
            if index >= limits.max_entries:
                yield Skipped(name, index, f"entries past the {limits.max_entries}-entry limit")
                return
            try:
                entry = loads(line)
            except orjson.JSONDecodeError as exc:
                yield Skipped(name, index, f"line {index + 1}: invalid JSON ({_first_line(str(exc))})")
            else:
                yield _exchange(entry, name, index, masking, limits)
            index += 1


def _exchange(entry: Any, source: str, index: int, masking: Masking, limits: Limits) -> Exchange | Skipped:
    if not isinstance(entry, dict):
        return Skipped(source, index, "not a HAR entry (not an object)")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return Skipped(source, index, "not a HAR entry (no request/response)")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or not method.isalpha() or len(method) > 20:
        return Skipped(source, index, "request without a method or URL")
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        # browsers record 0 for blocked or aborted requests: there is no answer to learn from
        shown = status if isinstance(status, int) and not isinstance(status, bool) else "missing or not a number"
        return Skipped(source, index, f"no HTTP answer (status {shown})")  # never a file's text: it may be anything
    try:
        parts = urlsplit(url)
    except ValueError:
        return Skipped(source, index, "unparsable URL")
    notes: list[str] = []
    query = [(k, masking.param(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    request_headers = _headers(request.get("headers"), masking)
    response_headers = _headers(response.get("headers"), masking)
    post = request.get("postData") if isinstance(request.get("postData"), dict) else {}
    # a Content-Type without a body (some clients send one on every GET) describes nothing
    request_media = (_media(post.get("mimeType")) or _media(request_headers.get("content-type"))) if post else None
    request_body = _request_body(post, request_media, masking, limits, notes)
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    response_media = _media(content.get("mimeType")) or _media(response_headers.get("content-type"))
    response_body = _body(content.get("text"), content.get("encoding"), response_media, masking, limits, notes,
                          "response", truncated=bool(content.get("_truncated")))  # fmt: skip
    return Exchange(
        source=source, index=index, started_at=_time(entry.get("startedDateTime")), method=method.upper(),
        url=_bare_url(parts), path=parts.path or "/", query=query, request_headers=request_headers,
        request_media=request_media, request_body=request_body, status=status, response_headers=response_headers,
        response_media=response_media, response_body=response_body, notes=notes,
    )  # fmt: skip


def _masked_url(parts: Any, query: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode, urlunsplit

    netloc = parts.netloc.rpartition("@")[2]  # userinfo never kept
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))


def _bare_url(parts: Any) -> str:
    """scheme://host/path: the query is in `Exchange.query` (masked), userinfo is never kept."""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _headers(raw: Any, masking: Masking) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(raw, list):
        for item in raw[:500]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                name = item["name"].lower()
                found[name] = masking.header(name, str(item.get("value", ""))[:8192])
    return found


def _media(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split(";", 1)[0].strip().lower()[:100] or None


def is_json_media(media: str | None) -> bool:
    return media is not None and (media == "application/json" or media.endswith("+json") or "json" in media)


def _request_body(post: dict[str, Any], media: str | None, masking: Masking, limits: Limits, notes: list[str]) -> Any:
    if not post:
        return ABSENT
    if media == "application/x-www-form-urlencoded" or (isinstance(post.get("params"), list) and post["params"]):
        fields: dict[str, str] = {}
        params = post.get("params")
        if isinstance(params, list) and params:
            pairs = [(str(p.get("name")), str(p.get("value", ""))) for p in params[:1000] if isinstance(p, dict)]
        else:
            text = post.get("text")
            if not isinstance(text, str) or len(text) > limits.max_body_bytes:
                return ABSENT
            pairs = parse_qsl(text, keep_blank_values=True)
        for name, value in pairs:
            fields[name] = masking.param(name, value)
        return masking.body(fields)
    return _body(post.get("text"), post.get("encoding"), media, masking, limits, notes, "request")


def _body(text: Any, encoding: Any, media: str | None, masking: Masking, limits: Limits, notes: list[str],
          side: str, truncated: bool = False) -> Any:  # fmt: skip
    if not isinstance(text, str) or not text:
        if truncated:
            notes.append(f"{side} body was cut by the recorder")
        return ABSENT
    if not is_json_media(media):
        if media is not None:
            notes.append(f"{side} body is {media}, not JSON: not inspected")
        return ABSENT
    if len(text) > limits.max_body_bytes * (2 if encoding == "base64" else 1):
        notes.append(f"{side} body over {limits.max_body_bytes} bytes: not inspected")
        return ABSENT
    raw: bytes | str = text
    if encoding == "base64":
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            notes.append(f"{side} body: invalid base64")
            return ABSENT
    try:
        document = loads(raw)
    except orjson.JSONDecodeError:
        notes.append(f"{side} body is not valid JSON" + (" (cut by the recorder)" if truncated else ""))
        return ABSENT
    if depth_over(document, limits.max_depth):
        notes.append(f"{side} body nests deeper than {limits.max_depth} levels: not inspected")
        return ABSENT
    return masking.body(document)


def depth_over(document: Any, limit: int) -> bool:
    """Whether a parsed document nests deeper than `limit` (iterative: a hostile depth cannot blow the stack)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- writing --------------------------------------------------------------------------------------------------------


def mask_entry(entry: dict[str, Any], *, masking: Masking, limits: Limits) -> dict[str, Any]:
    """A HAR entry ready to be written: secrets and personal fields masked, oversize bodies dropped and marked.

    A body over the limit keeps no text at all: a cut JSON document cannot be masked by path, so any prefix could
    hold a personal field. `content.size` keeps its real size and `_truncated` marks it."""
    entry = orjson.loads(orjson.dumps(entry))  # a deep copy with JSON types only
    request, response = entry["request"], entry["response"]
    parts = urlsplit(request["url"])
    query = [(k, masking.param(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    request["url"] = _masked_url(parts, query)
    request["queryString"] = [{"name": k, "value": v} for k, v in query]
    for side in (request, response):
        side["headers"] = [{"name": h["name"], "value": masking.header(h["name"].lower(), h["value"])}
                           for h in side.get("headers", [])]  # fmt: skip
        side["cookies"] = [{**c, "value": MASK} for c in side.get("cookies", [])]
    post = request.get("postData")
    if isinstance(post, dict):
        _mask_content(post, masking, limits, form=True)
    _mask_content(response.get("content", {}), masking, limits, form=False)
    return entry


def _mask_content(content: dict[str, Any], masking: Masking, limits: Limits, *, form: bool) -> None:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        return
    media = _media(content.get("mimeType"))
    if len(text) > limits.max_body_bytes:
        content["text"] = ""
        content["_truncated"] = True
        content.pop("encoding", None)
        return
    if is_json_media(media):
        try:
            document = orjson.loads(base64.b64decode(text) if content.get("encoding") == "base64" else text)
        except (orjson.JSONDecodeError, binascii.Error, ValueError):
            content["text"] = ""  # unparsable JSON cannot be masked by path: keep nothing of it
            content["_truncated"] = True
            return
        if depth_over(document, limits.max_depth):
            content["text"], content["_truncated"] = "", True
            return
        content["text"] = orjson.dumps(masking.body(document)).decode()
        content.pop("encoding", None)
    elif form and media == "application/x-www-form-urlencoded":
        from urllib.parse import urlencode

        pairs = [(k, masking.param(k, v)) for k, v in parse_qsl(text, keep_blank_values=True)]
        content["text"] = urlencode(pairs, safe="*")
        content["params"] = [{"name": k, "value": v} for k, v in pairs]
    elif content.get("encoding") != "base64" and masking.fields:
        content["text"], content["_truncated"] = "", True  # text we cannot mask by path: not kept


class HarWriter:
    """Appends entries to a capture. `.jsonl`/`.ndjson`: one entry per line; otherwise a HAR 1.2 document that is
    valid after every append (the closing brackets are rewritten each time), so a crash never leaves a broken file."""

    _TAIL = b"\n]}}\n"

    def __init__(self, path: Path, *, masking: Masking = DEFAULT_MASKING, limits: Limits = Limits()) -> None:
        self.path = path
        self.masking = masking
        self.limits = limits
        self.count = 0
        self._lock = threading.Lock()
        self._lines = path.suffix.lower() in JSON_LINES_SUFFIXES
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self._lines and (not path.exists() or path.stat().st_size == 0):
            creator = {"name": "monitor record", "version": __version__}
            head = orjson.dumps({"log": {"version": "1.2", "creator": creator}})[:-2]  # drop the closing "}}"
            path.write_bytes(head + b', "entries": [' + self._TAIL)
        elif not self._lines:
            with path.open("rb") as handle:
                handle.seek(max(0, path.stat().st_size - len(self._TAIL)))
                if handle.read() != self._TAIL:
                    raise CaptureError(f"{path}: not a HAR file written by `monitor record`; choose another --out")
            self.count = -1  # unknown: whether a comma is needed is decided from the file itself

    def write(self, entry: dict[str, Any]) -> None:
        """Mask `entry` and append it."""
        data = orjson.dumps(mask_entry(entry, masking=self.masking, limits=self.limits))
        with self._lock:
            if self._lines:
                with self.path.open("ab") as handle:
                    handle.write(data + b"\n")
            else:
                with self.path.open("r+b") as handle:
                    end = handle.seek(0, os.SEEK_END) - len(self._TAIL)
                    handle.seek(end - 1)
                    first = handle.read(1) == b"["
                    handle.seek(end)
                    handle.write((b"\n" if first else b",\n") + data + self._TAIL)
                    handle.truncate()
            self.count = self.count + 1 if self.count >= 0 else 1
