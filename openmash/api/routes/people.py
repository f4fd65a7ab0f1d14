"""Finding people already known to the hub."""

from ninja import Query, Router

from openmash.access.policy import can_search_people, require
from openmash.api import presenters
from openmash.api.routes.common import reject_unknown_parameters, responses
from openmash.api.schemas import PeopleSearchOut, PeopleSearchQuery
from openmash.core.errors import InvalidInput
from openmash.people.selectors import SearchCriteria, person_search, search_criteria_errors

router = Router(tags=["people"])


@router.get(
    "/people/search",
    response=responses({200: PeopleSearchOut}, 403, 422),
    url_name="people-search",
    operation_id="people_search",
    summary="Search people already known",
)
def people_search(request, query: Query[PeopleSearchQuery]):
    """MASH managers and practitioners only (403 for other roles). An NHS number finds that person;
    otherwise every criterion given must match: names from their start, case- and
    accent-insensitively (other names too), the date of birth exactly, the postcode in full. At
    least one criterion; `limit` 1–50 (default 10). Every search is audited with its criteria."""
    require(can_search_people(request.auth), "Searching for people is for MASH staff")
    reject_unknown_parameters(request, PeopleSearchQuery)
    criteria = SearchCriteria(
        given_name=query.given_name,
        family_name=query.family_name,
        date_of_birth=query.date_of_birth,
        postcode=query.postcode,
        nhs_number=query.nhs_number,
    )
    problems = search_criteria_errors(criteria=criteria)
    if problems:
        raise InvalidInput(next(iter(problems.values()))[0], errors=problems)
    found = person_search(user=request.auth, criteria=criteria, limit=query.limit, audit_context="api")
    return {"results": [presenters.person_found(p) for p in found]}
