"""What a rule is and what a check yields: the vocabulary shared by every rule family."""

from __future__ import annotations

from typing import Any, NamedTuple

from monitor.engine.model import Direction, Level

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
REQUEST, RESPONSE, NONE = Direction.REQUEST, Direction.RESPONSE, Direction.NONE


class Rule(NamedTuple):
    """One catalogue row: a stable id with its default level and where it applies."""

    id: str
    level: Level
    direction: Direction
    area: str  # paths, parameters, request-body, responses, headers, schema, security, ...
    kind: str  # existence, requiredness, type, constraints, values, structure, lifecycle, mutability
    description: str


class Finding(NamedTuple):
    """A raw result of one check: an id, where it happened and named arguments for its message.

    Findings carry no level and no sentence: the catalogue and the messages supply them later. The engine's
    records are NamedTuples rather than dataclasses: a diff creates tens of thousands of them (a frozen
    dataclass's __init__ is 3x slower), and importing dataclasses costs `monitor diff` ~7 ms.
    """

    rule_id: str
    location: str
    args: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        """Two findings with the same key are one root cause, however many operations reach it."""
        return (self.rule_id, self.location, repr(sorted(self.args.items())))
