"""Serve a spec's `x-amzn-api-sandbox` static cases (and documented examples) as a local ASGI app.

Usage: `app = build_replica(load_spec("ordersV0.json"))`, then serve `app` with uvicorn or a test client.

Per request: the path is matched against the spec's path templates (literal paths before templated ones), then the
operation's static cases are tried. A case matches when every one of its `request.parameters` matches the request
(path, query, header values compared by value; a parameter named `body`, or the operation's body parameter, against
the JSON body: equality, or subset for objects). The most specific match wins (most parameters, then the largest
body pattern, then document order); a case without parameters is a catch-all. Without static cases the first 2xx
`example`/`examples` is served; with static cases and no match, 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from monitor.engine.loaders.refs import Resolver
from monitor.engine.model import Operation, Spec

MAX_BODY_BYTES = 1024 * 1024
SANDBOX = "x-amzn-api-sandbox"
RATE_LIMIT_HEADER = "x-amzn-RateLimit-Limit"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_TEMPLATE_PART = re.compile(r"\{([^}/]*)\}")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Case:
    """One static request/response pair, flattened out of `responses.<code>.x-amzn-api-sandbox.static`."""

    status: int
    parameters: dict[str, Any]  # name -> expected value (the `{"value": ...}` wrapper removed)
    response: Any  # _MISSING when the case gives none
    headers: dict[str, str]
    index: int  # document order


@dataclass(slots=True)
class Served:
    """What the replica knows about one operation."""

    operation: Operation
    locations: dict[str, str]  # parameter name -> path, query, header, body
    collection: dict[str, str]  # array query/header parameter name -> Swagger collectionFormat
    cases: list[Case] = field(default_factory=list)
    example: tuple[int, Any] | None = None
    dynamic: bool = False


@dataclass(slots=True)
class Template:
    path: str
    pattern: re.Pattern[str]
    names: list[str]
    operations: dict[str, Served] = field(default_factory=dict)


def build_replica(spec: Spec, *, rate_limit: str | None = None) -> Starlette:
    """An ASGI app answering every operation of `spec` from its sandbox cases and examples.

    `rate_limit` (`0.1`) adds `x-amzn-RateLimit-Limit: 0.1` to every answer, as Amazon's sandbox and production do
    with the usage plan applied, so observed limits can be tested offline.
    """
    if rate_limit is not None and not re.fullmatch(r"\d+(\.\d+)?|\.\d+", rate_limit.strip()):
        raise ValueError(f"rate limit {rate_limit!r} is not a number of requests per second (e.g. 0.1)")
    resolver = Resolver(spec.root, spec.file)
    base = _base_path(spec)
    templates: dict[str, Template] = {}
    paths = spec.root.get("paths") if isinstance(spec.root.get("paths"), dict) else {}
    for op in spec.operations.values():
        full = base + op.path
        template = templates.get(full)
        if template is None:
            template = templates[full] = _template(full)
        item = paths.get(op.path) if isinstance(paths.get(op.path), dict) else {}
        template.operations[op.method] = _served(op, item, resolver)
    # literal segments first: /items/search beats /items/{id}
    ordered = sorted(templates.values(), key=lambda t: len(t.names))

    async def handle(request: Request) -> Response:
        response = await _handle(ordered, request)
        if rate_limit is not None:
            response.headers[RATE_LIMIT_HEADER] = rate_limit.strip()
        return response

    return Starlette(routes=[Route("/{rest:path}", handle, methods=METHODS)])


# -- building --------------------------------------------------------------------------------------------------------


def _base_path(spec: Spec) -> str:
    base = spec.root.get("basePath") if spec.format == "swagger-2.0" else None
    return base.rstrip("/") if isinstance(base, str) else ""


def _template(path: str) -> Template:
    names: list[str] = []
    regex, last = "", 0
    for m in _TEMPLATE_PART.finditer(path):
        regex += re.escape(path[last : m.start()]) + "([^/]+)"
        names.append(m.group(1))
        last = m.end()
    regex += re.escape(path[last:].rstrip("/"))
    return Template(path, re.compile(f"^{regex}/?$"), names)


def _served(op: Operation, item: dict[str, Any], resolver: Resolver) -> Served:
    locations: dict[str, str] = {}
    collection: dict[str, str] = {}
    for source in (item.get("parameters"), op.raw.get("parameters")):
        for p in source if isinstance(source, list) else []:
            p = resolver.deref(p)
            if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("in"), str):
                locations[p["name"]] = p["in"]
                if isinstance(p.get("collectionFormat"), str):
                    collection[p["name"]] = p["collectionFormat"]
    served = Served(op, locations, collection)
    served.dynamic = _has_dynamic(item) or _has_dynamic(op.raw)
    responses = op.raw.get("responses") if isinstance(op.raw.get("responses"), dict) else {}
    for code, raw in responses.items():
        response = resolver.deref(raw)
        if not isinstance(response, dict) or not str(code).isdigit():
            continue
        sandbox = response.get(SANDBOX)
        static = sandbox.get("static") if isinstance(sandbox, dict) else None
        for entry in static if isinstance(static, list) else []:
            if isinstance(entry, dict):
                served.cases.append(_case(int(code), entry, len(served.cases)))
        if served.example is None and str(code).startswith("2"):
            example = _first_example(response)
            if example is not _MISSING:
                served.example = (int(code), example)
    return served


def _has_dynamic(node: Any) -> bool:
    sandbox = node.get(SANDBOX) if isinstance(node, dict) else None
    return isinstance(sandbox, dict) and "dynamic" in sandbox


def _case(status: int, entry: dict[str, Any], index: int) -> Case:
    request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
    raw_params = request.get("parameters") if isinstance(request.get("parameters"), dict) else {}
    # the documented shape is {"name": {"value": v}}; a few models put the value there directly
    params = {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in raw_params.items()}
    raw_headers = entry.get("responseHeaders") if isinstance(entry.get("responseHeaders"), dict) else {}
    headers = {str(k): _text(v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in raw_headers.items()}
    return Case(status, params, entry.get("response", _MISSING), headers, index)


def _first_example(response: dict[str, Any]) -> Any:
    examples = response.get("examples")  # Swagger 2.0: {media type: value}
    if isinstance(examples, dict) and "content" not in response:
        for media, value in examples.items():
            if "json" in str(media).lower() or len(examples) == 1:
                return value
    content = response.get("content")  # OpenAPI 3.x: content.<media>.example / examples.<name>.value
    for media in content.values() if isinstance(content, dict) else []:
        if not isinstance(media, dict):
            continue
        if "example" in media:
            return media["example"]
        named = media.get("examples")
        for ex in named.values() if isinstance(named, dict) else []:
            if isinstance(ex, dict) and "value" in ex:
                return ex["value"]
    return _MISSING


# -- answering -------------------------------------------------------------------------------------------------------


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "message": message}]}, status_code=status)


async def _handle(templates: list[Template], request: Request) -> Response:
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    matched: list[tuple[Template, list[str]]] = []
    for template in templates:
        m = template.pattern.match(path)
        if m:
            matched.append((template, [unquote(g) for g in m.groups()]))
    if not matched:
        return _error(404, "NotFound", f"no operation at {request.url.path}")
    method = request.method.upper()
    found = next(((t, v) for t, v in matched if method in t.operations), None)
    if found is None:
        allowed = sorted({m for t, _ in matched for m in t.operations})
        response = _error(405, "MethodNotAllowed", f"{method} is not defined here; allowed: {', '.join(allowed)}")
        response.headers["Allow"] = ", ".join(allowed)
        return response

    body = await _read_body(request)
    if body is None:
        return _error(413, "RequestEntityTooLarge", f"request body over {MAX_BODY_BYTES} bytes")
    template, values = found
    served = template.operations[method]
    case = _pick(served, dict(zip(template.names, values, strict=True)), request, body)
    if case is not None:
        return _case_response(case)
    if served.cases:
        return _error(400, "InvalidInput", "no sandbox case matches this request")
    if served.example is not None:
        return JSONResponse(served.example[1], status_code=served.example[0])
    if served.dynamic:
        return _error(
            501,
            "NotImplemented",
            f"{served.operation.label} uses a dynamic sandbox (x-amzn-api-sandbox: dynamic), "
            "which this static replica cannot answer",
        )
    return _error(501, "NotImplemented", f"{served.operation.label} has no sandbox case and no example")


async def _read_body(request: Request) -> bytes | None:
    """The request body, or None when it exceeds the bound (checked before and while reading)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _case_response(case: Case) -> Response:
    if case.response is _MISSING or case.status in (204, 304):
        # Amazon's sandbox labels even empty answers as JSON, and checks of the declared media type expect it.
        return Response(status_code=case.status, headers=case.headers, media_type="application/json")
    return JSONResponse(case.response, status_code=case.status, headers=case.headers)


