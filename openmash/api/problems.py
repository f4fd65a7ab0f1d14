"""Every error the API gives is `application/problem+json` (RFC 9457).

    {"type": "tag:openmash,2026:problems/invalid-input", "title": "…", "status": 422,
     "detail": "…", "instance": "/api/v1/referrals", "request_id": "…",
     "errors": [{"field": "children.0.nhs_number", "message": "…"}]}

`errors` (validation problems only) is a list, one item per message, each naming the field by its
dotted path in the request body or the query string's parameter name ("" for the body as a whole).
Problem types are tag URIs (RFC 4151): stable identifiers for a client to branch on; they are not
meant to be fetched.
"""

import json
import logging
from contextlib import contextmanager
from http import HTTPStatus
from typing import Callable, Iterable

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from openmash.core.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError

logger = logging.getLogger("openmash.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:openmash,2026:problems/"

# slug → (status, title)
PROBLEM_TYPES = {
    "malformed-request": (400, "The request body is not valid JSON"),
    "unauthenticated": (401, "A valid API token is needed"),
    "forbidden": (403, "You do not have permission to do this"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "This method is not allowed here"),
    "conflict": (409, "The record is not in a state that allows this"),
    "too-large": (413, "The request body is too large"),
    "invalid-input": (422, "There is a problem with the information given"),
    "server-error": (500, "Sorry, there is a problem with the service"),
}
SLUG_FOR_STATUS = {status: slug for slug, (status, _) in PROBLEM_TYPES.items()}


def problem_response(
    request, *, status: int, detail: str = "", slug: str | None = None, errors: list[dict] | None = None, headers=None
) -> HttpResponse:
    slug = slug or SLUG_FOR_STATUS.get(status)
    if slug:
        kind, title = TYPE_PREFIX + slug, PROBLEM_TYPES[slug][1]
    else:  # a status with no meaning of ours beyond HTTP's (RFC 9457 §4.2.1)
        kind, title = "about:blank", HTTPStatus(status).phrase
    body = {"type": kind, "title": title, "status": status, "detail": detail or title, "instance": request.path}
    request_id = getattr(request, "request_id", "")
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def is_problem(response) -> bool:
    return response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)


# ------------------------------------------------------------------ field-level errors


def errors_list(errors: dict[str, list[str]]) -> list[dict]:
    return [{"field": field, "message": message} for field, messages in errors.items() for message in messages]


_PYDANTIC_MESSAGES = {
    "missing": "This field is required",
    "extra_forbidden": "Unknown field: check its name against the API document (/api/v1/openapi.json)",
    "string_type": "Must be a string",
    "int_type": "Must be a whole number",
    "int_parsing": "Must be a whole number",
    "int_from_float": "Must be a whole number",
    "bool_type": "Must be true or false",
    "list_type": "Must be a list",
    "model_type": "Must be an object",
    "model_attributes_type": "Must be an object",
    "dict_type": "Must be an object",
    "none_required": "Must be null",
}


def _message(error: dict) -> str:
    kind = error.get("type", "")
    if kind in _PYDANTIC_MESSAGES:
        return _PYDANTIC_MESSAGES[kind]
    ctx = error.get("ctx", {})
    if kind == "greater_than_equal":
        return f"Must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"Must be {ctx.get('le')} or less"
    if kind.startswith("datetime_"):
        return "Enter a real date and time in ISO 8601 with its offset, like 2026-03-02T14:05:00+00:00"
    if kind == "literal_error":
        return f"Must be one of {ctx.get('expected', 'the values listed in the API document')}"
    message = error.get("msg", "Not valid")
    return message.removeprefix("Value error, ")


def _path(loc: Iterable) -> str:
    """("body", "payload", "children", 0, "nhs_number") → "children.0.nhs_number"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)  # the view's parameter name, not part of what the caller sent
    return ".".join(str(p) for p in parts)


def validation_errors(exc: ValidationError) -> list[dict]:
    items, seen = [], set()
    for error in exc.errors:
        item = {"field": _path(error.get("loc", ())), "message": _message(error)}
        if not item["field"] and error.get("type") == "missing":
            item["message"] = "Send a JSON object as the request body"
        key = (item["field"], item["message"])
        if key not in seen:  # a union type reports the same problem once per member
            seen.add(key)
            items.append(item)
    return items


# A service's error key and message → the request's field paths and messages.
Mapper = Callable[[str, str], list[tuple[str, str]]]


@contextmanager
def request_paths(mapper: Mapper):
    """Re-label a service's InvalidInput with the field paths of the request body."""
    try:
        yield
    except InvalidInput as exc:
        mapped: dict[str, list[str]] = {}
        for key, messages in exc.errors.items():
            for message in messages:
                for field, text in mapper(key, message):
                    if text not in mapped.setdefault(field, []):
                        mapped[field].append(text)
        raise InvalidInput(exc.message, errors=mapped) from None


# ------------------------------------------------------------------ exception handlers


def install(api):
    """Register the problem handlers on a NinjaAPI, replacing ninja's `{"detail": …}` bodies."""

    @api.exception_handler(ValidationError)
    def _validation(request, exc):
        errors = validation_errors(exc)
        detail = errors[0]["message"] if len(errors) == 1 else f"{len(errors)} problems with the information given"
        if len(errors) == 1 and errors[0]["field"]:
            detail = f"{errors[0]['field']}: {detail}"
        return problem_response(request, status=422, detail=detail, errors=errors)

    @api.exception_handler(InvalidInput)
    def _invalid(request, exc):
        return problem_response(request, status=422, detail=exc.message, errors=errors_list(exc.errors))

    @api.exception_handler(Conflict)
    def _conflict(request, exc):
        return problem_response(request, status=409, detail=exc.message)

    @api.exception_handler(NotFound)
    def _not_found(request, exc):
        return problem_response(request, status=404, detail=exc.message)

    @api.exception_handler(Forbidden)
    def _forbidden(request, exc):
        return problem_response(request, status=403, detail=exc.message)

    @api.exception_handler(ServiceError)
    def _service(request, exc):
        return problem_response(request, status=exc.status, detail=exc.message)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem_response(
            request, status=401,
            detail="Send a valid API token as 'Authorization: Bearer <token>' (make one with manage.py api_token)",
            headers={"WWW-Authenticate": 'Bearer realm="openmash"'},
        )

    @api.exception_handler(HttpError)
    def _http(request, exc):
        if exc.status_code == 400:
            # ninja raises this when the body cannot be parsed as JSON.
            return problem_response(request, status=400, detail="The request body is not valid JSON", slug="malformed-request")
        return problem_response(request, status=exc.status_code, detail=str(exc))

    @api.exception_handler(Http404)
    def _http404(request, exc):
        return problem_response(request, status=404, detail="Not found")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return problem_response(request, status=413, detail="The request body is larger than the service accepts (2 MB)")

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("Unhandled error in API call %s %s", request.method, request.path)
        return problem_response(request, status=500, detail="The error has been logged with the request id")
