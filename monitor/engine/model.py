"""The normalised spec: what Swagger 2.0 and OpenAPI 3.x both become before they are compared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from monitor.engine.limits import RateLimit

Node = dict[str, Any]  # a raw schema (or other) object as parsed, possibly holding "$ref"


class Level(StrEnum):
    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"breaking": 3, "warning": 2, "info": 1}[self.value]


class Direction(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Parameter:
    location: str  # path, query, header, cookie
    name: str
    required: bool
    schema: Node  # always a schema object (Swagger 2.0 parameter fields are lifted into one)
    deprecated: bool = False
    style: str | None = None
    explode: bool | None = None
    allow_empty_value: bool = False
    extensions: Node = field(default_factory=dict)
    raw: Node = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Body:
    required: bool
    content: dict[str, Node]  # media type -> schema
    pointer: str


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    required: bool
    schema: Node
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # "200", "4XX", "default"
    content: dict[str, Node]
    headers: dict[str, Header]
    pointer: str


@dataclass(slots=True)
class Operation:
    method: str  # upper case
    path: str  # as written in the spec
    operation_id: str | None
    parameters: dict[tuple[str, str], Parameter]
    body: Body | None
    responses: dict[str, Response]
    security: list[dict[str, list[str]]] | None  # None: inherits the global requirement
    deprecated: bool
    tags: list[str]
    extensions: Node
    pointer: str
    raw: Node  # the operation object, for the "nothing changed here" shortcut
    raw_path_parameters: list[Any] = field(default_factory=list)
    parent: str | None = None  # a callback's operation: the key of the operation that registers it
    limit: RateLimit | None = None  # the documented rate limit (engine/limits.py)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def key(self) -> str:
        return operation_key(self.method, self.path)


@dataclass(slots=True)
class Spec:
    """One loaded spec. `root` is the parsed document; `resolve` follows local refs within it."""

    file: str
    format: str  # "swagger-2.0", "openapi-3.0", "openapi-3.1", "openapi-3.2"
    title: str
    version: str
    root: Node
    operations: dict[str, Operation]  # keyed by operation_key
    security_schemes: dict[str, Node]
    global_security: list[dict[str, list[str]]]
    schemas: dict[str, Node]  # named component schemas (definitions in Swagger 2.0)
    schema_pointer_prefix: str  # "#/definitions/" or "#/components/schemas/"
    tags: list[str]
    webhooks: dict[str, Node]
    # webhook (3.1 `webhooks`) and callback (3.0 `callbacks`) operations: requests the platform sends, keyed by
    # label ("POST webhook:orderCreated", "POST callback:onPaid of POST /subscriptions {$request.body#/url}")
    events: dict[str, Operation] = field(default_factory=dict)
    # what is wrong with the document but was read anyway: (kind, location, detail), e.g. a $ref to nothing
    defects: list[tuple[str, str, str]] = field(default_factory=list)
    refs: set[str] | None = None  # every distinct $ref of `root`, found once by the loader

    @property
    def info(self) -> dict[str, str]:
        return {"file": self.file, "format": self.format, "title": self.title, "version": self.version}


_PATH_PARAM = re.compile(r"\{[^}/]*\}")


def operation_key(method: str, path: str) -> str:
    """`GET /items/{id}` and `GET /items/{itemId}` are one operation: parameter names are not part of it."""
    trimmed = path.rstrip("/") or "/"
    return f"{method.upper()} {_PATH_PARAM.sub('{}', trimmed)}"


def path_parameter_names(path: str) -> list[str]:
    return [m.group(0)[1:-1] for m in _PATH_PARAM.finditer(path)]
