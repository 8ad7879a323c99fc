"""API tokens: made at random, stored only as sha256 in the config, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from monitor.config import ApiToken

PREFIX = "mon_"  # makes a leaked token recognisable to secret scanners
SCOPES = ("read", "gate", "admin")
RANK = {"read": 0, "gate": 1, "admin": 2}  # read < gate < admin: a scope grants every lower one


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_token(tokens: Iterable[ApiToken], presented: str) -> ApiToken | None:
    """The configured token whose hash matches; every one is compared, in constant time, so timing tells nothing."""
    digest = token_hash(presented)
    found = None
    for token in tokens:
        if hmac.compare_digest(token.sha256, digest):
            found = token
    return found


def grants(token: ApiToken, scope: str) -> bool:
    return max(RANK[s] for s in token.scopes) >= RANK[scope] if token.scopes else False
