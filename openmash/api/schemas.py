"""Request and response bodies of the JSON API.

Request bodies refuse unknown fields (a misspelt optional field would otherwise be dropped without a
word) and accept only the JSON type each field names. The code lists are the services' own
(TextChoices), so they are validated here and listed in the OpenAPI document; the rules that need
the database or the clock (NHS number check digits, a received time in the future, oversized text…)
are the services', and come back as 422 problems with the same field paths.
"""

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from openmash.api.types import Bool, DateString, Id, IsoDateTime, OptionalIsoDate, OptionalText, Text, Timestamp, choice
from openmash.board.codes import BoardKind
from openmash.information_requests.codes import AnswerOutcome, RequestStatus, Restriction
from openmash.people.codes import Ethnicity, InvolvementRole, RelationshipKind, Sex
from openmash.referrals.codes import (
    ConcernCategory,
    ConsentStatus,
    ContactMethod,
    FamilyInformed,
    Outcome,
    Rating,
    ReferralSource,
    ReferralStatus,
    ReferrerInformed,
)
from openmash.sharing.codes import (
    BasisCategory,
    BasisKind,
    Channel,
    ConsentGivenBy,
    ConsentMethod,
    ConsentOutcome,
    ConsentSought,
    NotSoughtReason,
    OverrideStatus,
    SharingDecision,
    SharingKind,
)


class In(Schema):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ problems


class FieldError(Schema):
    field: str = Field(description='Dotted path in the request body ("children.0.nhs_number") or the query parameter; "" for the body as a whole')
    message: str


class Problem(Schema):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="A tag URI naming the kind of problem, e.g. tag:openmash,2026:problems/not-found")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request that failed")
    request_id: str | None = Field(None, description="Quote this when asking for help; it is in the service's logs and audit trail")


class ValidationProblem(Problem):
    errors: list[FieldError] = Field(description="Every problem found, one item per message")


# ------------------------------------------------------------------ people in a referral


class AddressIn(In):
    line_1: OptionalText
    line_2: OptionalText
    town: OptionalText
    postcode: OptionalText


class PersonIn(In):
    """Someone already known (`person_id`, from /people/search) or a new person's details."""

    person_id: Id | None = None
    given_name: OptionalText
    family_name: OptionalText
    other_names: list[Text] = Field(default_factory=list, description="Aliases and previous names, e.g. \"Jay Smith-Ali\"")
    date_of_birth: OptionalIsoDate = Field(None, description="YYYY-MM-DD; leave out when not known or for an unborn child")
    sex: choice(Sex) = Sex.UNKNOWN.value
    ethnicity: choice(Ethnicity) = Ethnicity.NOBT.value
    nhs_number: OptionalText
    upn: OptionalText
    address: AddressIn | None = None

    @model_validator(mode="after")
    def _existing_or_new(self):
        details = [self.given_name, self.family_name, self.other_names, self.date_of_birth, self.nhs_number, self.upn, self.address]
        if self.person_id is not None and any(details):
            raise PydanticCustomError(
                "person_ref", "Give either person_id (someone already known) or the details of a new person, not both"
            )
        return self


