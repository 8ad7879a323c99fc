"""The pair a schema check receives: old and new schema objects plus where they sit."""

from __future__ import annotations

from typing import Any, NamedTuple

from monitor.engine.model import Direction
from monitor.engine.rules.base import Finding


class Place(NamedTuple):
    """Where a schema sits: the context prefix of its rule ids, a location, and message arguments."""

    direction: Direction
    scope: str  # "parameter", "body", "header" or "webhook": what the top-level schema belongs to
    in_property: bool
    location: str
    args: tuple[tuple[str, Any], ...]

    @property
    def context(self) -> str:
        if self.scope == "parameter":
            return "request-parameter-property" if self.in_property else "request-parameter"
        if self.scope == "header":
            return "response-header"
        if self.scope == "webhook":
            return "webhook-property" if self.in_property else "webhook-body"
        side = self.direction.value
        return f"{side}-property" if self.in_property else f"{side}-body"


class SchemaPair(NamedTuple):
    old: dict[str, Any]
    new: dict[str, Any]
    place: Place

    def finding(self, aspect: str, **args: Any) -> Finding:
        return Finding(f"{self.place.context}-{aspect}", self.place.location, {**dict(self.place.args), **args})
