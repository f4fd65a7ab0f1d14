"""The referral being recorded, kept in the user's session between the pages of the form.

Nothing reaches the database until the practitioner confirms on the check-your-answers page, when
`referral_create` writes the whole referral in one transaction. The draft holds only JSON: dates as
ISO strings, people as `{"person_id": …}` or `{"new": {…}}`.
"""

import datetime as dt

from openmash.core.errors import InvalidInput
from openmash.core.forms import london_datetime
from openmash.people.services import NewPerson
from openmash.referrals.services import AdultEntry, PersonRef, ReferralInput, referral_validate

SESSION_KEY = "referral_draft"

# Which page of the form each service field belongs to, for showing errors on the right page.
STEP_OF_FIELD = {
    "received_at": "received",
    "source": "received",
    "referrer_anonymous": "referrer",
    "referrer_name": "referrer",
    "referrer_role": "referrer",
    "referrer_organisation": "referrer",
    "referrer_phone": "referrer",
    "referrer_email": "referrer",
    "children": "children",
    "adults": "adults",
    "concern_categories": "concerns",
    "concern_narrative": "concerns",
    "family_informed": "consent",
    "family_informed_notes": "consent",
    "consent": "consent",
    "consent_notes": "consent",
}


def step_of(field: str) -> str:
    return STEP_OF_FIELD.get(field) or STEP_OF_FIELD.get(field.split(".")[0], "check")


def get(session, user) -> dict:
    """The user's draft. A draft survives an idle sign-out (see accounts.middleware) but is never
    handed to a different user who signs in on the same browser."""
    draft = session.get(SESSION_KEY)
    if draft is None or draft.get("owner") != user.pk:
        draft = {"owner": user.pk, "children": [], "adults": []}
        session[SESSION_KEY] = draft
    return draft


def exists(session, user) -> bool:
    draft = session.get(SESSION_KEY)
    return bool(draft and draft.get("owner") == user.pk and len(draft) > 3)


def save(session, draft: dict):
    session[SESSION_KEY] = draft
    session.modified = True


def clear(session):
    session.pop(SESSION_KEY, None)


def new_person_to_json(person: NewPerson) -> dict:
    data = dict(person.__dict__)
    data["date_of_birth"] = person.date_of_birth.isoformat() if person.date_of_birth else None
    return data


def new_person_from_json(data: dict) -> NewPerson:
    values = dict(data)
    values["date_of_birth"] = dt.date.fromisoformat(values["date_of_birth"]) if values.get("date_of_birth") else None
    return NewPerson(**values)


def _person_ref(entry: dict) -> PersonRef:
    if entry.get("person_id") is not None:
        return PersonRef(person_id=int(entry["person_id"]))
    return PersonRef(new=new_person_from_json(entry["new"]))


def _pr(value):
    return {"yes": True, "no": False}.get(value)


def to_input(draft: dict) -> ReferralInput:
    received_at = None
    if draft.get("received_date") and draft.get("received_time"):
        received_at, _ = london_datetime(
            dt.date.fromisoformat(draft["received_date"]), dt.time.fromisoformat(draft["received_time"])
        )
    referrer = draft.get("referrer", {})
    return ReferralInput(
        received_at=received_at,
        source=draft.get("source", ""),
        referrer_anonymous=referrer.get("anonymous") == "yes",
        referrer_name=referrer.get("referrer_name", ""),
        referrer_role=referrer.get("referrer_role", ""),
        referrer_organisation=referrer.get("referrer_organisation", ""),
        referrer_phone=referrer.get("referrer_phone", ""),
        referrer_email=referrer.get("referrer_email", ""),
        children=[_person_ref(c) for c in draft.get("children", [])],
        adults=[
            AdultEntry(
                person=_person_ref(a["person"]),
                relationships={int(k): v for k, v in a.get("relationships", {}).items()},
                parental_responsibility={int(k): _pr(v) for k, v in a.get("parental_responsibility", {}).items()},
            )
            for a in draft.get("adults", [])
        ],
        concern_categories=draft.get("concern_categories", []),
        concern_narrative=draft.get("concern_narrative", ""),
        family_informed=draft.get("family_informed", ""),
        family_informed_notes=draft.get("family_informed_notes", ""),
        consent=draft.get("consent", ""),
        consent_notes=draft.get("consent_notes", ""),
    )


def errors_for_step(draft: dict, step: str) -> dict[str, list[str]]:
    """The service's verdict on the draft so far, limited to one page's fields."""
    try:
        referral_validate(data=to_input(draft))
    except InvalidInput as exc:
        return {k: v for k, v in exc.errors.items() if step_of(k) == step}
    return {}


def all_errors(draft: dict) -> dict[str, list[str]]:
    try:
        referral_validate(data=to_input(draft))
    except InvalidInput as exc:
        return exc.errors
    return {}
