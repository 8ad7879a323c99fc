"""Schema-level rules: one aspect (what changed) times one context (where), levels set by direction.

A schema comparison serves request and response alike; the same aspect is breaking on one side and
harmless on the other (narrowing what a client may send breaks it, narrowing what it receives does not).
Ids are `<context>-<aspect>` as in oasdiff (`request-parameter-max-length-decreased`).
"""

from __future__ import annotations

from monitor.engine.model import Direction
from monitor.engine.rules.base import BREAKING, INFO, REQUEST, RESPONSE, WARNING, Rule

# context -> (direction, area, noun used in descriptions)
CONTEXTS: dict[str, tuple[Direction, str, str]] = {
    "request-parameter": (REQUEST, "parameters", "a request parameter"),
    "request-parameter-property": (REQUEST, "parameters", "a property of a request parameter"),
    "request-body": (REQUEST, "request-body", "the request body"),
    "request-property": (REQUEST, "request-body", "a request body property"),
    "response-body": (RESPONSE, "responses", "the response body"),
    "response-property": (RESPONSE, "responses", "a response body property"),
    "response-header": (RESPONSE, "headers", "a response header"),
    # a webhook's or callback's request is sent by the platform and read by the integration: levels as a response
    "webhook-body": (RESPONSE, "webhooks", "a webhook payload"),
    "webhook-property": (RESPONSE, "webhooks", "a webhook payload property"),
}
PROPERTY_CONTEXTS = ("request-parameter-property", "request-property", "response-property", "webhook-property")

