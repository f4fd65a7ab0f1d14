"""The JSON API under /api/v1/: token authentication, problem+json errors, and the routes.

Thin, like the pages: each route calls the same selectors and services, and never a model.
"""

import functools

from django.http import Http404
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from openmash.api import problems
from openmash.api.auth import TokenAuth
from openmash.api.routes import board, information_requests, people, referrals, sharing

DESCRIPTION = """
The OpenMASH API, for agency systems and scripts. It calls the same services as the pages, with the
same rules, access checks and audit trail.

**Authentication.** Every route needs `Authorization: Bearer <token>`; an administrator makes a token
with `python manage.py api_token <username>`. The token acts as that user, with their role and agency.
Browser sessions are not accepted. A missing or unknown token: 401.

**Who may do what.** As on the pages. Anything the caller may not see answers 404, exactly as if it did
not exist; 403 only where the caller already knows the object exists (a practitioner triaging a
referral, a hub manager answering a request) or the route shows no object (an analyst searching
people). `GET /information-requests` is the list of *the caller's agency's* requests, so it is for
agency representatives only; every other role has no agency and gets 403. `GET /board` (what a wall
board shows) is for hub staff, any kind; an agency representative may have only their own agency's
board (`kind=agency&agency=<their code>`), and gets 403 for any other.

**Consent and sharing.** Information requests go out only when every person's newest consent entry
covers the agency, or an override (sharing without consent, on a lawful basis) is in force: otherwise
triage answers 409. An Urgent referral's requests go out at once, and then the decision answers 409
until an override is authorised. An override is proposed by hub staff and authorised or rejected by a
MASH manager; a manager authorising their own proposal gives a second reason and is flagged. Every
decision to share or not to share is in the referral's sharing log. Answers an agency restricted
("MASH manager only", "not to be disclosed to the family") are never shown beyond who may see them,
and the log names what was shared without copying it.

**Errors** are `application/problem+json` (RFC 9457): `type` (a tag URI such as
`tag:openmash,2026:problems/invalid-input`), `title`, `status`, `detail`, `instance` (the request path)
and `request_id`. Validation problems (422) add `errors`, a **list** with one item per message:
`{"field": "children.0.nhs_number", "message": "…"}`. `field` is the dotted path in the request body
(list positions count from 0) or the query parameter's name, and "" for the body as a whole. Every
problem found is reported at once within each stage: first the body's shape and types, then the
service's rules. A body that is not JSON: 400. A body over 2 MB: 413.

Problem types: `malformed-request` (400), `unauthenticated` (401), `forbidden` (403), `not-found` (404),
`method-not-allowed` (405), `conflict` (409), `too-large` (413), `invalid-input` (422), `server-error` (500).

**Times** are ISO 8601 with an offset (sent back in UTC); dates are `YYYY-MM-DD`. Codes (referral
source, concern categories, ratings, outcomes…) are listed as enums in the schemas below.
"""


def _problems_for_plain_errors(view):
    """Ninja answers a wrong method with a bare 405, and its root URL raises Http404 outside any
    operation; give those the same problem bodies as everything else."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return problems.problem_response(request, status=404, detail=_no_route(request))
        if response.status_code == 405 and not problems.is_problem(response):
            return problems.problem_response(
                request, status=405, detail=f"{request.method} is not allowed on {request.path}",
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return wrapper


def _no_route(request) -> str:
    return f"There is no API route {request.method} {request.path}; the routes are listed in /api/v1/openapi.json"


@csrf_exempt
def unknown_route(request, *args, **kwargs):
    return problems.problem_response(request, status=404, detail=_no_route(request))


class OpenMashAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _problems_for_plain_errors(pattern.callback)
        # Last: anything else under /api/v1/ is an unknown route, answered as a problem (not the HTML 404 page).
        patterns.append(re_path(r"^", unknown_route, name="unknown-route"))
        return patterns, app_name, namespace

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        answer["content"] = {problems.PROBLEM_CONTENT_TYPE: content["application/json"]}
        return schema


api = OpenMashAPI(
    title="OpenMASH API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url=None,  # the interactive page loads from a CDN, which the service's CSP forbids
)
problems.install(api)
api.add_router("", referrals.router)
api.add_router("", information_requests.router)
api.add_router("", people.router)
api.add_router("", board.router)
api.add_router("", sharing.router)
api.add_router("", "openmash.api.routes.imports.router")
api.add_router("", "openmash.api.routes.reports.router")
