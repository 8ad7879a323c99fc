"""The service's exception tree (the diff engine keeps its own in `monitor.engine.errors`).

MonitorError
 ├── InputError            bad input from us or our users: the CLI exits 2
 │    ├── ConfigError       the config file or environment is invalid
 │    ├── UsageFileError    a usage or contract file is invalid
 │    ├── BlockedHostError  a URL (or a redirect hop) points at a scheme or host the fetcher refuses
 │    └── CaptureError      a traffic capture (HAR, JSON Lines of HAR entries) cannot be read
 ├── UpstreamError         a platform, sandbox or Slack failed us: the CLI exits 3
 │    ├── FetchError        an HTTP fetch failed (network, status, redirects)
 │    │    ├── FetchTimeout       connect/read timeout or the whole-fetch deadline
 │    │    └── ResponseTooLarge   the body exceeded the size cap
 │    ├── SpecRejected      a fetched spec is not a readable OpenAPI/Swagger document
 │    ├── FeedError         a fetched feed cannot be parsed
 │    ├── SandboxError      a sandbox contract run could not be carried out
 │    └── SlackError        Slack refused or failed a delivery
 └── StoreError            the database failed a read or a write

Messages name the thing (source, file, URL with secrets masked by `monitor.redact`) and never carry a secret.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the service raises on purpose."""


class InputError(MonitorError):
    """Bad input or bad usage; fixing the input fixes it."""


class ConfigError(InputError):
    """The configuration (file, environment, flags) is invalid."""


class UsageFileError(InputError):
    """A usage or contract file cannot be read or is invalid."""


class BlockedHostError(InputError):
    """A URL's scheme or host is refused by the fetcher's host guard (SSRF protection)."""


class CaptureError(InputError):
    """A traffic capture cannot be read at all (not HAR, too large); single bad entries are skipped instead."""


class UpstreamError(MonitorError):
    """Something outside the service (platform, sandbox, Slack) failed."""


class FetchError(UpstreamError):
    """An HTTP fetch failed; `url` is masked, `status` is the final HTTP status when there was one."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class FetchTimeout(FetchError):
    """A fetch ran out of time (connect, read, or the whole-fetch deadline)."""


class ResponseTooLarge(FetchError):
    """A response body exceeded the fetcher's size cap."""


class SpecRejected(UpstreamError):
    """A fetched spec cannot be read (broken JSON, not a spec); the stored versions stay as they were."""


class FeedError(UpstreamError):
    """A fetched announcement feed cannot be parsed."""


class SandboxError(UpstreamError):
    """A sandbox contract run could not be carried out."""


class SlackError(UpstreamError):
    """Slack refused or failed to deliver a message."""


class StoreError(MonitorError):
    """The database failed a read or a write."""
