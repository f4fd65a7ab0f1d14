"""Referrals: record, read, rate (triage) and decide — the same selectors and services as the pages."""

import re
from functools import partial

from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Status

from openmash.api import presenters
from openmash.api.problems import request_paths
from openmash.api.routes.common import responses
from openmash.api.schemas import (
    DecisionIn,
    DecisionOut,
    PersonIn,
    ReferralCreatedOut,
    ReferralIn,
    ReferralOut,
    TriageIn,
    TriageOut,
)
from openmash.core.formatting import iso
from openmash.people.selectors import referral_household
from openmash.people.services import NewPerson
from openmash.referrals import selectors, services
from openmash.referrals.services import AdultEntry, DecisionInput, PersonRef, ReferralInput

router = Router(tags=["referrals"])


# ------------------------------------------------------------------ request body → service input


def _person_ref(p: PersonIn) -> PersonRef:
    if p.person_id is not None:
        return PersonRef(person_id=p.person_id)
    address = p.address
    return PersonRef(
        new=NewPerson(
            given_name=p.given_name,
            family_name=p.family_name,
            other_names=list(p.other_names),
            date_of_birth=p.date_of_birth,
            sex=p.sex,
            ethnicity=p.ethnicity,
            nhs_number=p.nhs_number,
            upn=p.upn,
            address_line_1=address.line_1 if address else "",
            address_line_2=address.line_2 if address else "",
            town=address.town if address else "",
            postcode=address.postcode if address else "",
        )
    )


def _referral_input(payload: ReferralIn) -> ReferralInput:
    referrer = payload.referrer
    return ReferralInput(
        received_at=payload.received_at,
        source=payload.source,
        referrer_anonymous=referrer.anonymous,
        referrer_name=referrer.name,
        referrer_role=referrer.role,
        referrer_organisation=referrer.organisation,
        referrer_phone=referrer.phone,
        referrer_email=referrer.email,
        children=[_person_ref(c) for c in payload.children],
        adults=[
            AdultEntry(
                person=_person_ref(a),
                relationships={r.child: r.kind for r in a.relationships},
                parental_responsibility={r.child: r.parental_responsibility for r in a.relationships},
            )
            for a in payload.adults
        ],
        concern_categories=list(payload.concern_categories),
        concern_narrative=payload.concern_narrative,
        family_informed=payload.family_informed,
        family_informed_notes=payload.family_informed_notes,
        consent=payload.consent,
        consent_notes=payload.consent_notes,
    )


# ------------------------------------------------------------------ service error key → request body path

_REFERRER_FIELDS = {f"referrer_{n}": f"referrer.{n}" for n in ("anonymous", "name", "role", "organisation", "phone", "email")}
_ADDRESS_FIELDS = {"address_line_1": "address.line_1", "address_line_2": "address.line_2", "town": "address.town", "postcode": "address.postcode"}
_PERSON_KEY = re.compile(r"^(children|adults)\.([0-9]+)\.([a-z_0-9]+)$")
_RELATIONSHIP_KEY = re.compile(r"^adults\.([0-9]+)\.relationships(?:\.([0-9]+))?$")


def _referral_paths(payload: ReferralIn, key: str, message: str) -> list[tuple[str, str]]:
    """`referral_create` names fields as its input does (`referrer_phone`, `adults.0.relationships.1`
    keyed by child position, `children.0.postcode`); the API names them as the request body does."""
    if key in _REFERRER_FIELDS:
        return [(_REFERRER_FIELDS[key], message)]
    match = _RELATIONSHIP_KEY.match(key)
    if match:
        i = int(match[1])
        relationships = payload.adults[i].relationships if i < len(payload.adults) else []
        if match[2] is None:  # relationships to children that are not on the referral
            strays = [(j, r.child) for j, r in enumerate(relationships) if r.child >= len(payload.children)]
            return [
                (f"adults.{i}.relationships.{j}.child", f"There is no child at position {child} in children (positions count from 0)")
                for j, child in strays
            ] or [(key, message)]
        position = int(match[2])
        for j, r in enumerate(relationships):
            if r.child == position:
                return [(f"adults.{i}.relationships.{j}.kind", message)]
        return [(f"adults.{i}.relationships", f"Say how this adult is related to the child at children.{position}")]
    match = _PERSON_KEY.match(key)
    if match:
        kind, i, name = match.groups()
        return [(f"{kind}.{i}.{_ADDRESS_FIELDS.get(name, name)}", message)]
    return [(key, message)]


def _decision_paths(payload: DecisionIn, referral, key: str, message: str) -> list[tuple[str, str]]:
    """`decision_record` keys outcomes by person id (`outcomes.17`); the body lists them in `children`."""
    match = re.match(r"^outcomes\.([0-9]+)$", key)
    if match:
        person_id = int(match[1])
        for j, child in enumerate(payload.children):
            if child.person_id == person_id:
                return [(f"children.{j}.outcome", message)]
        return [("children", f"Give an outcome for the child with person_id {person_id}")]
    if key == "outcomes":
        on_referral = {p.pk for p in referral_household(referral=referral).children}
        return [
            (f"children.{j}.person_id", "This person is not a child on this referral")
            for j, child in enumerate(payload.children)
            if child.person_id not in on_referral
        ] or [("children", message)]
    return [(key, message)]


