"""What operation-level checks receive: both specs, a matched operation pair and the schema comparer."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from monitor.engine.model import Operation, Spec

if TYPE_CHECKING:
    from monitor.engine.schemas import SchemaComparer


class SpecPair(NamedTuple):
    old: Spec
    new: Spec
    comparer: SchemaComparer
    today: date
    min_sunset_days: int  # a deprecation must announce a sunset at least this far ahead


class OperationPair(NamedTuple):
    old: Operation
    new: Operation
    specs: SpecPair

    @property
    def comparer(self) -> SchemaComparer:
        return self.specs.comparer


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
