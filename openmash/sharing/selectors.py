"""Reads for consent, overrides and the sharing log. Every read of case data here is audited."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from openmash.access.policy import (
    access_referral,
    can_search_sharing_log,
    is_hub_staff,
    is_ig_officer,
    is_manager,
    referrals_visible_to,
    require,
)
from openmash.audit.services import audit_record
from openmash.core.errors import NotFound
from openmash.sharing.codes import OverrideStatus
from openmash.sharing.models import ConsentEntry, ConsentOverride, LawfulBasis, OutcomeLetter, ReferrerRelease, SharingEvent
from openmash.sharing.rules import merged_records_now, sharing_cover

LOG_PAGE = 100
EXPORT_MAX = 50_000


def lawful_bases(*, active_only: bool = True) -> list[LawfulBasis]:
    qs = LawfulBasis.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("sort_order", "code"))


def lawful_basis_for_edit(*, code: str) -> LawfulBasis:
    basis = LawfulBasis.objects.filter(code=code).first() if isinstance(code, str) and len(code) <= 40 else None
    if basis is None:
        raise NotFound("No such lawful basis")
    return basis


@dataclass
class PersonConsent:
    person_id: int
    name: str
    kind: str  # child / adult
    history: list[ConsentEntry]  # oldest first

    @property
    def current(self) -> ConsentEntry | None:
        return self.history[-1] if self.history else None


@dataclass
class SharingPage:
    referral: object
    people: list[PersonConsent]
    overrides: list[ConsentOverride]
    events: list[SharingEvent]
    releases: list[ReferrerRelease]
    letters: list[OutcomeLetter]
    status: "SharingStatus"
    can_authorise: bool = False
    can_release: bool = False
    can_write_letter: bool = False

    @property
    def live_override(self) -> ConsentOverride | None:
        return self.status.override or self.status.pending_override


def _people_consent(referral) -> list[PersonConsent]:
    """Everyone on the referral, children first, each with their consent history (oldest first)."""
    links = sorted(referral.people.select_related("person"), key=lambda link: (link.kind != "child", link.position))
    entries: dict[int, list[ConsentEntry]] = {}
    rows = list(ConsentEntry.objects.filter(referral=referral).select_related("recorded_by").order_by("recorded_at", "id"))
    now_in = merged_records_now({e.person_id for e in rows} - {link.person_id for link in links})  # after a merge (ADR 0013)
    for entry in rows:
        entries.setdefault(now_in.get(entry.person_id, entry.person_id), []).append(entry)
    return [
        PersonConsent(link.person_id, f"{link.person.given_name} {link.person.family_name}", link.kind, entries.get(link.person_id, []))
        for link in links
    ]


def sharing_page(*, user, reference: str) -> SharingPage:
    """The referral's Sharing tab: consent history per person, overrides, releases, letters and log.
    Hub staff only (agency representatives work from their request); audited as a view."""
    require(is_hub_staff(user), "Only hub staff can see a referral's sharing record")
    referral = access_referral(user=user, reference=reference)
    status = sharing_status(referral=referral)
    page = SharingPage(
        referral=referral,
        people=_people_consent(referral),
        overrides=list(
            ConsentOverride.objects.filter(referral=referral).select_related("proposed_by", "decided_by").prefetch_related("bases").order_by("-proposed_at", "-id")
        ),
        events=list(
            SharingEvent.objects.filter(referral=referral).select_related("to_agency", "from_agency").order_by("-occurred_at", "-id")
        ),
        releases=list(ReferrerRelease.objects.filter(referral=referral).select_related("agency", "released_by")),
        letters=list(OutcomeLetter.objects.filter(referral=referral).select_related("created_by").order_by("-created_at")),
        status=status,
        can_authorise=is_manager(user),
        can_release=is_manager(user) and bool(status.asked) and not referral.referrer_anonymous,
        can_write_letter=is_manager(user) and not referral.is_open and not referral.referrer_anonymous,
    )
    audit_record(
        user=user, action="sharing.view", object_type="referral", object_id=referral.pk, referral_reference=referral.reference
    )
    return page


def override_for_action(*, user, override_id) -> ConsentOverride:
    """An override on a referral the user can see (the service checks what their role may do)."""
    try:
        override_id = int(override_id)
    except (TypeError, ValueError):
        raise NotFound("No such override") from None
    if not 0 < override_id < 2**63:
        raise NotFound("No such override")
    override = (
        ConsentOverride.objects.select_related("referral", "proposed_by")
        .filter(pk=override_id, referral__in=referrals_visible_to(user))
        .first()
    )
    if override is None or not is_hub_staff(user):
        raise NotFound("No such override that you can see")
    return override


def override_with_details(*, user, override_id) -> ConsentOverride:
    """An override with what showing it needs (its referral, who proposed and decided it, its bases),
    for a caller who has just proposed, authorised or rejected it. Hub staff, on a referral they can
    see. Not audited as a view: the write it follows is."""
    try:
        override_id = int(override_id)
    except (TypeError, ValueError):
        raise NotFound("No such override") from None
    override = None
    if is_hub_staff(user) and 0 < override_id < 2**63:
        override = (
            ConsentOverride.objects.select_related("referral", "proposed_by", "decided_by")
            .prefetch_related("bases")
            .filter(pk=override_id, referral__in=referrals_visible_to(user))
            .first()
        )
    if override is None:
        raise NotFound("No such override that you can see")
    return override


def letter_for_view(*, user, reference: str, letter_id) -> OutcomeLetter:
    require(is_hub_staff(user), "Only hub staff can see outcome letters")
    referral = access_referral(user=user, reference=reference)
    try:
        letter_id = int(letter_id)
    except (TypeError, ValueError):
        raise NotFound("No such letter") from None
    letter = OutcomeLetter.objects.filter(referral=referral, pk=letter_id).select_related("created_by").first() if 0 < letter_id < 2**63 else None
    if letter is None:
        raise NotFound("No such letter")
    audit_record(
        user=user, action="outcome_letter.view", object_type="outcome_letter", object_id=letter.pk,
        referral_reference=referral.reference,
    )
    return letter


def referral_sharing_log(*, user, reference: str) -> tuple[object, list[SharingEvent]]:
    """One referral's log (for the API): hub staff, or information governance."""
    if is_ig_officer(user):
        from openmash.referrals.models import Referral

        referral = Referral.objects.filter(reference=reference).first() if isinstance(reference, str) and len(reference) <= 32 else None
        if referral is None:
            raise NotFound(f"No referral {reference}")
    else:
        require(is_hub_staff(user), "Only hub staff and information governance can read the sharing log")
        referral = access_referral(user=user, reference=reference)
    events = list(
        SharingEvent.objects.filter(referral=referral).select_related("to_agency", "from_agency", "referral").prefetch_related("subjects").order_by("occurred_at", "id")
    )
    audit_record(
        user=user, action="sharing_log.view", object_type="referral", object_id=referral.pk,
        referral_reference=referral.reference, details={"count": len(events)},
    )
    return referral, events