class RelationshipIn(In):
    child: int = Field(ge=0, description="Position of the child in `children`, counting from 0")
    kind: choice(RelationshipKind)
    parental_responsibility: Bool | None = None

    @field_validator("child", mode="before")
    @classmethod
    def _strict_int(cls, value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise PydanticCustomError("int_type", "Must be a whole number")
        return value


class AdultIn(PersonIn):
    relationships: list[RelationshipIn] = Field(
        default_factory=list, description="How this adult relates to each child; every child needs one"
    )

    @field_validator("relationships")
    @classmethod
    def _one_per_child(cls, value):
        children = [r.child for r in value]
        repeated = sorted({c for c in children if children.count(c) > 1})
        if repeated:
            raise PydanticCustomError(
                "relationship_repeated", "Give one relationship per child; repeated for child {children}",
                {"children": ", ".join(map(str, repeated))},
            )
        return value


class ReferrerIn(In):
    anonymous: Bool = False
    name: OptionalText
    role: OptionalText
    organisation: OptionalText
    phone: OptionalText
    email: OptionalText


class ReferralIn(In):
    received_at: IsoDateTime = Field(description="When the hub received it: ISO 8601 with offset, not in the future")
    source: choice(ReferralSource) = Field(description="Children in Need census referral source")
    referrer: ReferrerIn
    children: list[PersonIn]
    adults: list[AdultIn] = Field(default_factory=list)
    concern_categories: list[choice(ConcernCategory)]
    concern_narrative: Text
    family_informed: choice(FamilyInformed)
    family_informed_notes: OptionalText
    consent: choice(ConsentStatus)
    consent_notes: OptionalText = Field(default="", description="Required when consent was not sought")


# ------------------------------------------------------------------ triage, answers, decisions


class TriageIn(In):
    rating: choice(Rating)
    rationale: Text
    agencies: list[Text] | None = Field(None, description="Agency codes to ask; leave out to ask every active agency")
    team: Text | None = Field(
        None, description="The code of the hub team responsible. Leave out to keep the referral's team or, on a first "
        "rating, to give it the manager's own team; required while the hub has an active team and neither applies",
    )


class InvolvementIn(In):
    """Someone in the answering agency involved with one of the referral's children."""

    child: Id = Field(description="The child's person_id, from `referral.children` of GET /information-requests/{id}")
    role: choice(InvolvementRole)
    practitioner_name: OptionalText = Field(default="", description="Required unless `service` is given; ≤ 120 characters")
    service: OptionalText = Field(default="", description="The service or team; ≤ 120 characters")
    practitioner_contact: OptionalText = Field(default="", description="Work phone or secure email; ≤ 200 characters")
    start_date: OptionalIsoDate = Field(None, description="Required: YYYY-MM-DD, not in the future")
    end_date: OptionalIsoDate = Field(None, description="YYYY-MM-DD, not before start_date; leave out while still involved")
    is_lead: Bool = Field(False, description="The lead professional for this child (one per child in an answer)")


class AnswerIn(In):
    outcome: choice(AnswerOutcome)
    summary: OptionalText = Field(default="", description="Required when information is held")
    detail: OptionalText
    systems_checked: OptionalText
    restriction: choice(Restriction) = Restriction.NONE.value
    decline_reason: OptionalText = Field(default="", description="Required when declining")
    correction_reason: OptionalText = Field(default="", description="Required for a correction (a second or later answer)")
    involvements: list[InvolvementIn] = Field(
        default_factory=list,
        description="Only with outcome `held`: who in the agency is involved with the children (0 to 30). They "
        "are seen only by those who may see this answer. A correction replaces the involvements the earlier "
        "version named: send the full list again (an empty list leaves none in force).",
    )


class ChildOutcomeIn(In):
    person_id: Id
    outcome: choice(Outcome)


class DecisionIn(In):
    children: list[ChildOutcomeIn] = Field(description="One outcome for every child on the referral")
    rationale: Text
    threshold_level: int = Field(description="1 to 4")
    early_decision_reason: OptionalText = Field(default="", description="Required while any agency has not answered")
    referrer_informed: choice(ReferrerInformed)
    referrer_informed_method: Literal[tuple(ContactMethod.values) + ("",)] | None = Field(  # type: ignore[valid-type]
        None, description="Required when referrer_informed is yes; otherwise leave out"
    )
    referrer_informed_notes: OptionalText

    @field_validator("threshold_level", mode="before")
    @classmethod
    def _strict_int(cls, value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise PydanticCustomError("int_type", "Must be a whole number")
        return value

    @field_validator("children")
    @classmethod
    def _once_each(cls, value):
        ids = [c.person_id for c in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise PydanticCustomError(
                "child_repeated", "Give one outcome per child; repeated for person_id {ids}", {"ids": ", ".join(map(str, repeated))}
            )
        return value


# ------------------------------------------------------------------ consent and overrides


def optional_choice(choices) -> type:
    """A code from a TextChoices, or "" / null for "not applicable" (the service says when it is needed)."""
    return Literal[tuple(choices.values) + ("",)] | None  # type: ignore[valid-type]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_naive", "Give the time with its offset (Z or +01:00), like 2026-03-02T14:05:00+00:00"
        )
    try:
        value.astimezone(dt.timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time a database can store
        raise PydanticCustomError("datetime_range", "Enter a real date and time") from None
    return value


# A time that must carry its offset: the consent services compare it with the clock, which a naive
# time cannot be (and which would otherwise fail as a server error).
AwareIsoDateTime = Annotated[IsoDateTime, AfterValidator(_aware)]


def _once_each(value: list, what: str) -> list:
    repeated = [v for i, v in enumerate(value) if v in value[:i]]
    if repeated:
        raise PydanticCustomError(
            "repeated", "Give each {what} once; repeated: {items}", {"what": what, "items": ", ".join(map(str, dict.fromkeys(repeated)))}
        )
    return value


class ConsentIn(In):
    """What was done about consent for one person (`person_id`) or several at once (`person_ids`);
    each gets their own entry. A later entry for the same person (consent withdrawn, given after all)
    becomes their current position; earlier entries stay as their history."""

    person_id: Id | None = Field(None, description="The person (a child or adult on this referral); or give person_ids")
    person_ids: list[Id] | None = Field(None, description="Several people at once, instead of person_id")
    family_informed: choice(FamilyInformed) = Field(description="Whether the family knows about the referral")
    sought: choice(ConsentSought) = Field(description="Whether consent to share was sought")
    not_sought_reason: optional_choice(NotSoughtReason) = Field(None, description="Required when sought is no; `other` needs notes")
    outcome: optional_choice(ConsentOutcome) = Field(None, description="Required when sought is yes")
    given_by: optional_choice(ConsentGivenBy) = Field(
        None, description="Required when sought is yes: who gave, refused or withdrew consent"
    )
    given_by_name: OptionalText = Field(default="", description="Required when a parent or carer gave it")
    obtained_at: AwareIsoDateTime | None = Field(
        None, description="Required when sought is yes: when (ISO 8601 with offset, not in the future)"
    )
    method: optional_choice(ConsentMethod) = Field(None, description="Required when sought is yes: verbal or written")
    scope_all_agencies: Bool = Field(True, description="Consent given covers every agency (the default)")
    scope_agencies: list[Text] = Field(
        default_factory=list, description="Agency codes the consent covers, with scope_all_agencies false"
    )
    scope_information: OptionalText = Field(default="", description="What information may be shared, in words")
    notes: OptionalText

    @field_validator("person_ids")
    @classmethod
    def _people_once(cls, value):
        return value if value is None else _once_each(value, "person")

    @field_validator("scope_agencies")
    @classmethod
    def _agencies_once(cls, value):
        return _once_each(value, "agency")


class OverrideIn(In):
    lawful_basis: list[Text] = Field(
        description="Codes from GET /lawful-bases (active entries only); at least one"
    )
    reason: Text = Field(description="Why information must be shared without consent")

    @field_validator("lawful_basis")
    @classmethod
    def _bases_once(cls, value):
        return _once_each(value, "lawful basis")


class OverrideAuthoriseIn(In):
    reason: OptionalText = Field(
        default="", description="Required when the MASH manager authorising it also proposed it: a second reason"
    )


class OverrideRejectIn(In):
    reason: Text = Field(description="Why the override is rejected")


# ------------------------------------------------------------------ queries


class PeopleSearchQuery(In):
    given_name: OptionalText
    family_name: OptionalText
    date_of_birth: OptionalIsoDate
    sex: OptionalText = Field(default="", description="M, F, or U (not known)")
    postcode: OptionalText = Field(default="", description='In full ("SE15 4AB"), or only the district ("SE15") or sector ("SE15 4")')
    address_line: OptionalText = Field(default="", description='The first line of the address ("14 Alder Road")')
    nhs_number: OptionalText
    upn: OptionalText = Field(default="", description="Unique pupil number")
    limit: int = Field(10, ge=1, le=50)

    @field_validator("limit", mode="before")
    @classmethod
    def _blank_limit(cls, value):
        return 10 if value in ("", None) else value


class RequestListQuery(In):
    status: Literal["open", "answered", "not_needed", "all"] = "open"


class BoardQuery(In):
    kind: choice(BoardKind) = Field(BoardKind.HUB.value, description="hub (default), agency or decision")
    agency: OptionalText = Field(default="", description="The agency's code; required for kind=agency, refused otherwise")


class LawfulBasesQuery(In):
    all: bool = Field(False, description="true: retired entries too")

    @field_validator("all", mode="before")
    @classmethod
    def _true_or_false(cls, value):
        if value in ("", None):
            return False
        if value not in ("true", "false", True, False):
            raise PydanticCustomError("bool_type", "Must be true or false")
        return value in ("true", True)


# ------------------------------------------------------------------ responses


class Out(Schema):
    pass


class AgencyOut(Out):
    code: str
    name: str


class AddressOut(Out):
    line_1: str
    line_2: str
    town: str
    postcode: str


class _PersonFields(Out):
    given_name: str
    family_name: str
    other_names: list[str]
    date_of_birth: DateString | None
    sex: str
    ethnicity: str
    nhs_number: str
    upn: str


class PersonOut(_PersonFields):
    person_id: int
    address: AddressOut | None = Field(description="The current address, if one is recorded")


class RelationshipOut(Out):
    child: int = Field(description="Position of the child in `children`")
    child_person_id: int
    kind: str
    parental_responsibility: bool | None


class AdultOut(PersonOut):
    relationships: list[RelationshipOut]


class ReferrerOut(Out):
    anonymous: bool
    name: str
    role: str
    organisation: str
    phone: str
    email: str


class InvolvementOut(Out):
    id: int
    child: int = Field(description="The child's person_id")
    role: choice(InvolvementRole)
    practitioner_name: str
    service: str
    practitioner_contact: str
    start_date: DateString | None
    end_date: DateString | None
    is_lead: bool
    in_force: bool = Field(description="false once a later version of the answer replaced it")


class AnswerOut(Out):
    version: int
    outcome: choice(AnswerOutcome)
    summary: str
    detail: str
    systems_checked: str
    restriction: choice(Restriction)
    decline_reason: str
    correction_reason: str
    answered_by: str
    answered_at: Timestamp
    late: bool = Field(description="Given after the request's due time")
    involvements: list[InvolvementOut] = Field(description="Who this version named as involved with the children")


class RequestSummaryOut(Out):
    id: int
    agency: AgencyOut
    status: choice(RequestStatus)
    requested_at: Timestamp
    due_at: Timestamp
    answered_at: Timestamp | None
    closed_at: Timestamp | None
    late: bool = Field(description="First answered after the due time")
    overdue: bool = Field(description="Still open and past the due time")


class RequestOut(RequestSummaryOut):
    answers: list[AnswerOut] = Field(description="Every version the caller may see, oldest first")
    restricted_answers_hidden: int = Field(description="Answers restricted to MASH managers that the caller may not see")


class RatingChangeOut(Out):
    rating: choice(Rating)
    previous_rating: str
    rationale: str
    changed_by: str
    changed_at: Timestamp


class ChildOutcomeOut(Out):
    person_id: int
    outcome: choice(Outcome)


class DecisionOut(Out):
    reference: str
    decided_at: Timestamp
    decided_by: str
    rationale: str
    threshold_level: int
    early_decision_reason: str
    referrer_informed: str
    referrer_informed_method: str
    referrer_informed_notes: str
    outcomes: list[ChildOutcomeOut]
    minutes_from_receipt: int


class ChronologyOut(Out):
    at: Timestamp
    what: str
    who: str
    detail: str


class ReferralOut(Out):
    """A referral as the caller may see it. Agency representatives get what their request page shows:
    no referrer, consent notes, rating history, decision or chronology (those members are absent),
    and only their own agency's request and answers."""

    reference: str
    status: choice(ReferralStatus)
    rating: choice(Rating) | None
    received_at: Timestamp
    recorded_at: Timestamp
    rated_at: Timestamp | None
    decision_due_at: Timestamp
    decided_at: Timestamp | None
    strategy_discussion_required_at: Timestamp | None
    source: choice(ReferralSource)
    referrer: ReferrerOut | None = Field(None, description="Absent for agency representatives")
    children: list[PersonOut]
    adults: list[AdultOut]
    concern_categories: list[choice(ConcernCategory)]
    concern_narrative: str
    family_informed: str | None = Field(None, description="Absent for agency representatives")
    family_informed_notes: str | None = Field(None, description="Absent for agency representatives")
    consent: str | None = Field(None, description="Absent for agency representatives")
    consent_notes: str | None = Field(None, description="Absent for agency representatives")
    rating_history: list[RatingChangeOut] | None = Field(None, description="Absent for agency representatives")
    information_requests: list[RequestOut]
    decision: DecisionOut | None = Field(None, description="null until decided; absent for agency representatives")
    chronology: list[ChronologyOut] | None = Field(None, description="Absent for agency representatives")


class ReferralCreatedOut(Out):
    reference: str
    status: choice(ReferralStatus)
    received_at: Timestamp
    recorded_at: Timestamp
    decision_due_at: Timestamp
    children: list[PersonOut]
    adults: list[AdultOut]


class TriageOut(Out):
    reference: str
    status: choice(ReferralStatus)
    rating: choice(Rating)
    rated_at: Timestamp
    strategy_discussion_required_at: Timestamp | None
    decision_due_at: Timestamp
    team: str | None = Field(description="The code of the hub team responsible; null when it has none")
    information_requests: list[RequestSummaryOut]


class ReferralBriefOut(Out):
    reference: str
    rating: choice(Rating) | None
    status: choice(ReferralStatus)


class RequestListItemOut(RequestSummaryOut):
    referral: ReferralBriefOut


class RequestReferralOut(Out):
    reference: str
    rating: choice(Rating) | None
    status: choice(ReferralStatus)
    received_at: Timestamp
    children: list[PersonOut]
    adults: list[AdultOut]
    concern_categories: list[choice(ConcernCategory)]
    concern_narrative: str


class RequestDetailOut(RequestOut):
    can_answer: bool = Field(description="The caller may answer (or correct the answer to) this request now")
    referral: RequestReferralOut
    referrer: ReferrerOut | None = Field(
        None, description="Who made the referral: present only once a MASH manager has released it to the caller's agency; absent otherwise"
    )

    @model_serializer(mode="wrap")
    def _referrer_absent_unless_released(self, handler):
        body = handler(self)
        if body.get("referrer") is None:
            body.pop("referrer", None)  # absent, not null: nothing about the referrer is said
        return body


class AnswerCreatedOut(AnswerOut):
    request_id: int


class MatchReasonOut(Out):
    field: Literal["given_name", "family_name", "date_of_birth", "sex", "postcode", "address", "nhs_number", "upn"]
    outcome: Literal["agree", "close", "differ", "missing"]
    detail: str = Field(description='How: exact, variant, typo, swapped, one day apart, sector… ("differ", "missing")')
    reason: str = Field(description='In words, e.g. "Bill is a short form of William", "day and month swapped (03/07/2015 / 07/03/2015)"')
    weight: float = Field(description="What this field adds to the score (log2 odds)")


class HouseholdMemberOut(Out):
    id: int
    given_name: str
    family_name: str
    date_of_birth: DateString | None
    age: int | None
    sex: str
    link: str = Field(description='"same address", or the relationship: "mother", "child (mother)", "sibling (same mother)"')
    same_date_of_birth: bool = Field(description="Born the same day as the candidate: a twin, or a duplicate record to check")
    differences: list[str] = Field(description='How this person differs from the candidate ("same date of birth", "different first name: Alexandra")')
    note: str


class PersonFoundOut(_PersonFields):
    id: int
    source_ids: list[str] = Field(description="The agencies' own ids for this person, as AGENCYCODE:id")
    postcode: str = Field(description="Postcode of the current address, or \"\"")
    address: AddressOut | None
    score: float = Field(description="Match weight: log2 odds that this is the person searched for (prior of one in a million included)")
    probability: float
    band: Literal["very likely", "likely", "possible", "unlikely"]
    identifier_match: bool = Field(description="The NHS number or UPN searched for is this person's")
    reasons: list[MatchReasonOut] = Field(description="Field by field: why this person was found, and where they differ")
    household: list[HouseholdMemberOut] = Field(description="Others at the same address or related: a twin or sibling is a different person")


class PeopleSearchOut(Out):
    results: list[PersonFoundOut] = Field(description="Best first: an NHS number or UPN match, then by score")


# ------------------------------------------------------------------ wall boards


class BoardItemOut(Out):
    agency: str = Field(description="The agency's code")
    status: Literal["answered", "not_known", "declined", "waiting", "overdue"] = Field(
        description="answered (information held), not_known, declined, waiting (open, not yet due) or overdue (open, past due)"
    )
    due_at: Timestamp


class BoardRowOut(Out):
    reference: str
    initials: str = Field(description='The children\'s initials and ages, like "J.S. 8, T.S. 6" (a baby\'s age in months: "4m")')
    rating: choice(Rating) | None = Field(description="null while awaiting triage")
    status: Literal["awaiting_triage", "gathering"]
    decision_due_at: Timestamp
    countdown_due_at: Timestamp | None = Field(description="The earliest due time among unanswered requests; null when none is unanswered")
    overdue: bool = Field(description="An unanswered request is past its due time")
    items: list[BoardItemOut] = Field(description="One per agency asked, in the hub's agency order")


# ------------------------------------------------------------------ consent, overrides, the sharing log


class ConsentEntryOut(Out):
    id: int
    person_id: int
    family_informed: choice(FamilyInformed)
    sought: choice(ConsentSought)
    not_sought_reason: str = Field(description='A NotSoughtReason code when sought is no, else ""')
    outcome: str = Field(description='given, refused or withdrawn when sought is yes, else ""')
    given_by: str
    given_by_name: str
    obtained_at: Timestamp | None
    method: str
    scope_all_agencies: bool
    scope_agencies: list[str] = Field(description="Agency codes, when the consent does not cover every agency")
    scope_information: str
    notes: str
    recorded_by: str
    recorded_at: Timestamp


class ConsentRecordedOut(Out):
    reference: str
    entries: list[ConsentEntryOut] = Field(description="One new entry per person")


class LawfulBasisOut(Out):
    code: str
    label: str
    category: choice(BasisCategory)
    active: bool = Field(description="false: retired, no longer offered for new overrides")


class BasisOut(Out):
    code: str
    label: str


class OverrideOut(Out):
    id: int
    reference: str
    status: choice(OverrideStatus)
    lawful_basis: list[BasisOut]
    reason: str
    proposed_by: str
    proposed_at: Timestamp
    decided_by: str | None = Field(description="The MASH manager who authorised or rejected it; null while proposed")
    decided_at: Timestamp | None
    decision_reason: str = Field(description="Why it was rejected; or the proposer's second reason when they authorised it themselves")
    self_authorised: bool = Field(description="The manager who authorised it also proposed it (flagged for information governance)")


class ActorOut(Out):
    name: str
    role: str
    agency: str | None = Field(description="The actor's agency code, for agency representatives")


class SharingEventOut(Out):
    id: int
    occurred_at: Timestamp
    kind: choice(SharingKind)
    decision: choice(SharingDecision)
    from_: str = Field(alias="from", description="Who shared (or declined to)")
    from_agency: str | None = Field(description="Their agency's code, when an agency")
    to: str = Field(description="With whom")
    to_agency: str | None
    items: list[str] = Field(description='What was shared, by name (fields, "answer:<id>:<field>"), never copied')
    what: str
    withheld: str = Field(description="What was not shared, and so not disclosed")
    why: str
    basis_kind: choice(BasisKind) = Field(description='consent, override, urgent, agency, or "" when nothing was shared')
    basis_codes: list[str] = Field(description="Lawful-basis codes of the override relied on")
    channel: choice(Channel)
    referrer_identity_protected: bool
    subjects: list[int] = Field(description="person_id of each person the information is about")
    actor: ActorOut


class SharingLogOut(Out):
    reference: str
    events: list[SharingEventOut] = Field(description="Oldest first")
