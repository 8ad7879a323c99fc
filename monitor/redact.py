"""The one place that masks secrets in URLs, headers and text before they reach logs, the store, reports or Slack."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Protocol
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

MASK = "***"

# Query or fragment parameter names (compared lower-case, camelCase split into words) whose values are secrets.
_SECRET_PARAM_WORDS = frozenset(
    {
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "sign",  # Shopee, Lazada and TikTok Shop: `sign`, an HMAC of the request that can be replayed for minutes
        "credential",
        "credentials",
        "auth",
        "authorization",
        "apikey",
        "session",
        "sessionid",
    }
)
# Substrings that mark a secret even when glued to other words (`accesstoken`, `clientsecret`, `x-goog-signature`).
_SECRET_PARAM_PARTS = ("token", "secret", "passw", "apikey", "signature", "credential")
# AWS SigV4 presigned URLs carry the signature, credential and session token as X-Amz-* parameters.
_SECRET_PARAM_PREFIXES = ("x-amz-",)

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-amz-access-token"})
_SECRET_HEADER_PARTS = ("token", "secret", "key", "auth", "cookie", "passw", "signature", "credential", "session")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SEPARATORS = re.compile(r"[^a-z0-9]+")


# Values the configuration marks secret (`${VAR}` placeholders, SecretStr fields), registered when it is loaded: masked
# in URLs whatever the parameter that carries them is called (`?c=<key>`, a path segment).
_REGISTERED: set[str] = set()
_REGISTERED_LOCK = threading.Lock()
MIN_REGISTERED_CHARS = 4  # shorter values (`${PAGE_SIZE}` = 50) would mask ordinary digits and words everywhere
# A registered value is masked inside longer text (a path, a parameter holding more) only from this length: a
# placeholder may hold a plain word (`${STAGE}` = prod), which must not eat `/products`. Real keys are longer.
MIN_EMBEDDED_CHARS = 8


class SecretLike(Protocol):
    """Anything holding a secret the way pydantic's `SecretStr` does."""

    def get_secret_value(self) -> str: ...


def is_secret_param(name: str) -> bool:
    """Whether a query or fragment parameter with this name carries a secret."""
    lowered = name.lower()
    if lowered.startswith(_SECRET_PARAM_PREFIXES) or any(part in lowered for part in _SECRET_PARAM_PARTS):
        return True
    # Whole words only for short markers, so `keyword` or `signed` stay readable while `api_key` or `sig` are masked.
    words = _WORD_SEPARATORS.split(_CAMEL_BOUNDARY.sub("_", name).lower())
    return any(word in _SECRET_PARAM_WORDS for word in words)


def is_secret_header(name: str) -> bool:
    """Whether an HTTP header with this name carries a secret."""
    lowered = name.lower()
    return lowered in _SECRET_HEADERS or any(part in lowered for part in _SECRET_HEADER_PARTS)


def register_secrets(values: Iterable[str | SecretLike | None]) -> None:
    """Remember values the configuration marks secret, so every URL shown anywhere masks them by value."""
    found = {_secret_value(v) for v in values}
    with _REGISTERED_LOCK:
        _REGISTERED.update(v for v in found if len(v) >= MIN_REGISTERED_CHARS)


def registered_secrets() -> list[str]:
    with _REGISTERED_LOCK:
        return list(_REGISTERED)


