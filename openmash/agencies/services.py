from django.db import transaction

from openmash.access.policy import is_administrator, require
from openmash.agencies.models import Agency, agency_code_validator
from openmash.audit.services import audit_record
from openmash.core.errors import Collector


def _validate(*, name, duty_inbox_email, sort_order, errors: Collector, existing: Agency | None):
    if not name:
        errors.add("name", "Enter the agency's name")
    elif len(name) > 120:
        errors.add("name", "Name must be 120 characters or fewer")
    elif Agency.objects.filter(name__iexact=name).exclude(pk=getattr(existing, "pk", None)).exists():
        errors.add("name", "Another agency already has this name")
    if duty_inbox_email and ("@" not in duty_inbox_email or len(duty_inbox_email) > 254 or " " in duty_inbox_email):
        errors.add("duty_inbox_email", "Enter an email address in the correct format, like mash@police.example.gov.uk")
    if sort_order is not None and not 0 <= sort_order <= 32767:
        errors.add("sort_order", "Position must be between 0 and 32767")


def agency_create(*, user, code: str, name: str, duty_inbox_email: str = "", sort_order: int | None = None, active: bool = True) -> Agency:
    require(is_administrator(user), "Only an administrator can manage agencies")
    code, name, duty_inbox_email = (code or "").strip().lower(), (name or "").strip(), (duty_inbox_email or "").strip()
    errors = Collector()
    if not code:
        errors.add("code", "Enter a code for the agency, like police")
    else:
        try:
            agency_code_validator(code)
        except Exception:
            errors.add("code", "Code must be 2 to 40 lower-case letters, digits and hyphens, starting with a letter")
        else:
            if Agency.objects.filter(code=code).exists():
                errors.add("code", "Another agency already has this code")
    _validate(name=name, duty_inbox_email=duty_inbox_email, sort_order=sort_order, errors=errors, existing=None)
    errors.raise_if_any()
    with transaction.atomic():
        agency = Agency.objects.create(
            code=code, name=name, duty_inbox_email=duty_inbox_email, sort_order=sort_order if sort_order is not None else 100,
            active=active, created_by=user,
        )
        audit_record(user=user, action="agency.create", object_type="agency", object_id=agency.code, details={"name": name})
    return agency


def agency_update(*, user, agency: Agency, name: str, duty_inbox_email: str = "", sort_order: int | None = None, active: bool = True) -> Agency:
    """Change an agency. Its code never changes: agency systems and the API know it by its code."""
    require(is_administrator(user), "Only an administrator can manage agencies")
    name, duty_inbox_email = (name or "").strip(), (duty_inbox_email or "").strip()
    errors = Collector()
    _validate(name=name, duty_inbox_email=duty_inbox_email, sort_order=sort_order, errors=errors, existing=agency)
    errors.raise_if_any()
    before = {"name": agency.name, "active": agency.active, "duty_inbox_email": agency.duty_inbox_email}
    with transaction.atomic():
        agency.name, agency.duty_inbox_email, agency.active = name, duty_inbox_email, active
        if sort_order is not None:
            agency.sort_order = sort_order
        agency.save()
        audit_record(
            user=user, action="agency.update", object_type="agency", object_id=agency.code,
            details={"before": before, "after": {"name": name, "active": active, "duty_inbox_email": duty_inbox_email}},
        )
    return agency
