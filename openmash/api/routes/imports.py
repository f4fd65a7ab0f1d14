"""What an agency holds, sent by its own system: people and involvements, keyed on the agency's ids."""

from ninja import Field, Router

from openmash.api.routes.common import responses
from openmash.api.schemas import In, Out
from openmash.api.types import Bool, OptionalText, Text
from openmash.people import imports

router = Router(tags=["agency records"])

ROWS_DESCRIPTION = f"1 to {imports.API_MAX_ROWS:,} rows; each `source_id` at most once"


class PersonRowIn(In):
    source_id: OptionalText = Field(description="The agency's own id for this person (a case number, a pupil id)")
    given_name: OptionalText
    family_name: OptionalText
    date_of_birth: OptionalText = Field(description="YYYY-MM-DD (DD/MM/YYYY is also accepted); blank when not known")
    sex: OptionalText = Field(description="M, F or U (or Male, Female; blank when not known)")
    address_line: OptionalText
    town: OptionalText
    postcode: OptionalText
    nhs_number: OptionalText
    upn: OptionalText
    other_names: list[Text] = Field(default_factory=list, description='Other names the person is known by ("Jay Smith-Ali")')


class PeopleIn(In):
    rows: list[PersonRowIn] = Field(description=ROWS_DESCRIPTION)


class InvolvementRowIn(In):
    source_id: OptionalText = Field(description="The agency's own id for this involvement")
    person_source_id: OptionalText = Field(description="The agency's own id of a person it has sent before")
    service: OptionalText
    practitioner_name: OptionalText
    practitioner_contact: OptionalText
    role: OptionalText = Field(description="An involvement role code (health_visitor, school_dsl…) or its label")
    is_lead: Bool = False
    start_date: OptionalText = Field(description="YYYY-MM-DD (DD/MM/YYYY is also accepted)")
    end_date: OptionalText = Field(description="YYYY-MM-DD, not before start_date; blank while it goes on")


class InvolvementsIn(In):
    rows: list[InvolvementRowIn] = Field(description=ROWS_DESCRIPTION)


class RejectedRowOut(Out):
    row: int = Field(description="The row's position in `rows`, from 0")
    source_id: str
    errors: dict[str, list[str]] = Field(description='Field → messages; "" for the row as a whole')


class ImportResultOut(Out):
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRowOut]


def _result(result: imports.ImportResult) -> dict:
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": [{"row": r.line, "source_id": r.source_id, "errors": r.errors} for r in result.rejected],
    }


def _rows(payload) -> list[dict]:
    return [row.model_dump() for row in payload.rows]


@router.post(
    "/agencies/{code}/people",
    response=responses({200: ImportResultOut}, 400, 403, 409, 413, 422),
    url_name="agency-people",
    operation_id="agency_people_send",
    summary="Send the people an agency holds",
)
def agency_people_send(request, code: str, payload: PeopleIn):
    """A representative of the agency `code` only (403 for anyone else). Each row is checked as a
    person recorded on a referral (names, date of birth, NHS number and UPN check digits, postcode);
    a bad row is returned in `rejected` with its position and reasons, and the others are loaded in
    one transaction, keyed on the agency's `source_id`: a new id makes a new person, a known one
    updates that person (a blank never erases a known date of birth, identifier or address; a
    changed address becomes the current one, the old kept), the same data again changes nothing.
    More than 1,000 rows, or none: 422. One audit entry per call."""
    agency = imports.agency_for_api(user=request.auth, code=code)
    return _result(imports.import_rows(kind="people", rows=_rows(payload), agency=agency, user=request.auth))


@router.post(
    "/agencies/{code}/involvements",
    response=responses({200: ImportResultOut}, 400, 403, 409, 413, 422),
    url_name="agency-involvements",
    operation_id="agency_involvements_send",
    summary="Send who is involved with the agency's people",
)
def agency_involvements_send(request, code: str, payload: InvolvementsIn):
    """A representative of the agency `code` only (403 for anyone else). `person_source_id` must be
    the id of a person the agency has already sent; `end_date` not before `start_date`. Keyed on
    the agency's `source_id`: a known id is replaced by the row. Bad rows come back in `rejected`;
    the others are loaded in one transaction. More than 1,000 rows, or none: 422. One audit entry
    per call."""
    agency = imports.agency_for_api(user=request.auth, code=code)
    return _result(imports.import_rows(kind="involvements", rows=_rows(payload), agency=agency, user=request.auth))
