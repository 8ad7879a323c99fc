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
    # parameters and body are read from alike objects in both versions (their referenced schemas unchanged):
    # their checks find nothing, and the inputs are not read (Stripe: most operations change only in responses)
    inputs_unchanged: bool = False

    @property
    def comparer(self) -> SchemaComparer:
        return self.specs.comparer


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
