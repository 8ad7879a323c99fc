"""Which hosts are a platform's sandbox and which its production, for the production guard."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hosts:
    """A platform's known API hosts: sandbox (writes allowed) and production (never written to by a suite)."""

    platform: str
    sandbox: tuple[re.Pattern[str], ...]
    production: tuple[re.Pattern[str], ...]


def hosts(platform: str, sandbox: tuple[str, ...], production: tuple[str, ...]) -> Hosts:
    return Hosts(platform, tuple(map(re.compile, sandbox)), tuple(map(re.compile, production)))


def _first(host: str, catalogue: tuple[Hosts, ...], attribute: str) -> str | None:
    host = host.lower().rstrip(".")
    return next((h.platform for h in catalogue for p in getattr(h, attribute) if p.fullmatch(host)), None)


def sandbox_platform(host: str, catalogue: tuple[Hosts, ...]) -> str | None:
    """The platform whose sandbox this host is, else None (whole-host match: `x.sandbox.evil.example` is none)."""
    return _first(host, catalogue, "sandbox")


def production_platform(host: str, catalogue: tuple[Hosts, ...]) -> str | None:
    """The platform whose production API this host is, else None."""
    return _first(host, catalogue, "production")