def _pick(served: Served, path_values: dict[str, str], request: Request, body: bytes) -> Case | None:
    parsed_body: Any = _MISSING
    if body.strip():
        try:
            parsed_body = json.loads(body)
        except ValueError:
            parsed_body = body.decode("utf-8", "replace")
    best: Case | None = None
    best_rank: tuple[int, int] = (-1, -1)
    for case in served.cases:
        weight = 0
        for name, expected in case.parameters.items():
            where = served.locations.get(name, "body" if name == "body" else "query")
            if where == "body":
                if parsed_body is _MISSING or not _subset(expected, parsed_body):
                    break
                weight = _size(expected)
            elif where == "path":
                if name not in path_values or path_values[name] != _text(expected):
                    break
            elif where == "header":
                got = request.headers.getlist(name)
                if not _values_match(expected, got, served.collection.get(name, "csv")):
                    break
            elif not _values_match(expected, request.query_params.getlist(name), served.collection.get(name, "csv")):
                break
        else:
            rank = (len(case.parameters), weight)
            if rank > best_rank:  # strictly greater: document order breaks ties
                best, best_rank = case, rank
    return best


def _values_match(expected: Any, got: list[str], collection: str) -> bool:
    if not got:
        return False
    if isinstance(expected, list):
        want = [_text(v) for v in expected]
        if got == want:  # repeated (multi), or a one-element list
            return True
        separator = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(collection, ",")
        return len(got) == 1 and got[0].split(separator) == want
    return len(got) == 1 and got[0] == _text(expected)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return json.dumps(value) if isinstance(value, dict) else str(value)


def _subset(pattern: Any, actual: Any) -> bool:
    """Equality, except that an object pattern matches any object holding (at least) its keys."""
    if isinstance(pattern, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return (
            isinstance(actual, list)
            and len(pattern) == len(actual)
            and all(_subset(p, a) for p, a in zip(pattern, actual, strict=True))
        )
    if isinstance(pattern, bool) or isinstance(actual, bool):
        return pattern is actual
    return pattern == actual


def _size(pattern: Any) -> int:
    if isinstance(pattern, dict):
        return 1 + sum(_size(v) for v in pattern.values())
    if isinstance(pattern, list):
        return 1 + sum(_size(v) for v in pattern)
    return 1
