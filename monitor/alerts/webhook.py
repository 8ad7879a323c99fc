"""Generic JSON webhooks (Teams workflows, ticketing systems): one POST per message, an idempotency key per delivery."""

from __future__ import annotations

from datetime import datetime

import httpx

from monitor.alerts.transport import DeliveryError, Message, Sent
from monitor.config import Webhook
from monitor.redact import mask

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class WebhookTransport:
    """POSTs `{"text", "alerts", "delivery_keys"}`; the URL and headers are secrets and never appear in errors."""

    def __init__(self, config: Webhook) -> None:
        self._config = config
        self._secrets = [config.url, *(v.get_secret_value() for v in config.headers.values())]
        self._headers = {k: v.get_secret_value() for k, v in config.headers.items()}
        self._client = httpx.Client(timeout=config.timeout.total_seconds(), follow_redirects=False)

    def post(self, *, target: str, message: Message, delivery_keys: list[str], thread_ts: str | None) -> Sent:
        body = {"text": message.text, "alerts": message.alerts, "delivery_keys": delivery_keys}
        # Receivers drop a key they have seen: the one case we may send twice is a crash between POST and mark.
        headers = {**self._headers, "Idempotency-Key": delivery_keys[0] if delivery_keys else ""}
        name = f"webhook {self._config.name}"
        try:
            response = self._client.post(self._config.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{name}: {type(exc).__name__}: {mask(str(exc), self._secrets)}",
                                maybe_sent=isinstance(exc, httpx.ReadTimeout)) from exc  # fmt: skip
        if response.status_code >= 300:
            retry = response.headers.get("Retry-After")
            retry_s = float(retry) if retry and retry.isdigit() else None
            is_config = response.status_code not in RETRYABLE  # 401, 404...: a person must fix the config
            raise DeliveryError(f"{name}: HTTP {response.status_code}", retry_after_s=retry_s,
                                is_config_problem=is_config)  # fmt: skip
        return Sent(channel=None, ts=None)

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        return None

    def known_channel(self, target: str) -> str | None:
        return None

    def find(
        self, *, target: str, delivery_keys: list[str], since: datetime, thread_ts: str | None = None
    ) -> dict[str, Sent]:
        return {}

    def close(self) -> None:
        self._client.close()
