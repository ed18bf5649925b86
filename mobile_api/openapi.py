"""The API contract: the OpenAPI document Litestar builds, finished so clients can be
generated from it (ADR 0017).

Litestar describes each handler from its signature. What it cannot see is added here,
once, for every operation (new routes included the day they are added):

- every error status an operation can answer, each with the one RFC 9457 `Problem`
  schema under `application/problem+json` and the problem types to expect;
- `additionalProperties: false` on request bodies, which refuse unknown fields;
- the bodies the handlers read themselves (file upload, multipart, OAuth form, FHIR);
- headers: `X-Act-For`, `Idempotency-Key`, `Location`, `Retry-After`, `RateLimit-*`;
- an example on every request and response body, and tags by screen.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.routes import HTTPRoute

from app.settings import Settings
from mobile_api.openapi_bodies import EXTRA_COMPONENTS, raw_bodies
from mobile_api.openapi_catalogue import (
    ALSO_SUCCEEDS,
    FILES,
    KINDS,
    STATUS,
    SUCCESS_SCHEMA,
    TAG_BY_PATH,
    TAG_OF,
    TAGS,
)
from mobile_api.problems import PROBLEM_BASE, PROBLEM_JSON, TITLES
from mobile_api.rate_limits import SENSITIVE

__all__ = ["PROBLEMS_DOC", "install_contract"]

#: where each problem type is explained (also served as the types' base URI)
PROBLEMS_DOC = "https://minlaege.dk/problems/"
_REF = "#/components/schemas/Problem"
_WRITES = frozenset({"post", "put", "patch", "delete"})
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": (
        "An RFC 9457 problem document, sent with `Content-Type: application/problem+json`"
        " for every error. Branch on `type` (its last segment names the kind of problem:"
        " see docs/problems.md, or open the URI); show `title` (Danish, or English with"
        " `Accept-Language: en`) as is; `detail` is for developers."
    ),
    "externalDocs": {"description": "The problem types and what they mean", "url": PROBLEMS_DOC},
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": f"`{PROBLEM_BASE}<kind>`; the kinds are listed in docs/problems.md",
            "examples": [PROBLEM_BASE + "slot-taken"],
        },
        "title": {"type": "string", "examples": ["Tiden er desværre optaget"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "examples": [409]},
        "detail": {"type": "string", "examples": ["the slot is no longer free; pick another"]},
        "instance": {"type": "string", "examples": ["/v1/me/appointments"]},
        "errors": {
            "type": "array",
            "description": (
                "For validation problems: one entry per problem found, naming where it is"
                " (`key` for a body field or parameter, `linkId` for a questionnaire item)"
                " and what is wrong (`message`)."
            ),
            "items": {"$ref": "#/components/schemas/ProblemError"},
        },
    },
    "required": ["type", "title", "status"],
}

PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ProblemError",
    "description": "One problem found in the request; more keys may appear.",
    "properties": {
        "key": {"type": "string", "description": "the body field or parameter"},
        "message": {"type": "string"},
        "source": {"type": "string", "description": "body, query, path or header"},
        "linkId": {"type": "string", "description": "a questionnaire item"},
    },
    "additionalProperties": True,
}


def _unique_titles(components: dict[str, Any]) -> None:
    """Generators name models by `title`: two components titled alike (Litestar names
    `sync_Outcome` and `pro_answers_Outcome` apart by key only) get titles from their keys."""
    seen: dict[str, int] = {}
    for component in components.values():
        title = component.get("title")
        if title:
            seen[title] = seen.get(title, 0) + 1
    for key, component in components.items():
        if seen.get(component.get("title", ""), 0) > 1:
            component["title"] = "".join(p[:1].upper() + p[1:] for p in key.split("_"))


# ------------------------------------------------------------------------ examples

_UUID = "9b1e4c2a-5d3f-4e8a-b6c7-1f2e3d4c5b6a"
_BY_NAME: dict[str, Any] = {
    "name": "Anna Jensen",
    "citizen_name": "Anna Jensen",
    "author_name": "Anna Jensen",
    "decided_by_name": "Dr. Karen Hansen",
    "resolved_by_name": "Dr. Karen Hansen",
    "timezone": "Europe/Copenhagen",
    "language": "da",
    "lang": "da",
    "reason": "Ondt i ryggen",
    "note": "Jeg har 5 tabletter tilbage",
    "subject": "Bivirkninger",
    "body": "Jeg får hovedpine af den nye medicin.",
    "metric": "blood_pressure_systolic",
    "unit": "mmHg",
    "kind": "consultation",
    "status": "booked",
    "category": "medication",
    "title": "Blodtryk hjemme",
    "title_da": "Blodtryk hjemme",
    "title_en": "Home blood pressure",
    "key": "home-blood-pressure",
    "url": "/v1/summary-links/Zx8…",
    "href": "/v1/me/consultations/9b1e…/photos/p1…",
    "phone": "+45 35 12 34 56",
    "token": "3f1d…9f3c01ab",
    "token_end": "9f3c01ab",
    "platform": "apns",
    "media_type": "image/jpeg",
    "format": "apple-health",
    "medication": "Metformin 500 mg",
    "strength": "500 mg",
    "dosage": "1 tablet morgen og aften",
    "atc": "A10BA02",
    "cpr": "121245-1235",
    "pairing_code": "K7Q2-M9XD",
    "access_token": "eyJhbGciOiJFUzI1NiIs…",
    "refresh_token": "rt_5Hc…",
    "id_token": "eyJhbGciOiJSUzI1NiIs…",
    "nonce": "n-0S6_WzA2Mj",
    "token_type": "Bearer",
    "characteristic": "2A35",
    "payload_hex": "1E7A00500063004C04",
    "severity": "yellow",
    "triage": "green",
    "action": "none",
    "role": "citizen",
    "next_cursor": "djE6MTI",
    "starts_at": "2026-11-23T08:00:00+01:00",
    "ends_at": "2026-11-23T12:00:00+01:00",
    "expires_at": "2026-12-20T09:00:00Z",
    "before": "2026-11-30T12:00:00+01:00",
    "from": "2026-11-23",
    "to": "2026-11-27",
    "data_from": "2026-09-01",
    "first_due": "2026-12-01",
    "text": "Dr. Karen Hansen (behandler) så oversigten over dine delte målinger",
    "text_en": "Dr. Karen Hansen (clinician) viewed the summary of your shared measurements",
}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def example_for(
    schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0
) -> Any:
    """A realistic value that fits `schema` (its own example or default first)."""
    schema = _resolve(schema, components)
    if depth > 8:
        return None
    for key in ("examples", "enum"):
        if schema.get(key):
            return copy.deepcopy(schema[key][0])
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if "const" in schema:
        return schema["const"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            return example_for((options or schema[key])[0], components, name, depth + 1)
    if "default" in schema and schema["default"] not in (None, "", [], {}):
        return copy.deepcopy(schema["default"])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        return {
            prop: example_for(sub, components, prop, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        item = example_for(schema.get("items", {}), components, name.rstrip("s"), depth + 1)
        return [] if item is None else [item]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if "minimum" in schema else 1
    if kind == "number":
        return 128.0 if "pressure" in name else 1.5
    if kind == "boolean":
        return name in ("active", "changeable", "renewable", "photos_enabled")
    if kind == "string":
        fmt = schema.get("format")
        if name in _BY_NAME and fmt != "binary":
            return _BY_NAME[name]
        if fmt == "date-time":
            return "2026-11-23T08:00:00+01:00"
        if fmt == "date":
            return "2026-11-23"
        if fmt == "binary":
            return None
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name == "id" or name.endswith("_id") or fmt == "uuid":
            return _UUID
        if name.endswith("_at"):
            return "2026-11-20T09:00:00Z"
        return "tekst"
    return None


# ------------------------------------------------------------------------- finish


def _handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            out[(route.path_format or "/", method.lower())] = handler
    return out


def _forbid_unknown(app: Litestar) -> set[str]:
    """Names of the request Structs (and those nested in them) that refuse unknown fields."""
    names: set[str] = set()
    seen: set[type] = set()

    def walk(t: Any) -> None:
        if isinstance(t, msgspec.inspect.StructType):
            if t.cls in seen:
                return
            seen.add(t.cls)
            if t.forbid_unknown_fields:
                names.add(t.cls.__name__)
            for f in t.fields:
                walk(f.type)
        elif isinstance(t, msgspec.inspect.CollectionType):
            walk(t.item_type)
        elif isinstance(t, msgspec.inspect.UnionType):
            for x in t.types:
                walk(x)
        elif isinstance(t, msgspec.inspect.DictType):
            walk(t.value_type)
        elif isinstance(t, msgspec.inspect.TupleType):
            for x in t.item_types:
                walk(x)

    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            try:
                walk(msgspec.inspect.type_info(data.annotation))
            except (TypeError, ValueError):  # not a msgspec type: nothing to say
                continue
    return names


def _problem(status: int, kinds: tuple[str, ...], extra: str = "") -> dict[str, Any]:
    base, _ = STATUS.get(status, ("", ()))
    listed = ", ".join(f"[`{k}`]({PROBLEMS_DOC}{k})" for k in kinds)
    description = f"{base} {extra}".strip() + (f" Problem types: {listed}." if listed else "")
    kind = kinds[0] if kinds else "error"
    da, _en = TITLES.get(kind, TITLES["error"])
    response: dict[str, Any] = {
        "description": description,
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": _REF},
                "example": {
                    "type": PROBLEM_BASE + kind,
                    "title": da,
                    "status": status,
                    "detail": "…",
                    "instance": "/v1/…",
                },
            }
        },
    }
    headers: dict[str, Any] = {}
    if status in (429, 503):
        headers["Retry-After"] = {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": 'the challenge: `Bearer realm="minlaege"`',
            "schema": {"type": "string"},
        }
    if headers:
        response["headers"] = headers
    return response


def _statuses(
    op_id: str,
    path: str,
    method: str,
    op: dict[str, Any],
    handler: Any,
) -> dict[int, tuple[str, ...]]:
    """Every error status this operation can answer, with its problem kinds."""
    secured = bool(op.get("security"))
    params = op.get("parameters", [])
    has_body = "requestBody" in op
    out: dict[int, list[str]] = {}

    def add(status: int, *kinds: str, generic: bool = True) -> None:
        out.setdefault(status, list(STATUS[status][1]) if generic else [])
        out[status] += [k for k in kinds if k not in out[status]]

    if secured:
        add(401)
        add(403)
        if path.startswith("/v1/me"):
            add(403, "no-proxy", "proxy-scope")
        if path.startswith("/v1/gateway"):
            add(401, "gateway-revoked")
        # the caller's own record (citizen, clinic) may be gone or not set up
        add(404)
    if has_body:
        add(400)
        add(413)
        add(415)
        add(422)
    if params:
        add(400)
        add(422)
    if any(p.get("in") == "path" for p in params):
        add(404)
    if op_id in SENSITIVE or (secured and method in _WRITES):
        add(429)
    if op_id not in ("healthLive", "jwks"):
        add(503)
    for status, kinds in KINDS.get(op_id, {}).items():
        if status in STATUS:
            add(status, *kinds, generic=status != 401 or secured)
    return {s: tuple(k) for s, k in sorted(out.items())}


def _act_for_header() -> dict[str, Any]:
    return {
        "name": "X-Act-For",
        "in": "header",
        "required": False,
        "description": (
            "A relative acting under a power of attorney names the citizen (their id, from"
            " `GET /v1/me/proxies/received`); `403 no-proxy` without an active grant,"
            " `403 proxy-scope` outside it."
        ),
        "schema": {"type": "string"},
    }


_RATE_HEADERS = {
    "RateLimit-Limit": "requests allowed in the window",
    "RateLimit-Remaining": "requests left in the window",
    "RateLimit-Reset": "seconds until the window starts again",
    "RateLimit-Policy": "the limit and its window, e.g. `60; w=60`",
}


def _finish_operation(
    op_id: str,
    path: str,
    method: str,
    op: dict[str, Any],
    handler: Any,
    components: dict[str, Any],
    bodies: dict[str, dict[str, Any]],
    rate_limited: bool,
) -> None:
    tag = TAG_OF.get(op_id) or next(
        (t for prefix, t in TAG_BY_PATH if path.startswith(prefix)), None
    )
    if tag is not None:
        op["tags"] = [tag]
    if op_id in bodies:
        op["requestBody"] = bodies[op_id]
    # parameters: the proxy header on citizen routes, tidy optional header types
    params: list[dict[str, Any]] = op.setdefault("parameters", [])
    citizen = path.startswith("/v1/me") and bool(op.get("security"))
    if citizen and not any(p.get("name") == "X-Act-For" for p in params):
        params.append(_act_for_header())
    for p in params:
        if p.get("in") == "header" and not p.get("required"):
            schema = p.get("schema", {})
            options = schema.get("oneOf")
            if options and {"type": "null"} in options:
                rest = [o for o in options if o != {"type": "null"}]
                p["schema"] = {**rest[0], **{k: v for k, v in schema.items() if k != "oneOf"}}
        if p.get("name") == "cursor":
            p.setdefault(
                "description",
                "opaque: pass back `next_cursor` from the previous page; never build one",
            )
    if not params:
        del op["parameters"]
    # request body example
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        if "example" not in content and "schema" in content and "multipart" not in media:
            example = example_for(content["schema"], components)
            if example is not None:
                content["example"] = example
    # success responses: examples, Location, extra success statuses
    responses: dict[str, Any] = op.setdefault("responses", {})
    _fix_success(op_id, responses)
    for code, description in ALSO_SUCCEEDS.get(op_id, {}).items():
        first = next((r for s, r in responses.items() if s.startswith("2")), None)
        if first is not None and str(code) not in responses:
            responses[str(code)] = {**copy.deepcopy(first), "description": description}
    for status, response in list(responses.items()):
        if not status.startswith("2"):
            continue
        for media, content in response.get("content", {}).items():
            if "example" not in content and "schema" in content and media.endswith("json"):
                example = example_for(content["schema"], components)
                if example is not None:
                    content["example"] = example
        headers = response.get("headers")
        if headers == {}:
            del response["headers"]
        if rate_limited:
            response.setdefault("headers", {}).update(
                {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in _RATE_HEADERS.items()
                }
            )
    if op_id == "createImport":
        for status in ("202",):
            responses.setdefault(status, {"description": "Accepted"}).setdefault("headers", {})[
                "Location"
            ] = {
                "description": "where to poll the import: `/v1/me/imports/{import_id}`",
                "schema": {"type": "string"},
            }
    # errors: Litestar's own 400 shape goes; every status gets the Problem
    for error, kinds in _statuses(op_id, path, method, op, handler).items():
        responses[str(error)] = _problem(error, kinds)
    op["responses"] = dict(sorted(responses.items()))


def _fix_success(op_id: str, responses: dict[str, Any]) -> None:
    """Success bodies Litestar cannot see: built Responses, files, FHIR JSON."""
    for status, response in responses.items():
        if not status.startswith("2"):
            continue
        content = response.get("content", {})
        if op_id in SUCCESS_SCHEMA:
            response["content"] = {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{SUCCESS_SCHEMA[op_id]}"}
                }
            }
        elif op_id in FILES:
            response["content"] = {
                media: {"schema": {"type": "string", "format": "binary"}} for media in FILES[op_id]
            }
        else:
            for media, body in content.items():
                if media.endswith("+json") and body.get("schema") == {"type": "string"}:
                    body["schema"] = {"type": "object", "description": "a FHIR R4 resource"}


def _request_schemas(app: Litestar, doc: dict[str, Any]) -> None:
    """Request bodies described by msgspec itself, from the very type the body is decoded
    into: its constraints, defaults and `additionalProperties: false` as enforced."""
    handlers = _handlers(app)
    wanted: list[tuple[dict[str, Any], Any, bool]] = []
    for path, method, op in iter_operations(doc):
        handler = handlers.get((path, method))
        data = None if handler is None else handler.parsed_fn_signature.parameters.get("data")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if data is None or body is None:
            continue
        wanted.append((op, data.annotation, data.has_default))
    if not wanted:
        return
    try:
        tops, components = msgspec.json.schema_components(
            [t for _, t, _ in wanted], ref_template="#/components/schemas/{name}"
        )
    except (TypeError, ValueError):  # a type msgspec cannot describe: keep Litestar's
        return
    existing = doc["components"]["schemas"]
    for name, component in components.items():
        _keep_formats(component, existing.get(name, {}))
    existing.update(components)
    for (op, _, optional), top in zip(wanted, tops, strict=True):
        op["requestBody"]["content"]["application/json"]["schema"] = top
        op["requestBody"]["required"] = not optional


def _format_of(schema: dict[str, Any]) -> str | None:
    if "format" in schema:
        return str(schema["format"])
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            found = _format_of(option)
            if found:
                return found
    return None


def _keep_formats(component: dict[str, Any], litestar: dict[str, Any]) -> None:
    """msgspec leaves `format: date-time` off a datetime that may lack an offset;
    Litestar's description of the same field says what clients must send."""
    theirs = litestar.get("properties", {})
    for name, prop in component.get("properties", {}).items():
        fmt = _format_of(theirs.get(name, {}))
        if not fmt:
            continue
        branches = prop.get("anyOf", [prop])
        for branch in branches:
            if branch.get("type") == "string" and "format" not in branch:
                branch["format"] = fmt