def redact_url(url: str) -> str:
    """The URL with its userinfo password, secret query/fragment parameter values and any registered secret (in a
    parameter of any name or in the path) replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # An unparsable URL may still hold a secret anywhere; say nothing rather than leak it.
        return MASK
    registered = registered_secrets()
    netloc = _redact_netloc(parts.netloc)
    embedded = [secret for secret in registered if len(secret) >= MIN_EMBEDDED_CHARS]
    path = redact_text(parts.path, embedded) if embedded else parts.path
    query = _redact_params(parts.query, registered)
    fragment = _redact_params(parts.fragment, registered)
    if (netloc, path, query, fragment) == (parts.netloc, parts.path, parts.query, parts.fragment):
        return url  # nothing to mask: as written (urlunsplit would turn sqlite:///x into sqlite:/x)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def secrets_in_url(url: str) -> list[str]:
    """The secret values `redact_url` masks, raw and as they appear in the URL, for `redact_text` on messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found: list[str] = []
    userinfo, _, _ = parts.netloc.rpartition("@")
    if userinfo:
        user, has_password, password = userinfo.partition(":")
        found.append(password if has_password else user)
    for params in (parts.query, parts.fragment):
        found.extend(value for name, value in _split_params(params) if value and is_secret_param(unquote_plus(name)))
    after_host = unquote_plus(urlunsplit(("", "", parts.path, parts.query, parts.fragment)))
    found.extend(secret for secret in registered_secrets() if _holds(after_host, secret))  # the host stays readable
    return [s for value in found if value for s in (value, unquote_plus(value))]


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of the headers with secret-bearing values replaced by `***` (names and their case kept)."""
    return {name: MASK if is_secret_header(name) else value for name, value in headers.items()}


def redact_text(text: str, secrets: Iterable[str | SecretLike | None]) -> str:
    """The text with every known secret value (raw or URL-encoded) replaced by `***`."""
    values = {_secret_value(secret) for secret in secrets}
    forms = {form for value in values if value for form in (value, quote(value, safe=""), quote_plus(value))}
    # Longest first, so a secret that contains another is masked whole rather than leaving its remainder visible.
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def _secret_value(secret: str | SecretLike | None) -> str:
    if secret is None:
        return ""
    return secret if isinstance(secret, str) else secret.get_secret_value()


def _redact_netloc(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return netloc
    user, has_password, _ = userinfo.partition(":")
    # A lone userinfo is usually a token (`https://<token>@github.com/...`), so it is masked like a password.
    masked = f"{user}:{MASK}" if has_password else MASK
    return f"{masked}@{hostport}"


def _split_params(params: str) -> list[tuple[str, str]]:
    pairs = []
    for item in params.split("&"):
        name, _, value = item.partition("=")
        pairs.append((name, value))
    return pairs


def _redact_params(params: str, registered: Iterable[str] = ()) -> str:
    """Mask values in `a=1&b=2` text in place, leaving the other parameters byte-for-byte as they were."""
    if not params:
        return params
    items = []
    for item in params.split("&"):
        name, has_value, value = item.partition("=")
        if has_value and value and (is_secret_param(unquote_plus(name)) or _holds_any(value, registered)):
            item = f"{name}={MASK}"
        items.append(item)
    return "&".join(items)


def _holds_any(value: str, secrets: Iterable[str]) -> bool:
    decoded = unquote_plus(value)
    return any(_holds(decoded, secret) for secret in secrets)


def _holds(text: str, secret: str) -> bool:
    """Whether `text` is the secret, or contains it and it is long enough to be told from an ordinary word."""
    if len(secret) >= MIN_EMBEDDED_CHARS:
        return secret in text
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", text) is not None


_ANY_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
ERROR_MAX_CHARS = 2000  # the size of the error columns (JobRun.error)


def mask(text: str, secrets: Iterable[str | SecretLike | None] = ()) -> str:
    """The text with every URL's secrets masked and the given secret values replaced: for logs and the store."""
    return redact_text(_ANY_URL.sub(lambda m: redact_url(m.group(0)), text), secrets)


def error_line(exc: BaseException, secrets: Iterable[str | SecretLike | None] = ()) -> str:
    """One masked line describing an error; the service's own errors speak for themselves, others are named by type."""
    from monitor.errors import MonitorError

    text = str(exc) if isinstance(exc, MonitorError) else f"{type(exc).__name__}: {exc}"
    return mask(" ".join(text.split()) or type(exc).__name__, secrets)[:ERROR_MAX_CHARS]


class RedactingFilter(logging.Filter):
    """Masks URL secrets in every record of a logger (httpx logs each request's full URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_log_redaction(*names: str) -> None:
    """Attach the filter to these loggers once (idempotent), so third-party logs follow our rules too."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
