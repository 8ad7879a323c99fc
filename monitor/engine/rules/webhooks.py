"""Webhooks and callbacks, compared with the direction reversed.

The platform sends the request and the integration receives it (marketplaces deliver order and listing events
this way), so what breaks a client reading a response breaks a receiver here: a payload that widens (a new enum
value, a property that may now be absent or null), a header the receiver must now check. The payload's schema is
compared in the `webhook-body` / `webhook-property` contexts, whose levels are those of a response.
"""

from __future__ import annotations

from collections.abc import Iterator

from monitor.engine.model import Operation
from monitor.engine.rules.base import BREAKING, INFO, RESPONSE, WARNING, Finding, Rule
from monitor.engine.rules.context import SpecPair, escape
from monitor.engine.rules.schema_pair import Place

RULES = [
    Rule("webhook-required-property-removed", BREAKING, RESPONSE, "webhooks", "existence", "A required webhook payload property was removed; receivers reading it break"),
    Rule("webhook-optional-property-removed", WARNING, RESPONSE, "webhooks", "existence", "An optional webhook payload property was removed"),
    Rule("webhook-required-property-added", INFO, RESPONSE, "webhooks", "existence", "A required property was added to a webhook payload"),
    Rule("webhook-optional-property-added", INFO, RESPONSE, "webhooks", "existence", "An optional property was added to a webhook payload"),
    Rule("webhook-required-header-added", BREAKING, RESPONSE, "webhooks", "existence", "A webhook now sends a required header the receiver must check"),
    Rule("webhook-optional-header-added", INFO, RESPONSE, "webhooks", "existence", "A webhook now sends an optional header"),
    Rule("webhook-required-header-removed", BREAKING, RESPONSE, "webhooks", "existence", "A webhook no longer sends a required header; receivers checking it break"),
    Rule("webhook-optional-header-removed", WARNING, RESPONSE, "webhooks", "existence", "A webhook no longer sends an optional header"),
    Rule("callback-added", INFO, RESPONSE, "webhooks", "existence", "A callback was added to an operation"),
    Rule("callback-removed", BREAKING, RESPONSE, "webhooks", "existence", "A callback was removed: the platform no longer sends it"),
]  # fmt: skip


def check_events(s: SpecPair) -> Iterator[tuple[str, Finding]]:
    """(operation label, finding) for every webhook and callback operation of the two specs.

    Webhooks added or removed are reported by name (`webhook-added/removed` in paths.py); callbacks here.
    """
    old, new = s.old.events, s.new.events
    for label in sorted(old.keys() - new.keys()):
        if label.split(" ", 1)[1].startswith("callback:"):
            yield label, Finding("callback-removed", old[label].pointer, {})
    for label in sorted(new.keys() - old.keys()):
        if label.split(" ", 1)[1].startswith("callback:"):
            yield label, Finding("callback-added", new[label].pointer, {})
    for label in sorted(old.keys() & new.keys()):
        o, n = old[label], new[label]
        if s.comparer.same(o.raw, n.raw):
            continue
        yield from ((label, f) for f in _compare(s, o, n))


def _compare(s: SpecPair, old: Operation, new: Operation) -> Iterator[Finding]:
    for key in sorted(old.parameters.keys() - new.parameters.keys()):
        param = old.parameters[key]
        rule = f"webhook-{'required' if param.required else 'optional'}-header-removed"
        yield Finding(rule, f"{old.pointer}/parameters/{param.location}/{escape(param.name)}", _args(param.name))
    for key in sorted(new.parameters.keys() - old.parameters.keys()):
        param = new.parameters[key]
        rule = f"webhook-{'required' if param.required else 'optional'}-header-added"
        yield Finding(rule, f"{new.pointer}/parameters/{param.location}/{escape(param.name)}", _args(param.name))
    for key in sorted(old.parameters.keys() & new.parameters.keys()):
        o, n = old.parameters[key], new.parameters[key]
        at = f"{new.pointer}/parameters/{n.location}/{escape(n.name)}"
        place = Place(RESPONSE, "header", False, f"{at}/schema", tuple(_args(n.name).items()))
        yield from s.comparer.compare(o.schema, n.schema, place)
    if old.body is None or new.body is None:
        return
    seen: set[tuple[int, int]] = set()
    for media in sorted(old.body.content.keys() & new.body.content.keys()):
        o, n = old.body.content[media], new.body.content[media]
        if (id(o), id(n)) in seen:
            continue
        seen.add((id(o), id(n)))
        place = Place(RESPONSE, "webhook", False, f"{new.body.pointer}/content/{escape(media)}/schema", ())
        yield from s.comparer.compare(o, n, place)


def _args(name: str) -> dict[str, str]:
    return {"header": name}
