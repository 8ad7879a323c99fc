"""Spec defects: what is wrong in a document that was read anyway (a $ref to nothing, a malformed value).

A monitor that refused the whole file would stop watching an API exactly when it changes; instead the defect is
reported once, when it appears (a defect the old version already had is no change), and the rest is compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from monitor.engine.rules.base import NONE, WARNING, Finding, Rule
from monitor.engine.rules.context import SpecPair

RULES = [
    Rule("spec-dangling-ref", WARNING, NONE, "components", "structure", "A $ref in the new spec points at nothing; what it stood for is not compared"),
    Rule("spec-malformed-value", WARNING, NONE, "components", "structure", "A value in the new spec is malformed and was read leniently"),
]  # fmt: skip
_RULE_OF = {"dangling-ref": "spec-dangling-ref", "malformed-value": "spec-malformed-value"}


def check_defects(s: SpecPair) -> Iterator[Finding]:
    known = set(s.old.defects)
    for kind, where, detail in s.new.defects:
        if (kind, where, detail) not in known:
            yield Finding(_RULE_OF[kind], where, {"detail": detail})
