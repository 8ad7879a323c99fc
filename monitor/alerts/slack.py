"""Slack delivery through slack-sdk's WebClient; the one place slack-sdk errors become DeliveryError."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from monitor.alerts.transport import DeliveryError, Message, Sent
from monitor.config import Slack
from monitor.redact import redact_text

log = logging.getLogger("monitor.alerts")

METADATA_EVENT = "monitor_alert"
# Retrying cannot fix these: a person must fix the token, the channel or the app's membership.
CONFIG_ERRORS = {
    "invalid_auth": "the token is invalid (alerts.slack.token)",
    "not_authed": "no token was sent (alerts.slack.token)",
    "token_revoked": "the token was revoked (alerts.slack.token)",
    "account_inactive": "the token's account is inactive (alerts.slack.token)",
    "missing_scope": "the token lacks the chat:write scope",
    "channel_not_found": "the channel does not exist or the app cannot see it (alerts.slack.routes)",
    "not_in_channel": "the app is not in the channel: invite it (/invite @app)",
    "is_archived": "the channel is archived",
}
HISTORY_PAGES = 5  # 1,000 messages: far more than a channel receives between a crash and a restart


class SlackTransport:
    """Posts, updates and finds messages; `target` is a channel name or id."""

    def __init__(self, config: Slack) -> None:
        token = config.token.get_secret_value()
        self._secrets = [token]
        kwargs: dict[str, Any] = {"base_url": config.base_url} if config.base_url else {}
        self._client = WebClient(token=token, timeout=max(1, int(config.timeout.total_seconds())), **kwargs)
        # A 429 waits its Retry-After once inside the call; a second 429 comes back to our backoff.
        self._client.retry_handlers.extend(
            [RateLimitErrorRetryHandler(max_retry_count=1), ConnectionErrorRetryHandler(max_retry_count=2)]
        )

    def post(self, *, target: str, message: Message, delivery_keys: list[str], thread_ts: str | None) -> Sent:
        response = self._call(
            "chat.postMessage",
            channel=target,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
            unfurl_links=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"delivery_keys": delivery_keys}},
        )
        return Sent(channel=response.get("channel"), ts=response.get("ts"))

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        self._call("chat.update", channel=channel, ts=ts, text=message.text, blocks=message.blocks or None)

    def find(
        self, *, target: str, delivery_keys: list[str], since: datetime, thread_ts: str | None = None
    ) -> dict[str, Sent]:
        """Look through the channel's history (or the thread's replies) for our metadata: sent before a crash?"""
        wanted, found = set(delivery_keys), {}
        cursor: str | None = None
        method, extra = ("conversations.replies", {"ts": thread_ts}) if thread_ts else ("conversations.history", {})
        for _ in range(HISTORY_PAGES):
            response = self._call(method, channel=target, oldest=f"{since.timestamp():.6f}",
                                  include_all_metadata=True, limit=200, cursor=cursor, **extra)  # fmt: skip
            for msg in response.get("messages", []):
                payload = (msg.get("metadata") or {}).get("event_payload") or {}
                for key in set(payload.get("delivery_keys") or []) & wanted:
                    found[key] = Sent(channel=response.get("channel") or target, ts=msg.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(wanted):
                break
        return found

    def _call(self, method: str, **params: Any) -> Any:
        fn = getattr(self._client, _METHODS[method])
        try:
            return fn(**{k: v for k, v in params.items() if v is not None}).data
        except SlackApiError as exc:
            raise _api_error(method, exc) from exc
        except (SlackClientError, OSError) as exc:  # timeouts, refused connections, broken responses
            detail = redact_text(f"{type(exc).__name__}: {exc}", self._secrets) or type(exc).__name__
            raise DeliveryError(f"slack {method}: {detail}", maybe_sent=method == "chat.postMessage") from exc


_METHODS = {"chat.postMessage": "chat_postMessage", "chat.update": "chat_update",
            "conversations.history": "conversations_history", "conversations.replies": "conversations_replies"}  # fmt: skip


def _api_error(method: str, exc: SlackApiError) -> DeliveryError:
    response = exc.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429 or code == "ratelimited":
        retry = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return DeliveryError(f"slack {method}: rate limited (429)", retry_after_s=_seconds(retry))
    if code in CONFIG_ERRORS:
        return DeliveryError(f"slack {method}: {code}: {CONFIG_ERRORS[code]}", is_config_problem=True)
    return DeliveryError(f"slack {method}: HTTP {status} {code or 'error'}")


def _seconds(value: Any) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