@dataclass
class LogQuery:
    agency: str = ""  # code: shared with, or shared by, this agency
    basis: str = ""  # a lawful-basis code, or "consent"
    person: str = ""  # a person's name (any part) or id: events about them
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reference: str = ""


def _log_queryset(query: LogQuery) -> QuerySet[SharingEvent]:
    from openmash.core import clock

    qs = SharingEvent.objects.all()
    if query.agency:
        qs = qs.filter(Q(to_agency__code=query.agency) | Q(from_agency__code=query.agency))
    if query.basis == "consent":
        qs = qs.filter(basis_kind="consent")
    elif query.basis:
        # JSON containment differs between SQLite and PostgreSQL; an override's bases are relational.
        qs = qs.filter(override__bases__code=query.basis)
    if query.person:
        term = query.person.strip()
        if term.isdigit():
            qs = qs.filter(subjects__id=int(term))
        else:
            for part in term.split()[:4]:
                qs = qs.filter(Q(subjects__given_name__icontains=part) | Q(subjects__family_name__icontains=part))
    if query.reference:
        qs = qs.filter(referral__reference__iexact=query.reference.strip())
    if query.date_from:
        qs = qs.filter(occurred_at__gte=clock.local_midnight(query.date_from))
    if query.date_to:
        qs = qs.filter(occurred_at__lt=clock.local_midnight(query.date_to + dt.timedelta(days=1)))
    return qs.distinct()


