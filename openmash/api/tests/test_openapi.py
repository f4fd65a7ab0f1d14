"""The OpenAPI document: served without a token, complete, and honest about auth and errors."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ROUTES = {
    ("post", "/api/v1/referrals"),
    ("get", "/api/v1/referrals/{reference}"),
    ("post", "/api/v1/referrals/{reference}/triage"),
    ("post", "/api/v1/referrals/{reference}/decision"),
    ("get", "/api/v1/information-requests"),
    ("get", "/api/v1/information-requests/{request_id}"),
    ("post", "/api/v1/information-requests/{request_id}/answer"),
    ("get", "/api/v1/people/search"),
    ("get", "/api/v1/board"),
    ("post", "/api/v1/referrals/{reference}/consent"),
    ("post", "/api/v1/referrals/{reference}/overrides"),
    ("post", "/api/v1/overrides/{override_id}/authorise"),
    ("post", "/api/v1/overrides/{override_id}/reject"),
    ("get", "/api/v1/referrals/{reference}/sharing-log"),
    ("get", "/api/v1/lawful-bases"),
    ("post", "/api/v1/agencies/{code}/people"),
    ("post", "/api/v1/agencies/{code}/involvements"),
    ("get", "/api/v1/reports/performance"),
}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(document):
    return {(method, path): op for path, ops in document["paths"].items() for method, op in ops.items()}


def test_the_document_lists_every_route(document):
    assert set(_operations(document)) == ROUTES


def test_every_api_url_is_in_the_document():
    """A route added to the URLs but hidden from the document (or vice versa) fails here."""

    def names(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from names(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace == "api":
                yield p.name

    operation_names = set(names(get_resolver().url_patterns)) - {"openapi-json", "api-root", "unknown-route"}
    assert operation_names == {
        "referral-create", "referral-detail", "referral-triage", "referral-decision",
        "request-list", "request-detail", "request-answer", "people-search", "board",
        "consent-record", "override-propose", "override-authorise", "override-reject", "sharing-log", "lawful-bases",
        "agency-people", "agency-involvements", "reports-performance",
    }
    assert len(operation_names) == len(ROUTES)


def test_every_route_needs_the_bearer_token(document):
    assert document["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    for key, op in _operations(document).items():
        assert op["security"] == [{"TokenAuth": []}], key


def test_errors_are_documented_as_problem_json(document):
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "detail", "instance"} <= set(schemas["Problem"]["properties"])
    assert "errors" in schemas["ValidationProblem"]["properties"]
    for key, op in _operations(document).items():
        responses = op["responses"]
        assert "401" in responses, key
        for status, answer in responses.items():
            if int(status) >= 400:
                assert list(answer["content"]) == ["application/problem+json"], (key, status)
        if key[0] == "post":
            assert responses["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/ValidationProblem")
    assert "application/problem+json" in document["info"]["description"]


def test_code_lists_are_enums(document):
    referral_in = document["components"]["schemas"]["ReferralIn"]["properties"]
    assert "2A" in referral_in["source"]["enum"] and "10" in referral_in["source"]["enum"]
    triage = document["components"]["schemas"]["TriageIn"]["properties"]
    assert triage["rating"]["enum"] == ["urgent", "red", "amber", "green"]


def test_consent_and_sharing_routes_are_documented(document):
    schemas = document["components"]["schemas"]
    consent = schemas["ConsentIn"]["properties"]
    assert consent["sought"]["enum"] == ["yes", "no"]
    assert "prejudice_investigation" in str(consent["not_sought_reason"])
    assert "young_person" in str(consent["given_by"]) and "written" in str(consent["method"])
    assert schemas["ConsentIn"]["additionalProperties"] is False
    assert set(schemas["OverrideIn"]["required"]) == {"lawful_basis", "reason"}
    assert set(schemas["OverrideRejectIn"]["required"]) == {"reason"}
    assert "required" not in schemas["OverrideAuthoriseIn"]
    override = schemas["OverrideOut"]["properties"]
    assert override["status"]["enum"] == ["proposed", "authorised", "rejected"]
    assert {"lawful_basis", "self_authorised", "decision_reason", "decided_by"} <= set(override)
    event = schemas["SharingEventOut"]["properties"]
    assert "from" in event and "from_" not in event  # the body's own name
    assert "answer_declined" in event["kind"]["enum"] and event["decision"]["enum"] == ["shared", "not_shared", "partial"]
    assert schemas["LawfulBasisOut"]["properties"]["category"]["enum"] == ["article_6", "special", "law_enforcement", "statute"]
    assert "referrer" not in schemas["RequestDetailOut"]["required"]

    operations = _operations(document)
    assert set(operations[("post", "/api/v1/referrals/{reference}/triage")]["responses"]) >= {"409"}
    for key in [("post", "/api/v1/overrides/{override_id}/authorise"), ("post", "/api/v1/overrides/{override_id}/reject")]:
        assert {"200", "401", "403", "404", "409", "422"} <= set(operations[key]["responses"]), key
    assert operations[("post", "/api/v1/referrals/{reference}/consent")]["responses"]["201"]
    assert operations[("post", "/api/v1/referrals/{reference}/overrides")]["responses"]["201"]
    assert "lawful" in operations[("get", "/api/v1/lawful-bases")]["summary"].lower()
    [all_parameter] = operations[("get", "/api/v1/lawful-bases")]["parameters"]
    assert all_parameter["name"] == "all" and all_parameter["in"] == "query"


def test_there_is_no_docs_page_loading_from_a_cdn(client):
    assert client.get("/api/v1/docs").status_code == 404
