from django.urls import register_converter

from openmash.api.schemas import Problem, ValidationProblem
from openmash.core.errors import InvalidInput


class ReferenceConverter:
    """A referral reference in a path (`MASH-2026-000123`). Anything else is not a route at all (404),
    and characters a database cannot compare (NUL) never reach a query."""

    regex = "[A-Za-z0-9][A-Za-z0-9-]{0,31}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "mashref")


def responses(success: dict, *statuses: int) -> dict:
    """A route's response schemas: its success body, and a problem for each error it can give."""
    out = dict(success)
    for status in (401, *statuses):
        out[status] = ValidationProblem if status == 422 else Problem
    return out


def reject_unknown_parameters(request, schema) -> None:
    """Ninja ignores query parameters it does not know; a misspelt search criterion (`surname=`)
    would then widen a search without a word, so it is refused instead."""
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        message = "Unknown query parameter: check its name against the API document (/api/v1/openapi.json)"
        raise InvalidInput(f"{unknown[0]}: {message}", errors={name: [message] for name in unknown})
