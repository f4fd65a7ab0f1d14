"""Writes for people. Called from referral recording (inside its transaction) and, later, imports."""

import datetime as dt
from dataclasses import dataclass, field

from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.errors import Collector
from openmash.core.formatting import age_on
from openmash.people.codes import Ethnicity, Sex
from openmash.people.identifiers import clean_nhs_number, clean_postcode, clean_upn, normalise_name
from openmash.people.keystore import refresh_person_keys
from openmash.people.models import Address, Person, PersonName

NAME_MAX = 100
# The codes as sets once: `Sex.values` builds a new list on every use, and an import checks each row.
SEXES = frozenset(Sex.values)
ETHNICITIES = frozenset(Ethnicity.values)


@dataclass
class NewPerson:
    """What is known about a person not yet in the index. Validated by `new_person_validate`."""

    given_name: str = ""
    family_name: str = ""
    other_names: list[str] = field(default_factory=list)
    date_of_birth: dt.date | None = None
    sex: str = Sex.UNKNOWN
    ethnicity: str = Ethnicity.NOBT
    nhs_number: str = ""
    upn: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""


def _length(errors: Collector, prefix: str, name: str, value: str, limit: int, label: str):
    if len(value) > limit:
        errors.add(f"{prefix}{name}", f"{label} must be {limit} characters or fewer")


def new_person_validate(*, person: NewPerson, errors: Collector, prefix: str = "", as_child: bool, on: dt.date):
    """Check and normalise a new person in place, adding messages to `errors` under `prefix`.

    `as_child` applies the rules for a child the referral is about: under 18 on the day the hub
    received the referral. A blank date of birth is allowed (not known, or an unborn child).
    """
    person.given_name = (person.given_name or "").strip()
    person.family_name = (person.family_name or "").strip()
    if not person.given_name:
        errors.add(f"{prefix}given_name", "Enter a first name (or 'Unborn' for an unborn child)")
    if not person.family_name:
        errors.add(f"{prefix}family_name", "Enter a last name")
    _length(errors, prefix, "given_name", person.given_name, NAME_MAX, "First name")
    _length(errors, prefix, "family_name", person.family_name, NAME_MAX, "Last name")
    person.other_names = [n.strip() for n in person.other_names if n and n.strip()]
    if len(person.other_names) > 10:
        errors.add(f"{prefix}other_names", "Enter up to 10 other names")
    for other in person.other_names:
        if len(other) > 2 * NAME_MAX:
            errors.add(f"{prefix}other_names", f"Each other name must be {2 * NAME_MAX} characters or fewer")
            break
    if person.date_of_birth is not None:
        if person.date_of_birth > clock.local_today():
            errors.add(f"{prefix}date_of_birth", "Date of birth must be today or in the past")
        elif person.date_of_birth.year < 1900:
            errors.add(f"{prefix}date_of_birth", "Date of birth must be after 1900")
        elif as_child and age_on(person.date_of_birth, on) >= 18:
            errors.add(
                f"{prefix}date_of_birth",
                "A child must be under 18 on the day the referral was received; record an older person as an adult",
            )
    if person.sex not in SEXES:
        errors.add(f"{prefix}sex", "Select the person's sex, or 'Not known'")
    if person.ethnicity not in ETHNICITIES:
        errors.add(f"{prefix}ethnicity", "Select an ethnicity from the list, or 'Information not yet obtained'")
    for name, cleaner in (("nhs_number", clean_nhs_number), ("upn", clean_upn), ("postcode", clean_postcode)):
        try:
            setattr(person, name, cleaner(getattr(person, name)))
        except ValueError as exc:
            errors.add(f"{prefix}{name}", str(exc))
    for name, limit, label in (("address_line_1", 120, "Address line 1"), ("address_line_2", 120, "Address line 2"), ("town", 80, "Town or city")):
        setattr(person, name, (getattr(person, name) or "").strip())
        _length(errors, prefix, name, getattr(person, name), limit, label)
    if (person.address_line_2 or person.town) and not person.address_line_1:
        errors.add(f"{prefix}address_line_1", "Enter address line 1, or leave the whole address blank")


def person_create(*, user, data: NewPerson, referral_reference: str = "") -> Person:
    """Create a person from validated data. Call inside the caller's transaction."""
    person = Person(
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        ethnicity=data.ethnicity,
        nhs_number=data.nhs_number,
        upn=data.upn,
        created_by=user,
    )
    person.set_names(data.given_name, data.family_name)
    person.save()
    for other in data.other_names:
        # "Jay Smith-Ali" → Jay / Smith-Ali; a single word ("Jay") is a first name or nickname.
        given, _, family = other.rpartition(" ") if " " in other else (other, "", "")
        PersonName.objects.create(
            person=person,
            given_name=given,
            family_name=family,
            given_name_norm=normalise_name(given),
            family_name_norm=normalise_name(family),
        )
    if data.address_line_1 or data.postcode:
        Address.objects.create(
            person=person,
            line_1=data.address_line_1 or "(address not given)",
            line_2=data.address_line_2,
            town=data.town,
            postcode=data.postcode,
            created_by=user,
        )
    refresh_person_keys([person.pk])  # findable by search at once, in the same transaction
    audit_record(
        user=user,
        action="person.create",
        object_type="person",
        object_id=person.pk,
        referral_reference=referral_reference,
    )
    return person
