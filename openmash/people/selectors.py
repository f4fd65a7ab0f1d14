"""Reads for people: search, the person page, and the household named on a referral."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Prefetch

from openmash.access.policy import access_person, people_visible_to, referrals_visible_to
from openmash.audit.services import audit_record
from openmash.people.codes import Sex
from openmash.people.history import visible_involvements
from openmash.people.identifiers import clean_nhs_number, clean_postcode, clean_upn, normalise_name
from openmash.people.models import Address, Involvement, Person, Relationship

SEARCH_LIMIT_MAX = 50


@dataclass
class Household:
    children: list[Person]
    adults: list[Person]
    relationships: dict[tuple[int, int], list[Relationship]]  # (adult id, child id) → relationships

    def relationships_of(self, adult: Person, child: Person) -> list[Relationship]:
        return self.relationships.get((adult.pk, child.pk), [])


def referral_household(*, referral) -> Household:
    """The children and adults on a referral, with current addresses, other names and how they relate.
    Not access-checked: callers have already fetched the referral through `access_*`."""
    links = list(
        referral.people.select_related("person").prefetch_related(
            Prefetch("person__addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses"),
            "person__other_names",
        )
    )
    children = [link.person for link in links if link.kind == "child"]
    adults = [link.person for link in links if link.kind == "adult"]
    ids = [p.pk for p in children + adults]
    relationships: dict[tuple[int, int], list[Relationship]] = {}
    for rel in Relationship.objects.filter(adult_id__in=ids, child_id__in=ids):
        relationships.setdefault((rel.adult_id, rel.child_id), []).append(rel)
    return Household(children=children, adults=adults, relationships=relationships)


@dataclass
class SearchCriteria:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    postcode: str = ""
    nhs_number: str = ""
    sex: str = ""  # M, F; U or blank: not known
    address_line: str = ""
    upn: str = ""
    other_names: list[str] = field(default_factory=list)  # "Jay Smith-Ali", or a single first name

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.given_name, self.family_name, self.date_of_birth, self.postcode, self.nhs_number,
             self.address_line, self.upn, self.other_names)
        )


_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def _search_postcode(value: str) -> str:
    """A full postcode, or only its district ("SE15") or sector ("SE15 4") when that is all that is
    known: a search compares postcodes at every level."""
    raw = " ".join((value or "").upper().split())
    parts = raw.split(" ")
    if _OUTWARD.match(parts[0] or "-") and (len(parts) == 1 or (len(parts) == 2 and re.fullmatch(r"[0-9]", parts[1]))):
        return raw
    try:
        return clean_postcode(raw)
    except ValueError:
        raise ValueError("Enter a real postcode, like SE15 4AB, or its first part, like SE15") from None


def search_criteria_errors(*, criteria: SearchCriteria) -> dict[str, list[str]]:
    """Normalise the criteria in place; report identifiers that cannot be valid."""
    errors: dict[str, list[str]] = {}
    for name, cleaner in (("nhs_number", clean_nhs_number), ("postcode", _search_postcode), ("upn", clean_upn)):
        try:
            setattr(criteria, name, cleaner(getattr(criteria, name) or ""))
        except ValueError as exc:
            errors[name] = [str(exc)]
    for name in ("given_name", "family_name"):
        value = (getattr(criteria, name) or "").strip()
        if len(value) > 100:
            errors[name] = ["Names must be 100 characters or fewer"]
        elif value and not normalise_name(value):
            # Only punctuation: it would match everyone, which is never what was meant.
            errors[name] = ["Enter a name that includes at least one letter"]
        setattr(criteria, name, value)
    criteria.sex = (criteria.sex or "").strip().upper()
    if criteria.sex not in ("", *Sex.values):
        errors["sex"] = ["Sex must be M (male), F (female) or U (not known)"]
    criteria.address_line = " ".join((criteria.address_line or "").split())
    if len(criteria.address_line) > 120:
        errors["address_line"] = ["Address line must be 120 characters or fewer"]
    others = [" ".join(n.split()) for n in (criteria.other_names or []) if n and n.strip()]
    if len(others) > 10:
        errors["other_names"] = ["Enter up to 10 other names"]
    elif any(len(n) > 200 for n in others):
        errors["other_names"] = ["Each other name must be 200 characters or fewer"]
    elif any(not any(c.isalpha() for c in normalise_name(n)) for n in others):
        errors["other_names"] = ["Enter other names that include at least one letter"]
    criteria.other_names = others
    if criteria.is_empty and not errors:
        errors["family_name"] = ["Enter a name, date of birth, postcode or NHS number to search"]
    return errors


@dataclass
class PersonPage:
    person: Person
    addresses: list[Address]
    relationships_as_child: list[Relationship]
    relationships_as_adult: list[Relationship]
    involvements: list[Involvement]
    referrals: list  # (referral, kind) pairs the viewer may see


def person_page(*, user, person_id) -> PersonPage:
    person = access_person(user=user, person_id=person_id)
    visible = referrals_visible_to(user)
    links = (
        person.referral_links.filter(referral__in=visible).select_related("referral").order_by("-referral__received_at")
    )
    page = PersonPage(
        person=person,
        addresses=list(person.addresses.all()),
        relationships_as_child=list(person.relationships_as_child.select_related("adult")),
        relationships_as_adult=list(person.relationships_as_adult.select_related("child")),
        involvements=visible_involvements(user=user, rows=person.involvements.order_by("-is_lead", "agency__sort_order", "-start_date", "id"))[0],
        referrals=[(link.referral, link.get_kind_display()) for link in links],
    )
    audit_record(user=user, action="person.view", object_type="person", object_id=person.pk)
    return page


def people_by_ids(*, user, ids: list[int]) -> dict[int, Person]:
    """People the user may see, by id (used to show chosen people back while recording a referral)."""
    return people_visible_to(user).prefetch_related(
        Prefetch("addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses")
    ).in_bulk(ids)


def access_person_for_selection(*, user, person_id) -> Person:
    """A person chosen from search results to add to a referral (same visibility as search)."""
    return access_person(user=user, person_id=person_id)