# aspect -> (level in a request, level in a response, kind, description; "{what}" is the context noun)
ASPECTS = {
    "type-changed": (BREAKING, BREAKING, "type", "The type of {what} changed to an incompatible one"),
    "type-generalized": (INFO, BREAKING, "type", "The type of {what} was widened (integer to number)"),
    "type-specialized": (BREAKING, INFO, "type", "The type of {what} was narrowed (number to integer)"),
    # an untyped ({}) schema accepts anything; gaining a type narrows it to one kind of value
    "type-set": (BREAKING, INFO, "type", "{what} was untyped and now has a type"),
    "type-unset": (INFO, WARNING, "type", "The type of {what} was removed: any value is now allowed"),
    # an object whose properties were all replaced by others: one finding, not each property removed and added
    "object-replaced": (BREAKING, BREAKING, "structure", "{what} was replaced by an object with none of its properties"),
    "list-of-types-narrowed": (BREAKING, INFO, "type", "A type was removed from the list of types of {what}"),
    "list-of-types-widened": (INFO, BREAKING, "type", "A type was added to the list of types of {what}"),
    "format-changed": (BREAKING, BREAKING, "type", "The format of {what} changed"),
    "format-generalized": (INFO, BREAKING, "type", "The format of {what} was widened (int32 to int64, float to double)"),
    # format is often validated by servers (date-time, uuid) but is only an annotation in JSON Schema: warn
    "format-set": (WARNING, INFO, "type", "A format was set on {what}"),
    "format-unset": (INFO, WARNING, "type", "The format of {what} was removed"),
    "became-enum": (BREAKING, INFO, "values", "{what} was free-form and is now limited to an enum"),
    "enum-removed": (INFO, WARNING, "values", "{what} is no longer limited to an enum"),
    "enum-value-added": (INFO, WARNING, "values", "A value was added to the enum of {what}"),
    "enum-value-removed": (BREAKING, INFO, "values", "A value was removed from the enum of {what}"),
    "enum-value-case-changed": (BREAKING, BREAKING, "values", "An enum value of {what} changed case only"),
    "x-extensible-enum-value-added": (INFO, INFO, "values", "A value was added to the x-extensible-enum of {what}"),
    "x-extensible-enum-value-removed": (BREAKING, INFO, "values", "A value was removed from the x-extensible-enum of {what}"),
    "pattern-added": (BREAKING, INFO, "constraints", "A pattern was set on {what}"),
    "pattern-removed": (INFO, WARNING, "constraints", "The pattern of {what} was removed"),
    "pattern-changed": (WARNING, INFO, "constraints", "The pattern of {what} changed"),
    "multiple-of-set": (BREAKING, INFO, "constraints", "multipleOf was set on {what}"),
    "multiple-of-unset": (INFO, WARNING, "constraints", "multipleOf was removed from {what}"),
    "multiple-of-changed": (WARNING, WARNING, "constraints", "multipleOf of {what} changed"),
    "unique-items-set": (BREAKING, INFO, "constraints", "{what} now requires unique items"),
    "unique-items-unset": (INFO, WARNING, "constraints", "{what} no longer requires unique items"),
    "default-value-added": (INFO, INFO, "values", "A default value was added to {what}"),
    "default-value-removed": (WARNING, INFO, "values", "The default value of {what} was removed"),
    "default-value-changed": (WARNING, INFO, "values", "The default value of {what} changed"),
    "became-nullable": (INFO, BREAKING, "type", "{what} became nullable"),
    "became-not-nullable": (BREAKING, INFO, "type", "{what} is no longer nullable"),
    "deprecated": (INFO, INFO, "lifecycle", "{what} was deprecated"),
    "reactivated": (INFO, INFO, "lifecycle", "{what} is no longer deprecated"),
    "additional-properties-restricted": (BREAKING, INFO, "structure", "{what} no longer accepts additional properties"),
    "additional-properties-allowed": (INFO, WARNING, "structure", "{what} now allows additional properties"),
    "one-of-added": (INFO, BREAKING, "structure", "A oneOf alternative was added to {what}"),
    "one-of-removed": (BREAKING, INFO, "structure", "A oneOf alternative was removed from {what}"),
    "any-of-added": (INFO, BREAKING, "structure", "An anyOf alternative was added to {what}"),
    "any-of-removed": (BREAKING, INFO, "structure", "An anyOf alternative was removed from {what}"),
    "discriminator-added": (INFO, INFO, "structure", "A discriminator was added to {what}"),
    "discriminator-removed": (WARNING, WARNING, "structure", "The discriminator of {what} was removed"),
    "discriminator-property-name-changed": (BREAKING, BREAKING, "structure", "The discriminator property of {what} changed"),
    "discriminator-mapping-added": (INFO, WARNING, "structure", "A discriminator mapping was added to {what}"),
    "discriminator-mapping-removed": (BREAKING, INFO, "structure", "A discriminator mapping was removed from {what}"),
    "discriminator-mapping-changed": (BREAKING, BREAKING, "structure", "A discriminator mapping of {what} points elsewhere"),
    "const-changed": (BREAKING, BREAKING, "values", "The const value of {what} changed"),
    "content-encoding-changed": (BREAKING, BREAKING, "type", "contentEncoding of {what} changed"),
    "content-media-type-changed": (BREAKING, BREAKING, "type", "contentMediaType of {what} changed"),
    "content-schema-added": (BREAKING, INFO, "constraints", "contentSchema was added to {what}"),
    "content-schema-removed": (INFO, WARNING, "constraints", "contentSchema was removed from {what}"),
    "contains-added": (BREAKING, INFO, "constraints", "contains was added to {what}"),
    "contains-removed": (INFO, WARNING, "constraints", "contains was removed from {what}"),
    "prefix-items-added": (INFO, BREAKING, "structure", "prefixItems were added to {what}"),
    "prefix-items-removed": (BREAKING, INFO, "structure", "prefixItems were removed from {what}"),
    "if-added": (BREAKING, INFO, "constraints", "An if condition was added to {what}"),
    "if-removed": (INFO, WARNING, "constraints", "The if condition of {what} was removed"),
    "then-added": (BREAKING, INFO, "constraints", "A then branch was added to {what}"),
    "then-removed": (INFO, WARNING, "constraints", "The then branch of {what} was removed"),
    "else-added": (BREAKING, INFO, "constraints", "An else branch was added to {what}"),
    "else-removed": (INFO, WARNING, "constraints", "The else branch of {what} was removed"),
    "dependent-required-added": (BREAKING, INFO, "requiredness", "dependentRequired was added to {what}"),
    "dependent-required-removed": (INFO, WARNING, "requiredness", "dependentRequired was removed from {what}"),
    "dependent-required-changed": (BREAKING, BREAKING, "requiredness", "dependentRequired of {what} changed"),
    "dependent-schema-added": (BREAKING, INFO, "constraints", "A dependentSchemas entry was added to {what}"),
    "dependent-schema-removed": (INFO, BREAKING, "constraints", "A dependentSchemas entry was removed from {what}"),
    "pattern-property-added": (BREAKING, INFO, "structure", "A patternProperties entry was added to {what}"),
    "pattern-property-removed": (INFO, BREAKING, "structure", "A patternProperties entry was removed from {what}"),
    "property-names-added": (BREAKING, INFO, "constraints", "propertyNames was added to {what}"),
    "property-names-removed": (INFO, WARNING, "constraints", "propertyNames was removed from {what}"),
    "unevaluated-items-added": (BREAKING, INFO, "constraints", "unevaluatedItems was added to {what}"),
    "unevaluated-items-removed": (INFO, WARNING, "constraints", "unevaluatedItems was removed from {what}"),
    "unevaluated-properties-added": (BREAKING, INFO, "constraints", "unevaluatedProperties was added to {what}"),
    "unevaluated-properties-removed": (INFO, WARNING, "constraints", "unevaluatedProperties was removed from {what}"),
    # requiredness and visibility of a property inside its object: property contexts only
    "became-required": (BREAKING, INFO, "requiredness", "{what} became required"),
    "became-optional": (INFO, BREAKING, "requiredness", "{what} became optional"),
    "became-read-only": (WARNING, INFO, "mutability", "{what} became readOnly"),
    "became-not-read-only": (INFO, INFO, "mutability", "{what} is no longer readOnly"),
    "became-write-only": (INFO, BREAKING, "mutability", "{what} became writeOnly"),
    "became-not-write-only": (INFO, INFO, "mutability", "{what} is no longer writeOnly"),
}  # fmt: skip
PROPERTY_ONLY = {"became-required", "became-optional", "became-read-only", "became-not-read-only",
                 "became-write-only", "became-not-write-only"}  # fmt: skip

