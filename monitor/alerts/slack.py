"""Slack delivery through slack-sdk's WebClient; the one place slack-sdk errors become DeliveryError."""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from monitor.alerts.transport import DeliveryError, Message, Sent
from monitor.config import Slack
from monitor.redact import redact_text

log = logging.getLogger("monitor.alerts")
# slack-sdk logs every failed request at ERROR ("Failed to send a request to Slack API server") before raising;
# the dispatcher logs each failure once, with its backoff, so the SDK's own line is noise.
_sdk_log = logging.getLogger("monitor.alerts.slack_sdk")
_sdk_log.setLevel(logging.CRITICAL)

METADATA_EVENT = "monitor_alert"
# Retrying cannot fix these: a person must fix the token, the channel or the app's membership.
CONFIG_ERRORS = {
    "invalid_auth": "the token is invalid (alerts.slack.token)",
    "not_authed": "no token was sent (alerts.slack.token)",
    "token_revoked": "the token was revoked (alerts.slack.token)",
    "account_inactive": "the token's account is inactive (alerts.slack.token)",
    "missing_scope": "the token lacks a scope (chat:write, channels:history, channels:read; groups:* if private)",
    "channel_not_found": "the channel does not exist or the app cannot see it (alerts.slack.routes)",
    "not_in_channel": "the app is not in the channel: invite it (/invite @app)",
    "is_archived": "the channel is archived",
}
HISTORY_PAGES = 5  # 1,000 messages: far more than a channel receives between a crash and a restart
LIST_PAGES = 50  # conversations.list, 200 a page: 10,000 channels
# Channel ids are upper case (C..., G... private, D... direct); channel names are lower case, so they cannot clash.
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


def is_channel_id(target: str) -> bool:
    return CHANNEL_ID.fullmatch(target) is not None


def channel_name(target: str) -> str:
    """`#api-changes` and `api-changes` name the same channel; conversations.list answers without the `#`."""
    return target.removeprefix("#")


