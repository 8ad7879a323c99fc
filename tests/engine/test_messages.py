"""en.json, which the engine reads, is en.yaml (where the sentences are written) parsed: the two never differ."""

from __future__ import annotations

from monitor.engine.messages import _templates
from monitor.engine.messages.build import GENERATED, from_yaml, generated_text


def test_generated_templates_match_the_yaml_source() -> None:
    assert GENERATED.read_bytes() == generated_text(from_yaml()), (
        "messages/en.json is out of date with en.yaml: run `python -m monitor.engine.messages.build`"
    )


def test_engine_reads_the_yaml_sentences() -> None:
    assert _templates() == from_yaml()
    assert _templates()["rules"]["endpoint-added"]  # a sentence, not an empty table