# Bounds: keyword -> aspect stem; "max" bounds narrow when they decrease, "min" bounds when they increase.
BOUNDS = {
    "maximum": "max", "minimum": "min", "exclusiveMaximum": "exclusive-max", "exclusiveMinimum": "exclusive-min",
    "maxLength": "max-length", "minLength": "min-length", "maxItems": "max-items", "minItems": "min-items",
    "maxProperties": "max-properties", "minProperties": "min-properties",
    "maxContains": "max-contains", "minContains": "min-contains",
}  # fmt: skip
for _stem in BOUNDS.values():
    _upper = not _stem.startswith(("min", "exclusive-min"))
    ASPECTS[f"{_stem}-decreased"] = (BREAKING, INFO, "constraints", f"The {_stem} bound of {{what}} was decreased") if _upper \
        else (INFO, BREAKING, "constraints", f"The {_stem} bound of {{what}} was decreased")  # fmt: skip
    ASPECTS[f"{_stem}-increased"] = (INFO, BREAKING, "constraints", f"The {_stem} bound of {{what}} was increased") if _upper \
        else (BREAKING, INFO, "constraints", f"The {_stem} bound of {{what}} was increased")  # fmt: skip
    # A lower bound where there was none rejects the values the old contract was written around (the empty string
    # once minLength: 1 is set, an empty list once minItems: 1): breaking in a request, as oasdiff reads it (absent
    # minLength is 0). An upper bound appearing usually documents a limit the server always had: a warning, as
    # oasdiff rates it. In a response either only narrows what readers get.
    _level = WARNING if _upper else BREAKING
    ASPECTS[f"{_stem}-set"] = (_level, INFO, "constraints", f"A {_stem} bound was set on {{what}}")
    ASPECTS[f"{_stem}-unset"] = (INFO, WARNING, "constraints", f"The {_stem} bound of {{what}} was removed")

# Where oasdiff settled on another level for one context, follow it (users know its verdicts).
LEVEL_OVERRIDES = {
    "request-parameter-default-value-changed": BREAKING,
    "request-parameter-default-value-removed": BREAKING,
}


def schema_rules() -> list[Rule]:
    rules = []
    for context in CONTEXTS:
        for aspect in ASPECTS:
            rule = schema_rule(context, aspect)
            if rule is not None:
                rules.append(rule)
    return rules


def schema_rule(context: str, aspect: str) -> Rule | None:
    """The rule of one schema aspect in one context, or None when the aspect does not apply there."""
    if aspect in PROPERTY_ONLY and context not in PROPERTY_CONTEXTS:
        return None
    direction, area, noun = CONTEXTS[context]
    req, resp, kind, text = ASPECTS[aspect]
    rule_id = f"{context}-{aspect}"
    level = LEVEL_OVERRIDES.get(rule_id, req if direction is REQUEST else resp)
    description = text.format(what=noun)
    return Rule(rule_id, level, direction, area, kind, description[0].upper() + description[1:])
