"""Read Swagger 2.0 and OpenAPI 3.0/3.1/3.2 documents into the one normalised `Spec` model."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from monitor.engine.errors import SpecError
from monitor.engine.loaders.refs import Resolver
from monitor.engine.model import (
    Body,
    Header,
    Inputs,
    Node,
    Operation,
    Parameter,
    Reader,
    Response,
    Spec,
    path_parameter_names,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
METHODS_3_2 = (*METHODS, "query")  # OpenAPI 3.2 adds the QUERY method (and `additionalOperations` for others)
_OPENAPI_VERSION = re.compile(r"^3\.(0|1|2)\.\d+(-[0-9A-Za-z.-]+)?$")

# Swagger 2.0 parameter fields that are schema keywords once the parameter becomes an OpenAPI 3 schema.
_SWAGGER_SCHEMA_FIELDS = (
    "type", "format", "items", "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "enum", "multipleOf",
    "x-nullable",
)  # fmt: skip
_COLLECTION_FORMATS = {  # Swagger 2.0 collectionFormat -> OpenAPI 3 (style, explode), per location
    "csv": ("form", False), "ssv": ("spaceDelimited", False), "pipes": ("pipeDelimited", False),
    "tsv": ("tabDelimited", False), "multi": ("form", True),
}  # fmt: skip


def build_spec(root: Any, file: str, refs: set[str]) -> Spec:
    """Detect the format of a parsed document and normalise it; `refs` are all the distinct $refs in it."""
    if not isinstance(root, dict):
        raise SpecError(file, "not an OpenAPI or Swagger document: the top level is not an object")
    if "swagger" in root:
        if str(root["swagger"]) != "2.0":
            raise SpecError(file, f"unsupported swagger version {root['swagger']!r}: only 2.0 exists")
        return _Reader(root, file, "swagger-2.0", refs).read()
    if "openapi" in root:
        version = str(root["openapi"])
        match = _OPENAPI_VERSION.match(version)
        if not match:
            raise SpecError(file, f"invalid openapi version {version!r}: expected 3.0.x, 3.1.x or 3.2.x")
        return _Reader(root, file, f"openapi-3.{match.group(1)}", refs).read()
    raise SpecError(file, "not an OpenAPI or Swagger document: no `openapi` or `swagger` field")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _extensions(node: dict[str, Any]) -> Node:
    return {k: v for k, v in node.items() if k.startswith("x-")}


class _Reader:
    def __init__(self, root: dict[str, Any], file: str, fmt: str, refs: set[str]) -> None:
        self.root = root
        self.file = file
        self.format = fmt
        self.is_swagger = fmt == "swagger-2.0"
        self.resolver = Resolver(root, file, refs)
        # Operations are read lazily only when that cannot fail later: no ref chain loops.
        self.eager = _has_ref_loop(self.resolver, refs)

    def deref(self, node: Any) -> Any:
        if isinstance(node, dict) and "$ref" in node:  # most nodes are not refs: answered without two more calls
            return self.resolver.deref(node)
        return node

    def read(self) -> Spec:
        root = self.root
        info = _obj(root.get("info"))
        paths = root.get("paths", {})
        if paths is None:
            paths = {}
        if not isinstance(paths, dict):
            raise SpecError(self.file, "`paths` is not an object")
        self._check_required(root)
        operations: dict[str, Operation] = {}
        for path, item in paths.items():
            if not isinstance(path, str) or not path.startswith("/"):
                if isinstance(path, str) and path.startswith("x-"):
                    continue
                raise SpecError(self.file, f"path {path!r} does not start with '/'")
            item = self.deref(item)
            if not isinstance(item, dict):
                continue
            for method, raw in self._operations_of(item):
                if isinstance(raw, dict):
                    op = self._operation(path, method, item, raw)
                    if op.key in operations:  # /pet/{id} and /pet/{petId}: no client can tell them apart
                        first = operations[op.key]
                        raise SpecError(
                            self.file, f"{op.method} {path} and {first.method} {first.path} are the same operation"
                        )
                    operations[op.key] = op
        events = self._events(operations)
        if self.is_swagger:
            schemes = _obj(root.get("securityDefinitions"))
            schemas = _obj(root.get("definitions"))
            prefix = "#/definitions/"
        else:
            components = _obj(root.get("components"))
            schemes = _obj(components.get("securitySchemes"))
            schemas = _obj(components.get("schemas"))
            prefix = "#/components/schemas/"
        return Spec(
            file=self.file,
            format=self.format,
            title=str(info.get("title", "")),
            version=str(info.get("version", "")),
            root=root,
            operations=operations,
            security_schemes={k: self.deref(v) for k, v in schemes.items()},
            global_security=[_obj(r) for r in _list(root.get("security"))],
            schemas=schemas,
            schema_pointer_prefix=prefix,
            tags=[str(_obj(t).get("name")) for t in _list(root.get("tags"))],
            webhooks=_obj(root.get("webhooks")),
            events=events,
            resolver=self.resolver,
        )

    def _events(self, operations: dict[str, Operation]) -> dict[str, Operation]:
        """Webhooks and callbacks as operations: the platform is the client, the integration the server."""
        events: dict[str, Operation] = {}
        if self.is_swagger:
            return events
        for name, item in _obj(self.root.get("webhooks")).items():
            item = self.deref(item)
            for method, raw in self._operations_of(_obj(item)):
                if isinstance(raw, dict):
                    op = self._operation(f"webhook:{name}", method, _obj(item), raw, f"#/webhooks/{_escape(name)}")
                    events[op.label] = op
        for parent in operations.values():
            for name, callback in _obj(parent.raw.get("callbacks")).items():
                callback = _obj(self.deref(callback))
                for expression, item in callback.items():
                    item = _obj(self.deref(item))
                    at = f"{parent.pointer}/callbacks/{_escape(str(name))}/{_escape(str(expression))}"
                    path = f"callback:{name} of {parent.label} {expression}"
                    for method, raw in self._operations_of(item):
                        if isinstance(raw, dict):
                            op = self._operation(path, method, item, raw, at)
                            op.parent = parent.key
                            events[op.label] = op
        return events

    def _operations_of(self, item: dict[str, Any]) -> list[tuple[str, Any]]:
        if self.format != "openapi-3.2":
            return [(m, item.get(m)) for m in METHODS]
        found = [(m, item.get(m)) for m in METHODS_3_2]
        extra = _obj(item.get("additionalOperations"))  # 3.2: other methods, keyed by their exact (upper) name
        found.extend((str(m).lower(), op) for m, op in extra.items() if str(m).lower() not in METHODS_3_2)
        return found

    def _check_required(self, root: dict[str, Any]) -> None:
        """Refuse a document missing what its version requires, rather than read it as "every operation removed".

        Swagger 2.0 and OpenAPI 3.0 require `paths` (an API with no operations says `paths: {}`); OpenAPI 3.1 and
        3.2 allow a document of only `webhooks` or `components`. A missing `info.version` is only a defect: real
        publishers ship it (every Walmart spec of 2021-2022) and it hides no operation.
        """
        if "paths" not in root:
            if self.format in ("swagger-2.0", "openapi-3.0"):
                name = "Swagger 2.0" if self.is_swagger else "OpenAPI 3.0"
                raise SpecError(self.file, f"no `paths`: {name} requires it (write `paths: {{}}` for no operations)")
            if "webhooks" not in root and "components" not in root:
                raise SpecError(self.file, "no `paths`, `webhooks` or `components`: OpenAPI 3.1 requires one of them")

    def _operation(
        self, path: str, method: str, item: dict[str, Any], raw: dict[str, Any], at: str | None = None
    ) -> Operation:
        security = raw.get("security")
        op = Operation(
            method=method.upper(),
            path=path,
            operation_id=raw.get("operationId") if isinstance(raw.get("operationId"), str) else None,
            security=[_obj(r) for r in security] if isinstance(security, list) else None,
            deprecated=raw.get("deprecated") is True,
            tags=[str(t) for t in _list(raw.get("tags"))],
            extensions=_extensions(raw),
            pointer=f"{at or '#/paths/' + _escape(path)}/{method}",
            raw=raw,
            raw_path_parameters=_list(item.get("parameters")),
            read=Reader(partial(self._inputs, item, at is None), self._responses),
        )
        if self.eager:  # a ref chain loops somewhere: its error is the loader's, as it always was
            op.inputs, op.responses  # noqa: B018
        return op

    def _inputs(self, item: dict[str, Any], in_paths: bool, op: Operation) -> Inputs:
        """The parameters and body of an operation (see `Operation`)."""
        raw, pointer = op.raw, op.pointer
        names = path_parameter_names(op.path) if in_paths else []
        merged: dict[tuple[str, str], Any] = {}
        for source in (_list(item.get("parameters")), _list(raw.get("parameters"))):
            for p in source:
                p = self.deref(p)
                if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("in"), str):
                    merged[(p["in"], p["name"])] = p  # operation-level overrides path-level
        parameters: dict[tuple[str, str], Parameter] = {}
        body_params: list[dict[str, Any]] = []
        form_params: list[dict[str, Any]] = []
        for (where, name), p in merged.items():
            if where == "body":
                body_params.append(p)
                continue
            if where == "formData":
                form_params.append(p)
                continue
            param = self._parameter(p)
            parameters[_parameter_key(where, name, names)] = param
        if self.is_swagger:
            consumes = _list(raw.get("consumes", self.root.get("consumes")))
            body = self._swagger_body(body_params, form_params, consumes, pointer)
        else:
            body = self._openapi_body(raw.get("requestBody"), pointer)
        return Inputs(parameters, body)

    def _responses(self, op: Operation) -> dict[str, Response]:
        raw = op.raw
        produces: list[Any] = []
        if self.is_swagger:
            produces = _list(raw.get("produces", self.root.get("produces"))) or ["application/json"]
        responses = {}
        for status, r in _obj(raw.get("responses")).items():
            if str(status).startswith("x-"):
                continue
            responses[str(status)] = self._response(str(status), self.deref(r), produces, op.pointer)
        return responses

    def _parameter(self, p: dict[str, Any]) -> Parameter:
        where = p["in"]
        if self.is_swagger:
            schema = {k: p[k] for k in _SWAGGER_SCHEMA_FIELDS if k in p}
            style = explode = None
            if schema.get("type") == "array":
                fmt = p.get("collectionFormat", "csv")
                style, explode = _COLLECTION_FORMATS.get(fmt, ("form", False))
                if where in ("path", "header") and fmt == "csv":
                    style = "simple"
        else:
            schema = p.get("schema")
            if not isinstance(schema, dict):
                content = _obj(p.get("content"))
                schema = next((_obj(m).get("schema") for m in content.values()), None) or {}
            style = p.get("style")
            explode = p.get("explode")
            resolved = self.deref(schema)
            if isinstance(resolved, dict) and resolved.get("type") in ("array", "object"):
                default_style = "form" if where in ("query", "cookie") else "simple"
                style = style or default_style
                explode = explode if isinstance(explode, bool) else style == "form"
            else:
                style = explode = None
        return Parameter(
            location=where,
            name=p["name"],
            required=p.get("required") is True or where == "path",
            schema=schema if isinstance(schema, dict) else {},
            extensions=_extensions(p),
            raw=p,
            deprecated=p.get("deprecated") is True,
            style=style,
            explode=explode,
            allow_empty_value=p.get("allowEmptyValue") is True,
        )

    def _swagger_body(
        self, body: list[dict[str, Any]], form: list[dict[str, Any]], consumes: list[Any], pointer: str
    ) -> Body | None:
        if body:
            p = body[0]
            media = [str(m) for m in consumes] or ["application/json"]
            schema = p.get("schema") if isinstance(p.get("schema"), dict) else {}
            return Body(p.get("required") is True, {m: schema for m in media}, pointer + "/parameters")
        if form:
            properties = {}
            required = []
            for p in form:
                properties[p["name"]] = {k: p[k] for k in _SWAGGER_SCHEMA_FIELDS if k in p}
                if p.get("required") is True:
                    required.append(p["name"])
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            if required:
                schema["required"] = required
            form_types = [m for m in consumes if m in ("multipart/form-data", "application/x-www-form-urlencoded")]
            media = form_types or ["application/x-www-form-urlencoded"]
            return Body(bool(required), {str(m): schema for m in media}, pointer + "/parameters")
        return None

    def _openapi_body(self, raw: Any, pointer: str) -> Body | None:
        body = self.deref(raw)
        if not isinstance(body, dict):
            return None
        content = {str(m): _obj(v).get("schema") or {} for m, v in _obj(body.get("content")).items()}
        return Body(body.get("required") is True, content, pointer + "/requestBody")

    def _response(self, status: str, r: Any, produces: list[Any], pointer: str) -> Response:
        r = _obj(r)
        headers = {}
        for name, h in _obj(r.get("headers")).items():
            h = _obj(self.deref(h))
            if self.is_swagger:
                schema = {k: h[k] for k in _SWAGGER_SCHEMA_FIELDS if k in h}
            else:
                schema = h.get("schema")
                if not isinstance(schema, dict):
                    schema = {}
            name = str(name)
            headers[name.lower()] = Header(name, h.get("required") is True, schema, h.get("deprecated") is True)
        if self.is_swagger:
            schema = r.get("schema")
            content = {str(m): schema for m in produces} if isinstance(schema, dict) else {}
        else:
            content = {str(m): _obj(v).get("schema") or {} for m, v in _obj(r.get("content")).items()}
        return Response(status, content, headers, f"{pointer}/responses/{_escape(status)}")


def _has_ref_loop(resolver: Resolver, refs: set[str]) -> bool:
    """Whether some chain of refs to refs in the document never ends (each target is looked up once, cached)."""
    for ref in refs:
        try:
            resolver.resolve({"$ref": ref})
        except SpecError:
            return True
    return False


def _parameter_key(where: str, name: str, path_names: list[str]) -> tuple[str, str]:
    """Path parameters are keyed by their place in the template, so renaming one is no change."""
    if where == "path" and name in path_names:
        return ("path", f"#{path_names.index(name)}")
    if where == "header":
        return ("header", name.lower())
    return (where, name)
