"""Consent, overrides (sharing without consent), the sharing log and the lawful-basis list — the same
selectors and services as the referral's Sharing tab."""

from functools import partial

from ninja import Query, Router, Status

from openmash.access.policy import is_hub_staff, is_ig_officer
from openmash.agencies.selectors import agencies_by_codes
from openmash.api import presenters
from openmash.api.problems import request_paths
from openmash.api.routes.common import reject_unknown_parameters, responses
from openmash.api.schemas import (
    ConsentIn,
    ConsentRecordedOut,
    LawfulBasesQuery,
    LawfulBasisOut,
    OverrideAuthoriseIn,
    OverrideIn,
    OverrideOut,
    OverrideRejectIn,
    SharingLogOut,
)
from openmash.core.errors import InvalidInput, NotFound
from openmash.people.selectors import referral_household
from openmash.referrals.selectors import referral_for_action
from openmash.sharing import selectors, services
from openmash.sharing.codes import ConsentOutcome, ConsentSought
from openmash.sharing.services import ConsentInput

router = Router(tags=["consent and sharing"])


# ------------------------------------------------------------------ consent


def _consent_shape_errors(payload: ConsentIn) -> dict[str, list[str]]:
    """Fields that contradict each other. The service would quietly ignore the ones that do not
    apply; a caller who sent them meant something, so they are refused rather than dropped."""
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if payload.person_id is None and payload.person_ids is None:
        add("person_id", "Give person_id, or person_ids for several people")
    elif payload.person_id is not None and payload.person_ids is not None:
        add("person_ids", "Give person_id or person_ids, not both")
    if payload.sought == ConsentSought.NO:
        for name in ("outcome", "given_by", "given_by_name", "obtained_at", "method"):
            if getattr(payload, name) not in (None, ""):
                add(name, "Leave this out: consent was not sought")
    elif payload.not_sought_reason:
        add("not_sought_reason", "Leave this out: consent was sought")
    if payload.sought == ConsentSought.NO or payload.outcome in (ConsentOutcome.REFUSED, ConsentOutcome.WITHDRAWN):
        for name in ("scope_agencies", "scope_information"):
            if getattr(payload, name):
                add(name, "Leave this out: the scope is recorded only for consent given")
    elif payload.outcome == ConsentOutcome.GIVEN and payload.scope_all_agencies and payload.scope_agencies:
        add("scope_agencies", "Set scope_all_agencies to false to limit the consent to these agencies")
    return errors


def _consent_paths(payload: ConsentIn, referral, key: str, message: str) -> list[tuple[str, str]]:
    """`consent_record` names the people `person_ids` (the body may have used `person_id`), and says
    only that some agency or person is not one it knows; name which."""
    if key == "scope_agencies" and payload.scope_agencies:
        _, unknown = agencies_by_codes(codes=list(payload.scope_agencies))
        return [
            (f"scope_agencies.{i}", "Unknown agency code")
            for i, code in enumerate(payload.scope_agencies)
            if code in unknown
        ] or [(key, message)]
    if key != "person_ids":
        return [(key, message)]
    if payload.person_ids is None:
        return [("person_id", message)]
    household = referral_household(referral=referral)
    on_referral = {p.pk for p in [*household.children, *household.adults]}
    return [
        (f"person_ids.{i}", "This person is not on this referral")
        for i, pid in enumerate(payload.person_ids)
        if pid not in on_referral
    ] or [("person_ids", message)]


@router.post(
    "/referrals/{mashref:reference}/consent",
    response=responses({201: ConsentRecordedOut}, 400, 403, 404, 413, 422),
    url_name="consent-record",
    operation_id="consent_record",
    summary="Record consent (or a change to it) for people on a referral",
)
def consent_record(request, reference: str, payload: ConsentIn):
    """Whether the family was told, whether consent to share was sought (if not, why not), and the
    outcome: given, refused or withdrawn — by whom, when, how, and (when given) for which agencies and
    what information. One new entry per person; an entry is never changed, so a change of mind is a
    new entry and the earlier ones stay as the person's history. The newest entry for every person
    decides whether consent covers an agency at triage.

    MASH managers and practitioners. An asked agency's representative: 403; anyone else, or a
    referral that does not exist: 404. Fields that do not apply to the answers given (an outcome when
    consent was not sought, agencies when it covers all) are refused, not ignored."""
    shape = _consent_shape_errors(payload)
    if shape:
        raise InvalidInput(next(iter(shape.values()))[0], errors=shape)
    referral = referral_for_action(user=request.auth, reference=reference)
    data = ConsentInput(
        person_ids=list(payload.person_ids) if payload.person_ids is not None else [payload.person_id],
        family_informed=payload.family_informed,
        sought=payload.sought,
        not_sought_reason=payload.not_sought_reason or "",
        outcome=payload.outcome or "",
        given_by=payload.given_by or "",
        given_by_name=payload.given_by_name,
        obtained_at=payload.obtained_at,
        method=payload.method or "",
        scope_all_agencies=payload.scope_all_agencies,
        scope_agencies=list(payload.scope_agencies),
        scope_information=payload.scope_information,
        notes=payload.notes,
    )
    with request_paths(partial(_consent_paths, payload, referral)):
        entries = services.consent_record(user=request.auth, referral=referral, data=data)
    return Status(201, {"reference": referral.reference, "entries": [presenters.consent_entry(e) for e in entries]})


# ------------------------------------------------------------------ overrides


