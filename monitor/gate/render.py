"""A gate decision as text, JSON, JUnit XML or GitHub Actions workflow commands (strings; the CLI writes them)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import orjson

MARK = {"fail": "FAIL", "warn": "WARN", "unknown": "UNKNOWN", "info": "INFO", "pass": "PASS"}


def render(answer: dict[str, Any], fmt: str) -> str:
    """`answer` is a decision's JSON (local or from the API)."""
    return {"text": text, "json": as_json, "junit": junit, "githubactions": github}[fmt](answer)


def _headline(a: dict[str, Any]) -> str:
    deployable = {True: "deployable", False: "not deployable", None: "cannot tell"}[a.get("deployable")]
    version = f" {a['version']}" if a.get("version") else ""
    report = ", report-only" if a.get("report_only") else ""
    return f"{a['integration']}{version} -> {a['environment']}: {MARK[a['decision']]} ({deployable}{report})"


def text(a: dict[str, Any]) -> str:
    lines = [_headline(a)]
    for r in a.get("reasons", []):
        lines.append(f"  {MARK.get(r['severity'], r['severity']):<7} {r['kind']:<12} {r['message']}")
        if r.get("link"):
            lines.append(f"  {'':<7} {'':<12} {r['link']}")
    for r in a.get("waived", []):
        lines.append(f"  {'WAIVED':<7} {r['kind']:<12} {r['message']} (waiver {r.get('waiver_id')})")
    return "\n".join(lines) + "\n"


def as_json(a: dict[str, Any]) -> str:
    return orjson.dumps(a, option=orjson.OPT_INDENT_2).decode() + "\n"


def junit(a: dict[str, Any]) -> str:
    """One test case per reason (fail and unknown are failures, warn passes with its message); one when none."""
    reasons = a.get("reasons", [])
    failures = sum(1 for r in reasons if r["severity"] in ("fail", "unknown"))
    suite = ET.Element("testsuite", name=f"monitor gate {a['integration']} {a['environment']}",
                       tests=str(max(1, len(reasons))), failures=str(failures), errors="0",
                       timestamp=str(a.get("evaluated_at", "")))  # fmt: skip
    if not reasons:
        case = ET.SubElement(suite, "testcase", classname="gate", name=_headline(a))
    for r in reasons:
        case = ET.SubElement(suite, "testcase", classname=f"gate.{r['kind']}", name=r["message"][:200])
        if r["severity"] in ("fail", "unknown"):
            failure = ET.SubElement(case, "failure", type=r["severity"], message=r["message"])
            failure.text = r.get("link") or ""
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{r['severity']}: {r['message']}"
    suites = ET.Element("testsuites", name="monitor gate")
    suites.append(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _escape(value: str) -> str:
    """Workflow command data escaping (GitHub's toolkit: %, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape(value).replace(":", "%3A").replace(",", "%2C")


def github(a: dict[str, Any]) -> str:
    """`::error`/`::warning` annotations per reason and a `::notice` headline."""
    command = {"fail": "error", "unknown": "error", "warn": "warning"}
    lines = []
    for r in a.get("reasons", []):
        title = _escape_property(f"gate {r['severity']}: {r['kind']}")
        message = r["message"] + (f" ({r['link']})" if r.get("link") else "")
        lines.append(f"::{command.get(r['severity'], 'notice')} title={title}::{_escape(message)}")
    level = {"fail": "error", "unknown": "error", "warn": "warning"}.get(a["decision"], "notice")
    if a.get("report_only") and level == "error":
        level = "warning"
    lines.append(f"::{level} title={_escape_property('monitor gate')}::{_escape(_headline(a))}")
    return "\n".join(lines) + "\n"