# ------------------------------------------------------------------ routes


@router.post(
    "/referrals",
    response=responses({201: ReferralCreatedOut}, 400, 403, 413, 422),
    url_name="referral-create",
    operation_id="referral_create",
    summary="Record a referral",
)
def referral_create(request, payload: ReferralIn, response: HttpResponse):
    """Record a referral with its children, adults, relationships and concerns — all or nothing.

    People are given by `person_id` (from `/people/search`) or as new people. MASH managers and
    practitioners only (403 for other roles). Every problem found is reported at once (422), with
    the field paths of this body (`children.0.nhs_number`, `adults.1.relationships.0.kind`).
    """
    with request_paths(partial(_referral_paths, payload)):
        referral = services.referral_create(user=request.auth, data=_referral_input(payload))
    children, adults = presenters.household(referral_household(referral=referral))
    response["Location"] = reverse("api:referral-detail", kwargs={"reference": referral.reference})
    return Status(
        201,
        {
            "reference": referral.reference,
            "status": referral.status,
            "received_at": iso(referral.received_at),
            "recorded_at": iso(referral.created_at),
            "decision_due_at": iso(referral.decision_due_at),
            "children": children,
            "adults": adults,
        },
    )


@router.get(
    "/referrals/{mashref:reference}",
    response=responses({200: ReferralOut}, 404),
    exclude_unset=True,
    url_name="referral-detail",
    operation_id="referral_get",
    summary="A referral, as the caller may see it",
)
def referral_get(request, reference: str):
    """Hub staff see the whole referral, with answers restricted to MASH managers shown only to
    managers. An agency representative whose agency has a request on it sees what their request page
    shows: the people, the concerns and their own agency's request and answers — no referrer, no
    other agencies. Anyone else, or a referral that does not exist: 404. The view is audited."""
    page = selectors.referral_page(user=request.auth, reference=reference)
    return presenters.referral_page(page)


@router.post(
    "/referrals/{mashref:reference}/triage",
    response=responses({200: TriageOut}, 400, 403, 404, 409, 413, 422),
    url_name="referral-triage",
    operation_id="referral_triage",
    summary="Rate (or re-rate) a referral and ask agencies",
)
def referral_triage(request, reference: str, payload: TriageIn):
    """MASH managers only: a practitioner or an asked agency's representative gets 403; anyone who
    cannot see the referral gets 404. Without `agencies`, every active agency is asked. Re-rating
    moves the due time of unanswered requests to the new rating's clock. A decided referral: 409."""
    referral = selectors.referral_for_action(user=request.auth, reference=reference)
    referral = services.referral_triage(
        user=request.auth, referral=referral, rating=payload.rating, rationale=payload.rationale,
        agency_codes=list(payload.agencies) if payload.agencies is not None else None, team_code=payload.team,
    )
    asked = sorted(selectors.agencies_asked(referral=referral).values(), key=lambda r: (r.agency.sort_order, r.agency.name))
    return {
        "reference": referral.reference,
        "status": referral.status,
        "rating": referral.rating,
        "rated_at": iso(referral.rated_at),
        "strategy_discussion_required_at": iso(referral.strategy_discussion_required_at),
        "decision_due_at": iso(referral.decision_due_at),
        "team": referral.team.code if referral.team_id else None,
        "information_requests": [presenters.request_summary(r) for r in asked],
    }


@router.post(
    "/referrals/{mashref:reference}/decision",
    response=responses({201: DecisionOut}, 400, 403, 404, 409, 413, 422),
    url_name="referral-decision",
    operation_id="referral_decide",
    summary="Record the decision for each child",
)
def referral_decide(request, reference: str, payload: DecisionIn):
    """MASH managers only (403 / 404 as for triage). One outcome per child on the referral;
    `early_decision_reason` is required while any agency has not answered, and their requests close
    as not needed. Deciding twice, or before the referral is rated: 409."""
    referral = selectors.referral_for_action(user=request.auth, reference=reference)
    data = DecisionInput(
        outcomes={c.person_id: c.outcome for c in payload.children},
        rationale=payload.rationale,
        threshold_level=payload.threshold_level,
        early_decision_reason=payload.early_decision_reason,
        referrer_informed=payload.referrer_informed,
        referrer_informed_method=payload.referrer_informed_method or "",
        referrer_informed_notes=payload.referrer_informed_notes,
    )
    with request_paths(partial(_decision_paths, payload, referral)):
        decision = services.decision_record(user=request.auth, referral=referral, data=data)
    return Status(201, presenters.decision(decision, data.outcomes, decision.referral))