class SlackTransport:
    """Posts, updates and finds messages; `target` is a channel name or id.

    chat.postMessage takes a name or an id, but conversations.history/replies and chat.update take ids only
    (https://docs.slack.dev/reference/methods/conversations.history: "channel: Conversation ID"), so names are
    resolved to ids: from the `channel` chat.postMessage answers, else from conversations.list; both cached."""

    def __init__(self, config: Slack) -> None:
        token = config.token.get_secret_value()
        self._secrets = [token]
        kwargs: dict[str, Any] = {"logger": _sdk_log, **({"base_url": config.base_url} if config.base_url else {})}
        timeout = max(1, int(config.timeout.total_seconds()))
        # chat.postMessage is never re-sent by the SDK: a connection dropped after Slack accepted the post would
        # post it twice (ConnectionErrorRetryHandler cannot know). Only the outbox retries it, after looking in
        # the channel's history. A 429 is a refusal, so waiting its Retry-After once and posting again is safe.
        self._post_client = WebClient(token=token, timeout=timeout, retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1)], **kwargs)  # fmt: skip
        # Reads and chat.update are idempotent: connection errors may be retried there.
        self._client = WebClient(token=token, timeout=timeout, retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=1), ConnectionErrorRetryHandler(max_retry_count=2)],
            **kwargs)  # fmt: skip
        self._ids: dict[str, str] = {}  # channel name (without '#') -> id
        self._lock = threading.Lock()

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
        channel = response.get("channel")
        if channel and not is_channel_id(target):
            with self._lock:
                self._ids[channel_name(target)] = channel
        return Sent(channel=channel, ts=response.get("ts"))

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        self._call("chat.update", channel=self.channel_id(channel), ts=ts, text=message.text,
                   blocks=message.blocks or None)  # fmt: skip

    def known_channel(self, target: str) -> str | None:
        """The id of `target` if known without asking Slack (an id already, or cached)."""
        if is_channel_id(target):
            return target
        with self._lock:
            return self._ids.get(channel_name(target))

    def channel_id(self, target: str) -> str:
        """The id of a channel name: cached, else looked up with conversations.list (scope channels:read)."""
        known = self.known_channel(target)
        if known is not None:
            return known
        name, cursor = channel_name(target), None
        for _ in range(LIST_PAGES):
            response = self._call("conversations.list", types="public_channel,private_channel",
                                  exclude_archived=True, limit=200, cursor=cursor)  # fmt: skip
            with self._lock:
                for channel in response.get("channels") or []:
                    if channel.get("name") and channel.get("id"):
                        self._ids[channel["name"]] = channel["id"]
                if name in self._ids:
                    return self._ids[name]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        raise DeliveryError(f"slack conversations.list: no channel {target!r}: {CONFIG_ERRORS['channel_not_found']}",
                            is_config_problem=True)  # fmt: skip

    def find(
        self, *, target: str, delivery_keys: list[str], since: datetime, thread_ts: str | None = None
    ) -> dict[str, Sent]:
        """Look through the channel's history (or the thread's replies) for our metadata: sent before a crash?"""
        channel = self.channel_id(target)
        wanted, found = set(delivery_keys), {}
        cursor: str | None = None
        method, extra = ("conversations.replies", {"ts": thread_ts}) if thread_ts else ("conversations.history", {})
        for _ in range(HISTORY_PAGES):
            response = self._call(method, channel=channel, oldest=f"{since.timestamp():.6f}",
                                  include_all_metadata=True, limit=200, cursor=cursor, **extra)  # fmt: skip
            for msg in response.get("messages", []):
                payload = (msg.get("metadata") or {}).get("event_payload") or {}
                for key in set(payload.get("delivery_keys") or []) & wanted:
                    found[key] = Sent(channel=channel, ts=msg.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(wanted):
                break
        return found

    def close(self) -> None:
        return None

    def _call(self, method: str, **params: Any) -> Any:
        client = self._post_client if method == "chat.postMessage" else self._client
        fn = getattr(client, _METHODS[method])
        try:
            response = fn(**{k: v for k, v in params.items() if v is not None})
        except SlackApiError as exc:
            raise _api_error(method, exc) from exc
        # Timeouts, refused or dropped connections, a response cut short (IncompleteRead is an HTTPException).
        except (SlackClientError, OSError, HTTPException) as exc:
            detail = redact_text(f"{type(exc).__name__}: {exc}", self._secrets) or type(exc).__name__
            raise DeliveryError(f"slack {method}: {detail}", maybe_sent=method == "chat.postMessage") from exc
        return response.data


_METHODS = {"chat.postMessage": "chat_postMessage", "chat.update": "chat_update",
            "conversations.history": "conversations_history", "conversations.replies": "conversations_replies",
            "conversations.list": "conversations_list"}  # fmt: skip


def _api_error(method: str, exc: SlackApiError) -> DeliveryError:
    response = exc.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429 or code == "ratelimited":
        retry = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return DeliveryError(f"slack {method}: rate limited (429)", retry_after_s=_seconds(retry))
    if code in CONFIG_ERRORS:
        return DeliveryError(f"slack {method}: {code}: {CONFIG_ERRORS[code]}", is_config_problem=True)
    # A 200 whose body is not Slack's JSON (slack-sdk reports "Received a response in a non-JSON format"): it
    # went through a proxy or was cut; for a post, Slack may have taken it.
    is_garbled = status == 200 and bool(code) and " " in str(code)
    return DeliveryError(f"slack {method}: HTTP {status} {_short(code) or 'error'}",
                         maybe_sent=is_garbled and method == "chat.postMessage")  # fmt: skip


def _short(code: Any) -> str:
    text = str(code or "")
    return text if len(text) <= 80 else text[:79] + "…"


def _seconds(value: Any) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
