"""Turn what selectors and services return into response bodies. No queries of their own: everything
used here was loaded (or prefetched) by the selector that produced it."""

from openmash.core import clock
from openmash.core.formatting import iso


def _display(user) -> str:
    return user.display_name if user is not None else ""


def address(person) -> dict | None:
    current = getattr(person, "current_addresses", None)
    if not current:
        return None
    a = current[0]
    return {"line_1": a.line_1, "line_2": a.line_2, "town": a.town, "postcode": a.postcode}


def _person_fields(person) -> dict:
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "other_names": [str(n) for n in person.other_names.all()],  # prefetched by the selector
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "sex": person.sex,
        "ethnicity": person.ethnicity,
        "nhs_number": person.nhs_number,
        "upn": person.upn,
        "address": address(person),
    }


def person(p) -> dict:
    return {"person_id": p.pk, **_person_fields(p)}


def person_found(candidate) -> dict:
    """A search candidate (people.search.Candidate): the person, why they matched, their household."""
    p = candidate.person
    fields = _person_fields(p)
    return {
        "id": p.pk,
        "source_ids": list(candidate.source_ids),
        **fields,
        "postcode": fields["address"]["postcode"] if fields["address"] else "",
        "score": round(candidate.score, 2),
        "probability": round(candidate.probability, 6),
        "band": candidate.band,
        "identifier_match": candidate.identifier_match,
        "reasons": [
            {"field": f.field, "outcome": f.outcome, "detail": f.detail, "reason": f.reason, "weight": round(f.weight, 2)}
            for f in candidate.comparison.fields
        ],
        "household": [
            {
                "id": m.person_id,
                "given_name": m.given_name,
                "family_name": m.family_name,
                "date_of_birth": m.date_of_birth.isoformat() if m.date_of_birth else None,
                "age": m.age,
                "sex": m.sex,
                "link": m.link,
                "same_date_of_birth": m.same_date_of_birth,
                "differences": list(m.differences),
                "note": m.note,
            }
            for m in candidate.household
        ],
    }


def household(h) -> tuple[list[dict], list[dict]]:
    children = [person(c) for c in h.children]
    adults = []
    for adult in h.adults:
        relationships = [
            {
                "child": position,
                "child_person_id": child.pk,
                "kind": rel.kind,
                "parental_responsibility": rel.parental_responsibility,
            }
            for position, child in enumerate(h.children)
            for rel in h.relationships_of(adult, child)
        ]
        adults.append({**person(adult), "relationships": relationships})
    return children, adults


def concern_codes(concerns) -> list[str]:
    return [c.value for c in concerns]


def involvement(i) -> dict:
    return {
        "id": i.pk,
        "child": i.person_id,
        "role": i.role,
        "practitioner_name": i.practitioner_name,
        "service": i.service,
        "practitioner_contact": i.practitioner_contact,
        "start_date": i.start_date.isoformat() if i.start_date else None,
        "end_date": i.end_date.isoformat() if i.end_date else None,
        "is_lead": i.is_lead,
        "in_force": i.replaced_by_id is None,
    }


def answer(a) -> dict:
    # A new answer carries what it named (set by the service); one read back has them prefetched.
    named = getattr(a, "named_involvements", None)
    return {
        "version": a.version,
        "outcome": a.outcome,
        "summary": a.summary,
        "detail": a.detail,
        "systems_checked": a.systems_checked,
        "restriction": a.restriction,
        "decline_reason": a.decline_reason,
        "correction_reason": a.correction_reason,
        "answered_by": _display(a.answered_by),
        "answered_at": iso(a.answered_at),
        "late": a.late,
        "involvements": [involvement(i) for i in (named if named is not None else a.involvements.all())],
    }


def request_summary(r, *, at=None) -> dict:
    return {
        "id": r.pk,
        "agency": {"code": r.agency.code, "name": r.agency.name},
        "status": r.status,
        "requested_at": iso(r.requested_at),
        "due_at": iso(r.due_at),
        "answered_at": iso(r.answered_at),
        "closed_at": iso(r.closed_at),
        "late": r.late,
        "overdue": r.overdue_at(at or clock.now()),
    }


def request_with_answers(r, answers, hidden: int) -> dict:
    return {**request_summary(r), "answers": [answer(a) for a in answers], "restricted_answers_hidden": hidden}


def request_list_item(r) -> dict:
    referral = r.referral
    return {
        **request_summary(r),
        "referral": {"reference": referral.reference, "rating": referral.rating or None, "status": referral.status},
    }