def sharing_log_search(*, user, query: LogQuery, page: int = 1, export: bool = False) -> tuple[list[SharingEvent], int]:
    """Search the log across referrals (information governance). Returns (events, total).

    A page holds LOG_PAGE events, newest first; an export holds every match (up to EXPORT_MAX).
    Audited with the query, so a search is itself on record.
    """
    require(can_search_sharing_log(user), "Only information governance and MASH managers can search the sharing log")
    qs = _log_queryset(query)
    total = qs.count()
    ordered = qs.select_related("referral", "to_agency", "from_agency", "override").prefetch_related("subjects", "override__bases").order_by("-occurred_at", "-id")
    if export:
        rows = list(ordered[:EXPORT_MAX])
    else:
        page = max(1, page)
        rows = list(ordered[(page - 1) * LOG_PAGE : page * LOG_PAGE])
    audit_record(
        user=user, action="sharing_log.export" if export else "sharing_log.search", object_type="sharing_log",
        details={
            "agency": query.agency, "basis": query.basis, "person": query.person, "reference": query.reference,
            "from": query.date_from.isoformat() if query.date_from else "", "to": query.date_to.isoformat() if query.date_to else "",
            "count": len(rows), "total": total,
        },
    )
    return rows, total


def override_report(*, user, self_authorised_only: bool = False, limit: int = 500) -> list[ConsentOverride]:
    """Overrides across referrals for information governance; self-authorised ones are flagged."""
    require(can_search_sharing_log(user), "Only information governance and MASH managers can see the override report")
    qs = ConsentOverride.objects.select_related("referral", "proposed_by", "decided_by").prefetch_related("bases")
    if self_authorised_only:
        qs = qs.filter(self_authorised=True)
    rows = list(qs.order_by("-proposed_at", "-id")[:limit])
    audit_record(
        user=user, action="override.report", object_type="consent_override",
        details={"self_authorised_only": self_authorised_only, "count": len(rows)},
    )
    return rows


def pending_overrides(*, user, limit: int = 50) -> list[ConsentOverride]:
    """Overrides waiting for a MASH manager (the manager's worklist)."""
    if not is_manager(user):
        return []
    return list(
        ConsentOverride.objects.filter(status=OverrideStatus.PROPOSED).select_related("referral", "proposed_by").order_by("proposed_at")[:limit]
    )


# ------------------------------------------------------------------ for the pages (issue 4 pages)


@dataclass
class AgencyCover:
    code: str
    name: str
    people: list[str]  # whose consent does not cover this agency


@dataclass
class SharingStatus:
    """Whether information about a referral can go to agencies now, in words a page can show.

    Read-only and not audited: it is shown on pages that have already audited the view of the referral.
    """

    override: ConsentOverride | None  # authorised
    pending_override: ConsentOverride | None  # waiting for a MASH manager
    checked: list[tuple[str, str]]  # (code, name) of the agencies considered
    not_covered: list[AgencyCover]
    asked: list[tuple[str, str]]  # (code, name) of the agencies already asked
    sent_before_override: int  # Urgent requests that still need an authorised override
    is_open: bool

    @property
    def can_share(self) -> bool:
        return self.override is not None or not self.not_covered

    @property
    def people_not_covering(self) -> list[str]:
        return sorted({name for cover in self.not_covered for name in cover.people})

    @property
    def not_covered_codes(self) -> set[str]:
        return {cover.code for cover in self.not_covered}


