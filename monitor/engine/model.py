"""The normalised spec: what Swagger 2.0 and OpenAPI 3.x both become before they are compared."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from monitor.engine.limits import RateLimit
    from monitor.engine.loaders.refs import Resolver

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


class Parameter(NamedTuple):
    location: str  # path, query, header, cookie
    name: str
    required: bool
    schema: Node  # always a schema object (Swagger 2.0 parameter fields are lifted into one)
    extensions: Node
    raw: Node
    deprecated: bool = False
    style: str | None = None
    explode: bool | None = None
    allow_empty_value: bool = False


class Body(NamedTuple):
    required: bool
    content: dict[str, Node]  # media type -> schema
    pointer: str


class Header(NamedTuple):
    name: str
    required: bool
    schema: Node
    deprecated: bool = False


class Response(NamedTuple):
    status: str  # "200", "4XX", "default"
    content: dict[str, Node]
    headers: dict[str, Header]
    pointer: str


class Inputs(NamedTuple):
    """What a client sends an operation (read together: Swagger 2.0's body is one of its parameters)."""

    parameters: dict[tuple[str, str], Parameter]
    body: Body | None


class Reader(NamedTuple):
    """How the loader reads an operation's inputs and responses, when first asked for."""

    inputs: Callable[[Operation], Inputs]
    responses: Callable[[Operation], dict[str, Response]]


class Operation:
    """One operation. Its parameters, body, responses and limit are read from `raw` when first asked for: a diff
    asks only of the operations present in both versions and changed (spapi-all: 183 of 578), and of their inputs
    only when those changed; the loader has checked that no ref chain of the document loops, so reading them later
    cannot fail."""

    __slots__ = (
        "_inputs",
        "_limit",
        "_read",
        "_responses",
        "deprecated",
        "extensions",
        "method",
        "operation_id",
        "parent",
        "path",
        "pointer",
        "raw",
        "raw_path_parameters",
        "security",
        "tags",
    )  # fmt: skip

    def __init__(
        self,
        method: str,  # upper case
        path: str,  # as written in the spec
        operation_id: str | None,
        security: list[dict[str, list[str]]] | None,  # None: inherits the global requirement
        deprecated: bool,
        tags: list[str],
        extensions: Node,
        pointer: str,
        raw: Node,  # the operation object, for the "nothing changed here" shortcut
        raw_path_parameters: list[Any],
        read: Reader,
    ) -> None:
        self.method = method
        self.path = path
        self.operation_id = operation_id
        self.security = security
        self.deprecated = deprecated
        self.tags = tags
        self.extensions = extensions
        self.pointer = pointer
        self.raw = raw
        self.raw_path_parameters = raw_path_parameters
        self.parent: str | None = None  # a callback's operation: the key of the operation that registers it
        self._inputs: Inputs | None = None
        self._responses: dict[str, Response] | None = None
        self._limit: RateLimit | bool | None = False  # False: not read yet
        self._read = read

    def __repr__(self) -> str:
        return f"Operation({self.label!r}, pointer={self.pointer!r})"

    @property
    def inputs(self) -> Inputs:
        if self._inputs is None:
            self._inputs = self._read.inputs(self)
        return self._inputs

    @property
    def parameters(self) -> dict[tuple[str, str], Parameter]:
        return self.inputs.parameters

    @property
    def body(self) -> Body | None:
        return self.inputs.body

    @property
    def responses(self) -> dict[str, Response]:
        if self._responses is None:
            self._responses = self._read.responses(self)
        return self._responses

    @property
    def limit(self) -> RateLimit | None:
        """The documented rate limit (engine/limits.py)."""
        if self._limit is False:
            from monitor.engine.limits import documented_limit

            self._limit = documented_limit(self.raw)
        return self._limit  # type: ignore[return-value]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def key(self) -> str:
        return operation_key(self.method, self.path)


class Spec:
    """One loaded spec. `root` is the parsed document; `resolver` follows local refs within it."""

    __slots__ = (
        "defects",
        "events",
        "file",
        "format",
        "global_security",
        "operations",
        "refs",
        "resolver",
        "root",
        "schema_pointer_prefix",
        "schemas",
        "security_schemes",
        "tags",
        "title",
        "version",
        "webhooks",
    )  # fmt: skip

    def __init__(
        self,
        *,
        file: str,
        format: str,  # "swagger-2.0", "openapi-3.0", "openapi-3.1", "openapi-3.2"
        title: str,
        version: str,
        root: Node,
        operations: dict[str, Operation],  # keyed by operation_key
        security_schemes: dict[str, Node],
        global_security: list[dict[str, list[str]]],
        schemas: dict[str, Node],  # named component schemas (definitions in Swagger 2.0)
        schema_pointer_prefix: str,  # "#/definitions/" or "#/components/schemas/"
        tags: list[str],
        webhooks: dict[str, Node],
        events: dict[str, Operation],
        resolver: Resolver,
    ) -> None:
        self.file = file
        self.format = format
        self.title = title
        self.version = version
        self.root = root
        self.operations = operations
        self.security_schemes = security_schemes
        self.global_security = global_security
        self.schemas = schemas
        self.schema_pointer_prefix = schema_pointer_prefix
        self.tags = tags
        self.webhooks = webhooks
        # webhook (3.1 `webhooks`) and callback (3.0 `callbacks`) operations: requests the platform sends, keyed
        # by label ("POST webhook:orderCreated", "POST callback:onPaid of POST /subscriptions {$request.body#/url}")
        self.events = events
        # what is wrong with the document but was read anyway: (kind, location, detail), e.g. a $ref to nothing
        self.defects: list[tuple[str, str, str]] = []
        self.refs: set[str] | None = None  # every distinct $ref of `root`, found once by the loader
        self.resolver = resolver  # the loader's, with the targets it has looked up already

    def __repr__(self) -> str:
        return f"Spec({self.file!r}, {self.format!r}, {len(self.operations)} operations)"

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