def _basis_paths(payload: OverrideIn, key: str, message: str) -> list[tuple[str, str]]:
    """`override_propose` says only that a code is not on the list; name which ones, and why."""
    if key != "lawful_basis" or not payload.lawful_basis:
        return [(key, message)]
    listed = {b.code: b.active for b in selectors.lawful_bases(active_only=False)}
    out = []
    for i, code in enumerate(payload.lawful_basis):
        if code not in listed:
            out.append((f"lawful_basis.{i}", "Unknown lawful basis: choose a code from GET /api/v1/lawful-bases"))
        elif not listed[code]:
            out.append((f"lawful_basis.{i}", "This lawful basis has been retired: choose an active one"))
    return out or [(key, message)]


def _shown(request, override) -> dict:
    return presenters.override(selectors.override_with_details(user=request.auth, override_id=override.pk))


@router.post(
    "/referrals/{mashref:reference}/overrides",
    response=responses({201: OverrideOut}, 400, 403, 404, 409, 413, 422),
    url_name="override-propose",
    operation_id="override_propose",
    summary="Propose sharing without consent (an override)",
)
def override_propose(request, reference: str, payload: OverrideIn):
    """An override lets information requests go out without consent, on a lawful basis and with the
    reason in words. It is proposed here and does nothing until a MASH manager authorises it
    (`POST /overrides/{id}/authorise`).

    MASH managers and practitioners. An asked agency's representative: 403; anyone else, or a
    referral that does not exist: 404. One override at a time: while another is waiting or in force,
    or once the referral is decided, 409. `lawful_basis` takes codes of active entries from
    `GET /lawful-bases`."""
    referral = referral_for_action(user=request.auth, reference=reference)
    with request_paths(partial(_basis_paths, payload)):
        override = services.override_propose(
            user=request.auth, referral=referral, basis_codes=list(payload.lawful_basis), reason=payload.reason
        )
    return Status(201, _shown(request, override))


def _second_reason_paths(key: str, message: str) -> list[tuple[str, str]]:
    return [("reason" if key == "second_reason" else key, message)]


@router.post(
    "/overrides/{int:override_id}/authorise",
    response=responses({200: OverrideOut}, 400, 403, 404, 409, 413, 422),
    url_name="override-authorise",
    operation_id="override_authorise",
    summary="Authorise a proposed override (MASH managers)",
)
def override_authorise(request, override_id: int, payload: OverrideAuthoriseIn = None):
    """Two people: a practitioner proposes, a MASH manager authorises. A manager authorising their own
    proposal must give `reason`, a second reason that says something the first does not; the override
    is then marked `self_authorised` and flagged in the information-governance report.

    MASH managers only: a practitioner gets 403; anyone else, or an override that does not exist,
    404. An override already authorised or rejected: 409."""
    target = selectors.override_for_action(user=request.auth, override_id=override_id)
    with request_paths(_second_reason_paths):
        override = services.override_authorise(user=request.auth, override=target, second_reason=payload.reason if payload else "")
    return _shown(request, override)


@router.post(
    "/overrides/{int:override_id}/reject",
    response=responses({200: OverrideOut}, 400, 403, 404, 409, 413, 422),
    url_name="override-reject",
    operation_id="override_reject",
    summary="Reject a proposed override (MASH managers)",
)
def override_reject(request, override_id: int, payload: OverrideRejectIn):
    """With the reason. MASH managers only: a practitioner gets 403; anyone else, or an override that
    does not exist, 404. An override already authorised or rejected: 409. Once rejected, another can
    be proposed."""
    target = selectors.override_for_action(user=request.auth, override_id=override_id)
    override = services.override_reject(user=request.auth, override=target, reason=payload.reason)
    return _shown(request, override)


# ------------------------------------------------------------------ the sharing log


@router.get(
    "/referrals/{mashref:reference}/sharing-log",
    response=responses({200: SharingLogOut}, 404),
    by_alias=True,
    url_name="sharing-log",
    operation_id="sharing_log_get",
    summary="Every decision to share, or not to share, on a referral",
)
def sharing_log_get(request, reference: str):
    """Every disclosure — information requests sent, what agencies shared, referrer releases,
    outcome letters — and every decision not to share (a decline, a restriction, the referrer not
    told), oldest first: what (by name: fields and answer versions, never their contents), with whom,
    when, why and on which basis.

    MASH managers, practitioners and information governance officers. Anyone else, or a referral that
    does not exist: 404. The view is audited."""
    if not (is_hub_staff(request.auth) or is_ig_officer(request.auth)):
        raise NotFound(f"No referral {reference} that you can see")
    referral, events = selectors.referral_sharing_log(user=request.auth, reference=reference)
    return presenters.sharing_log(referral, events)


# ------------------------------------------------------------------ lawful bases


@router.get(
    "/lawful-bases",
    response=responses({200: list[LawfulBasisOut]}, 422),
    url_name="lawful-bases",
    operation_id="lawful_basis_list",
    summary="The lawful bases an override may rely on",
)
def lawful_basis_list(request, query: Query[LawfulBasesQuery]):
    """The list an administrator maintains, in its order: the codes `POST
    /referrals/{reference}/overrides` takes. Active entries only; `all=true` adds retired ones (which
    old overrides and the log may still name). Any signed-in caller."""
    reject_unknown_parameters(request, LawfulBasesQuery)
    return [presenters.lawful_basis(b) for b in selectors.lawful_bases(active_only=not query.all)]
