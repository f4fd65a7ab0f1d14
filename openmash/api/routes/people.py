"""Finding people already known to the hub."""

from ninja import Query, Router

from openmash.access.policy import can_search_people, require
from openmash.api import presenters
from openmash.api.routes.common import reject_unknown_parameters, responses
from openmash.api.schemas import PeopleSearchOut, PeopleSearchQuery
from openmash.core.errors import InvalidInput
from openmash.people.search import match_people
from openmash.people.selectors import SearchCriteria, search_criteria_errors

router = Router(tags=["people"])


@router.get(
    "/people/search",
    response=responses({200: PeopleSearchOut}, 403, 422),
    url_name="people-search",
    operation_id="people_search",
    summary="Search people already known",
)
def people_search(request, query: Query[PeopleSearchQuery]):
    """MASH managers and practitioners only (403 for other roles). Ranked candidates from everyone
    the hub knows, whatever was mistyped: names with typos, nicknames and short forms (Bill →
    William), hyphenated, changed or swapped names and initials; a date of birth with day and month
    swapped, a digit wrong or a day out; a postcode in full, by sector or district, or mistyped; the
    address line; sex. A valid NHS number or UPN finds its person first.

    Each result says field by field why it matched (`reasons`: agree / close / differ / missing, in
    words), its `score` (log2 odds), `probability` and `band` (very likely ≥ 0.99, likely ≥ 0.80,
    possible ≥ 0.20, unlikely), the agencies' own ids (`source_ids`), and its `household` (others at
    the same address or related, with ages and how each differs: a twin or a sibling is a different
    person). Best first; "unlikely" candidates only fill the list up to `limit` (1–50, default 10).
    Nothing is linked automatically. At least one criterion; a malformed NHS number, UPN, postcode,
    sex or date, or an unknown parameter, is a 422 problem naming the field. Every search is
    audited with its criteria and the people returned."""
    require(can_search_people(request.auth), "Searching for people is for MASH staff")
    reject_unknown_parameters(request, PeopleSearchQuery)
    criteria = SearchCriteria(
        given_name=query.given_name,
        family_name=query.family_name,
        date_of_birth=query.date_of_birth,
        sex=query.sex,
        postcode=query.postcode,
        address_line=query.address_line,
        nhs_number=query.nhs_number,
        upn=query.upn,
    )
    problems = search_criteria_errors(criteria=criteria)
    if problems:
        raise InvalidInput(next(iter(problems.values()))[0], errors=problems)
    found = match_people(user=request.auth, criteria=criteria, limit=query.limit, audit_context="api")
    return {"results": [presenters.person_found(c) for c in found]}
