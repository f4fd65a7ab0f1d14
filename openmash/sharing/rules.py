"""Does consent, or an override, cover sharing a referral with an agency? (Read-only; no audit.)

The rule (docs/adr/0011-consent-and-sharing.md):

1. An authorised override covers every agency for the whole referral.
2. Otherwise an agency is covered only when, for **every** person on the referral, their newest
   consent entry is "given" and its scope includes that agency. Anything else — no entry, consent
   refused, withdrawn, not sought, or scoped to other agencies — leaves it uncovered.
"""

from dataclasses import dataclass, field

from openmash.information_requests.codes import SentUnder
from openmash.sharing.codes import OverrideStatus
from openmash.sharing.models import ConsentEntry, ConsentOverride


@dataclass
class Cover:
    override: ConsentOverride | None
    current: dict[int, ConsentEntry | None]  # person id → their newest consent entry (None: none yet)
    names: dict[int, str]  # person id → "Given Family"
    pending_override: ConsentOverride | None = None
    uncovered: dict[str, list[str]] = field(default_factory=dict)  # agency code → names not covering it

    def covers(self, agency_code: str) -> bool:
        if self.override is not None:
            return True
        return all(entry is not None and entry.covers(agency_code) for entry in self.current.values())

    def people_not_covering(self, agency_code: str) -> list[str]:
        return [self.names[pid] for pid, entry in self.current.items() if entry is None or not entry.covers(agency_code)]

    def sent_under(self, agency_code: str) -> str | None:
        """How a request to this agency would go out now: consent, override, or None (not covered)."""
        if self.override is not None:
            return SentUnder.OVERRIDE
        return SentUnder.CONSENT if self.covers(agency_code) else None


def current_consent(*, referral) -> tuple[dict[int, ConsentEntry | None], dict[int, str]]:
    links = list(referral.people.select_related("person").order_by("kind", "position"))
    names = {link.person_id: f"{link.person.given_name} {link.person.family_name}" for link in links}
    current: dict[int, ConsentEntry | None] = {pid: None for pid in names}
    entries = list(ConsentEntry.objects.filter(referral=referral).order_by("recorded_at", "id"))
    now_in = merged_records_now({e.person_id for e in entries} - set(current))
    for entry in entries:
        pid = now_in.get(entry.person_id, entry.person_id)
        if pid in current:
            current[pid] = entry
    return current, names


def merged_records_now(person_ids) -> dict[int, int]:
    """Consent entries are append-only: after a merge they still name the merged record, which
    redirects to the record now on the referral (ADR 0013)."""
    if not person_ids:
        return {}
    from openmash.people.merging import records_now

    return records_now(person_ids=person_ids)


def sharing_cover(*, referral, agency_codes=()) -> Cover:
    current, names = current_consent(referral=referral)
    live = {o.status: o for o in ConsentOverride.objects.filter(
        referral=referral, status__in=[OverrideStatus.AUTHORISED, OverrideStatus.PROPOSED]
    )}
    cover = Cover(
        override=live.get(OverrideStatus.AUTHORISED),
        current=current,
        names=names,
        pending_override=live.get(OverrideStatus.PROPOSED),
    )
    for code in agency_codes:
        if not cover.covers(code):
            cover.uncovered[code] = cover.people_not_covering(code)
    return cover