def finish_schema(app: Litestar, settings: Settings, schema: dict[str, Any]) -> dict[str, Any]:
    """The finished contract for `app` (a new dict; the input is left alone)."""
    from mobile_api.rate_limits import rate_limited

    doc = copy.deepcopy(schema)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["ProblemError"] = PROBLEM_ERROR_SCHEMA
    for name in _forbid_unknown(app):
        if name in components:
            components[name]["additionalProperties"] = False
    _request_schemas(app, doc)
    handlers = _handlers(app)
    bodies = raw_bodies(settings)
    components.update(copy.deepcopy(EXTRA_COMPONENTS))
    _unique_titles(components)
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            handler = handlers.get((path, method))
            op_id = op.get("operationId", "")
            _finish_operation(
                op_id,
                path,
                method,
                op,
                handler,
                components,
                bodies,
                rate_limited(settings, op_id, method, bool(op.get("security"))),
            )
    doc["tags"] = [{"name": tag, "description": text} for tag, (text, _) in TAGS.items()]
    doc.setdefault("info", {})["description"] = _INFO
    return doc


_INFO = (
    "Min Læge companion backend: citizens, clinic staff and home gateways.\n\n"
    "* **Errors** are RFC 9457 `application/problem+json` (`Problem`); the problem types"
    f" are listed at {PROBLEMS_DOC} (docs/problems.md).\n"
    "* **Unknown fields** in a JSON body are refused with 400 (`additionalProperties:"
    " false`); answers may gain fields at any time, so clients must ignore those they do"
    " not know.\n"
    "* **Versioning**: `/v1` never breaks; a breaking change gets `/v2`, and the old"
    " route then sends `Deprecation` and `Sunset` headers (docs/api.md).\n"
    "* **Rate limits** answer 429 with `Retry-After`; an unreachable database 503 with"
    " `Retry-After`."
)


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation of a finished document."""
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


class _ContractPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, serving the finished contract."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            raw = self.provide_openapi().to_schema()
            settings: Settings = self.app.state.contract_settings
            self._openapi_schema = finish_schema(self.app, settings, raw)
        return self._openapi_schema


def install_contract(app: Litestar, settings: Settings) -> None:
    """Serve the finished contract at `/schema/openapi.json` (and in Swagger/Scalar)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    app.state.contract_settings = settings
    plugin.__class__ = _ContractPlugin
