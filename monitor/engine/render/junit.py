"""JUnit XML: one test case per operation, failed by its changes at the breaking level."""

from __future__ import annotations

from monitor.engine.diff import DiffResult
from monitor.engine.model import Level


def render(result: DiffResult, fail_level: Level = Level.BREAKING) -> str:
    from xml.etree import ElementTree as ET  # here: only this format needs it (~3 ms to import)

    suite = ET.Element("testsuite", name=f"api-diff {result.new['title'] or result.new['file']}")
    by_op: dict[str, list] = {}
    for change in result.changes:
        for op in change.operations or ["(whole spec)"]:
            by_op.setdefault(op, []).append(change)
    failures = 0
    for op, changes in sorted(by_op.items()):
        case = ET.SubElement(suite, "testcase", classname="api-diff", name=op)
        failing = [c for c in changes if c.level.rank >= fail_level.rank]
        if failing:
            failures += 1
            failure = ET.SubElement(case, "failure", message=f"{len(failing)} {fail_level.value} change(s)",
                                    type=failing[0].id)  # fmt: skip
            failure.text = "\n".join(f"{c.level.value}: {c.message} [{c.id}]" for c in failing)
        others = [c for c in changes if c not in failing]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{c.level.value}: {c.message} [{c.id}]" for c in others)
    suite.set("tests", str(len(by_op)))
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