def sharing_status(*, referral, agency_codes=None) -> SharingStatus:
    """Cover for `agency_codes`; by default the agencies asked, or every active agency when none has been."""
    from openmash.agencies.models import Agency
    from openmash.information_requests.codes import SentUnder

    asked_requests = list(referral.requests.select_related("agency").order_by("agency__sort_order", "agency__name"))
    asked = [(r.agency.code, r.agency.name) for r in asked_requests]
    if agency_codes is None:
        codes = [code for code, _ in asked] or list(
            Agency.objects.filter(active=True).order_by("sort_order", "name").values_list("code", flat=True)
        )
    else:
        codes = list(agency_codes)
    names = dict(Agency.objects.filter(code__in=codes).values_list("code", "name"))
    cover = sharing_cover(referral=referral, agency_codes=codes)
    return SharingStatus(
        override=cover.override,
        pending_override=cover.pending_override,
        checked=[(c, names.get(c, c)) for c in codes],
        not_covered=[AgencyCover(c, names.get(c, c), sorted(cover.uncovered[c])) for c in codes if c in cover.uncovered],
        asked=asked,
        sent_before_override=0 if cover.override else sum(1 for r in asked_requests if r.sent_under == SentUnder.URGENT),
        is_open=referral.is_open,
    )


@dataclass
class SharingForm:
    """What the consent, override and release forms show about a referral."""

    referral: object
    people: list[PersonConsent]  # children first, then adults
    status: SharingStatus
    agencies: list[tuple[str, str]]  # (code, name) of every active agency, for the consent scope
    released: set[str]  # codes of agencies the referrer's identity has been released to


def sharing_form(*, user, reference: str, page: str) -> SharingForm:
    """The referral as a sharing form needs it (hub staff only). It names the people on the referral,
    so it is audited as a view, with the page it was for."""
    from openmash.agencies.models import Agency

    require(is_hub_staff(user), "Only hub staff can record consent or propose an override")
    referral = access_referral(user=user, reference=reference)
    audit_record(
        user=user, action="sharing.view", object_type="referral", object_id=referral.pk,
        referral_reference=referral.reference, details={"page": page},
    )
    return SharingForm(
        referral=referral,
        people=_people_consent(referral),
        status=sharing_status(referral=referral),
        agencies=list(Agency.objects.filter(active=True).order_by("sort_order", "name").values_list("code", "name")),
        released=set(ReferrerRelease.objects.filter(referral=referral).values_list("agency__code", flat=True)),
    )


def override_for_page(*, user, reference: str, override_id) -> ConsentOverride:
    """An override for the authorise and reject pages: it must belong to the referral in the address
    (any other is not found). Audited as a view, since it shows the reason given."""
    override = override_for_action(user=user, override_id=override_id)
    if override.referral.reference != reference:
        raise NotFound("No such override on this referral")
    audit_record(
        user=user, action="sharing.view", object_type="consent_override", object_id=override.pk,
        referral_reference=override.referral.reference, details={"page": "override decision"},
    )
    return override


@dataclass
class RestrictedAnswer:
    agency: str
    restriction: str  # its label; the answer itself is never passed to the page


@dataclass
class LetterChoices:
    """What the outcome letter may draw on: only unrestricted "information held" answers are offered."""

    referral: object
    recipient: str
    offered: list  # InformationAnswer (latest version, unrestricted, information held)
    restricted: list[RestrictedAnswer]
    not_offered: list[tuple[str, str]]  # (agency, outcome label): not known / declined: nothing to pass on


def letter_choices(*, user, reference: str) -> LetterChoices:
    """The outcome letter form (MASH manager): the latest answers sorted into what may be offered.
    Audited as a view: it shows agencies' summaries."""
    from openmash.information_requests.codes import AnswerOutcome, Restriction
    from openmash.sharing import letters

    require(is_hub_staff(user), "Only hub staff can write to the referrer")
    referral = access_referral(user=user, reference=reference)
    require(is_manager(user), "Only a MASH manager can send outcome feedback to the referrer")
    offered, restricted, not_offered = [], [], []
    for answer in letters.latest_answers(referral=referral):
        if answer.restriction != Restriction.NONE:
            restricted.append(RestrictedAnswer(answer.request.agency.name, Restriction(answer.restriction).label))
        elif answer.outcome == AnswerOutcome.HELD:
            offered.append(answer)
        else:
            not_offered.append((answer.request.agency.name, AnswerOutcome(answer.outcome).label))
    audit_record(
        user=user, action="sharing.view", object_type="referral", object_id=referral.pk,
        referral_reference=referral.reference, details={"page": "outcome letter"},
    )
    return LetterChoices(
        referral=referral, recipient="" if referral.referrer_anonymous else letters.recipient_line(referral),
        offered=offered, restricted=restricted, not_offered=not_offered,
    )
