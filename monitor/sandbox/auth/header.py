"""Providers with fixed credentials: none at all, one static header, a bearer token."""

from __future__ import annotations


class NoAuth:
    """No credentials at all."""

    def close(self) -> None:
        pass

    def headers(self) -> dict[str, str]:
        return {}

    def secrets(self) -> list[str]:
        return []


class StaticHeader:
    """One fixed header, e.g. `x-api-key: ...`."""

    def __init__(self, header: str, value: str) -> None:
        self._header = header
        self._value = value

    def headers(self) -> dict[str, str]:
        return {self._header: self._value}

    def secrets(self) -> list[str]:
        return [self._value] if self._value else []

    def close(self) -> None:
        pass


class BearerToken(StaticHeader):
    """`Authorization: Bearer <token>` with a fixed token."""

    def __init__(self, token: str) -> None:
        super().__init__("Authorization", f"Bearer {token}")
        self._token = token

    def secrets(self) -> list[str]:
        return [s for s in (self._token, self._value) if s]