def decision(d, outcomes: dict[int, str], referral) -> dict:
    return {
        "reference": referral.reference,
        "decided_at": iso(d.decided_at),
        "decided_by": _display(d.decided_by),
        "rationale": d.rationale,
        "threshold_level": d.threshold_level,
        "early_decision_reason": d.early_decision_reason,
        "referrer_informed": d.referrer_informed,
        "referrer_informed_method": d.referrer_informed_method,
        "referrer_informed_notes": d.referrer_informed_notes,
        "outcomes": [{"person_id": pid, "outcome": outcome} for pid, outcome in outcomes.items()],
        "minutes_from_receipt": int((d.decided_at - referral.received_at).total_seconds() // 60),
    }


def referrer(r) -> dict:
    return {
        "anonymous": r.referrer_anonymous,
        "name": r.referrer_name,
        "role": r.referrer_role,
        "organisation": r.referrer_organisation,
        "phone": r.referrer_phone,
        "email": r.referrer_email,
    }


def referral_page(page) -> dict:
    """A `referrals.selectors.ReferralPage` as the caller may see it."""
    r = page.referral
    children, adults = household(page.household)
    body = {
        "reference": r.reference,
        "status": r.status,
        "rating": r.rating or None,
        "received_at": iso(r.received_at),
        "recorded_at": iso(r.created_at),
        "rated_at": iso(r.rated_at),
        "decision_due_at": iso(r.decision_due_at),
        "decided_at": iso(r.decided_at),
        "strategy_discussion_required_at": iso(r.strategy_discussion_required_at),
        "source": r.source,
        "children": children,
        "adults": adults,
        "concern_categories": concern_codes(page.concerns),
        "concern_narrative": r.concern_narrative,
        "information_requests": [request_with_answers(v.request, v.answers, v.hidden_answers) for v in page.requests],
    }
    if page.view_as_agency:
        # What the agency's request page shows, and no more (docs/adr/0004-access.md).
        return body
    body.update(
        referrer=referrer(r),
        family_informed=r.family_informed,
        family_informed_notes=r.family_informed_notes,
        consent=r.consent,
        consent_notes=r.consent_notes,
        rating_history=[
            {
                "rating": c.rating,
                "previous_rating": c.previous_rating,
                "rationale": c.rationale,
                "changed_by": _display(c.changed_by),
                "changed_at": iso(c.changed_at),
            }
            for c in page.rating_changes
        ],
        decision=decision(page.decision, {pid: o.outcome for pid, o in page.outcomes.items()}, r) if page.decision else None,
        chronology=[{"at": iso(e.at), "what": e.what, "who": e.who, "detail": e.detail} for e in page.chronology],
    )
    return body


def request_page(page) -> dict:
    """An `information_requests.selectors.RequestPage`: what an agency needs to search its systems."""
    q = page.request
    r = q.referral
    children, adults = household(page.household)
    body = {
        **request_summary(q),
        "answers": [answer(a) for a in page.answers],
        "restricted_answers_hidden": page.hidden_answers,
        "can_answer": page.can_answer,
        "referral": {
            "reference": r.reference,
            "rating": r.rating or None,
            "status": r.status,
            "received_at": iso(r.received_at),
            "children": children,
            "adults": adults,
            "concern_categories": concern_codes(page.concerns),
            "concern_narrative": r.concern_narrative,
        },
    }
    if page.referrer_released:
        # A MASH manager has released who made the referral to this agency; otherwise it is absent.
        body["referrer"] = referrer(r)
    return body


def board_rows(view) -> list[dict]:
    """A wall board's rows (`board.selectors.BoardView`): references, initials and ages, clocks, ticks."""
    return [
        {
            "reference": row.reference,
            "initials": row.initials,
            "rating": row.rating or None,
            "status": str(row.status),
            "decision_due_at": iso(row.decision_due_at),
            "countdown_due_at": iso(row.countdown_due_at),
            "overdue": row.overdue,
            "items": [{"agency": i.agency_code, "status": i.status, "due_at": iso(i.due_at)} for i in row.items],
        }
        for row in view.rows
    ]


# ------------------------------------------------------------------ consent, overrides, the sharing log


def consent_entry(e) -> dict:
    return {
        "id": e.pk,
        "person_id": e.person_id,
        "family_informed": e.family_informed,
        "sought": e.sought,
        "not_sought_reason": e.not_sought_reason,
        "outcome": e.outcome,
        "given_by": e.given_by,
        "given_by_name": e.given_by_name,
        "obtained_at": iso(e.obtained_at),
        "method": e.method,
        "scope_all_agencies": e.scope_all_agencies,
        "scope_agencies": list(e.scope_agencies or []),
        "scope_information": e.scope_information,
        "notes": e.notes,
        "recorded_by": _display(e.recorded_by),
        "recorded_at": iso(e.recorded_at),
    }


def lawful_basis(b) -> dict:
    return {"code": b.code, "label": b.label, "category": b.category, "active": b.active}


def override(o) -> dict:
    """A `ConsentOverride` loaded by `sharing.selectors.override_with_details` (referral, people, bases)."""
    return {
        "id": o.pk,
        "reference": o.referral.reference,
        "status": o.status,
        "lawful_basis": [{"code": b.code, "label": b.label} for b in o.bases.all()],
        "reason": o.reason,
        "proposed_by": _display(o.proposed_by),
        "proposed_at": iso(o.proposed_at),
        "decided_by": _display(o.decided_by) or None,
        "decided_at": iso(o.decided_at),
        "decision_reason": o.decision_reason,
        "self_authorised": o.self_authorised,
    }


def sharing_event(e) -> dict:
    """One `SharingEvent`: what it names was shared or withheld, never the information itself."""
    return {
        "id": e.pk,
        "occurred_at": iso(e.occurred_at),
        "kind": e.kind,
        "decision": e.decision,
        "from": e.from_party,
        "from_agency": e.from_agency.code if e.from_agency else None,
        "to": e.to_party,
        "to_agency": e.to_agency.code if e.to_agency else None,
        "items": [str(i) for i in e.items or []],
        "what": e.what,
        "withheld": e.withheld,
        "why": e.why,
        "basis_kind": e.basis_kind,
        "basis_codes": [str(c) for c in e.basis_codes or []],
        "channel": e.channel,
        "referrer_identity_protected": e.referrer_identity_protected,
        "subjects": sorted(p.pk for p in e.subjects.all()),  # prefetched by the selector
        "actor": {"name": e.actor_name, "role": e.actor_role, "agency": e.actor_agency or None},
    }


def sharing_log(referral, events) -> dict:
    return {"reference": referral.reference, "events": [sharing_event(e) for e in events]}
