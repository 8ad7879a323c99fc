"""Real corpus pairs for the detection classes of issue 15: each class, where the corpus has one, on real data."""

from __future__ import annotations

import pytest

from monitor.engine.model import Level
from tests.corpus.test_known_findings import find, run

pytestmark = pytest.mark.corpus

BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO
CATALOG = "amazon/catalogItems_2022-04-01"


def test_catalog_item_dimensions_object_to_array_is_one_type_change_not_each_property_removed() -> None:
    result = run(f"{CATALOG}/15d2d98d_2022-05-18.json", f"{CATALOG}/1001e73a_2022-05-20.json")
    at = "#/definitions/ItemDimensions"
    (change,) = find(result.changes, "response-property-type-changed", schema="ItemDimensions")
    assert (change.level, change.location, change.args["old"], change.args["new"]) == (BREAKING, at, "object", "array")
    assert change.operations == ["GET /catalog/2022-04-01/items", "GET /catalog/2022-04-01/items/{asin}"]
    assert not [c for c in result.changes if c.location.startswith(at + "/")]
