"""What a destination must offer the dispatcher, and the one error its failures become."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from monitor.errors import UpstreamError


class DeliveryError(UpstreamError):
    """A destination did not accept a message (or did not say); `is_config_problem`: retrying alone cannot help."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, is_config_problem: bool = False,
        maybe_sent: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.is_config_problem = is_config_problem
        self.maybe_sent = maybe_sent  # no answer (a read timeout): the destination may have taken it all the same


@dataclass(frozen=True, slots=True)
class Message:
    """One message: plain text (the fallback and webhook text), Block Kit blocks, and the alerts it carries."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # JSON view of each alert, for webhooks


@dataclass(frozen=True, slots=True)
class Sent:
    channel: str | None
    ts: str | None


class Transport(Protocol):
    def post(self, *, target: str, message: Message, delivery_keys: list[str], thread_ts: str | None) -> Sent:
        """Deliver; raise DeliveryError on failure. `delivery_keys` travel with the message."""
        ...

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        """Rewrite a sent message (Slack's chat.update); a no-op where messages cannot be edited."""
        ...

    def known_channel(self, target: str) -> str | None:
        """The destination's own id for `target` when known without a network call (Slack: the channel id)."""
        ...

    def find(
        self, *, target: str, delivery_keys: list[str], since: datetime, thread_ts: str | None = None
    ) -> dict[str, Sent]:
        """Messages already sent with any of `delivery_keys` since `since` (in a thread, if given): after a crash.

        {} when the destination cannot tell (webhooks): the caller then sends again (at least once)."""
        ...
