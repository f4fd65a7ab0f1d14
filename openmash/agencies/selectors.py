from openmash.agencies.models import Agency


def agency_list(*, active_only: bool = False):
    qs = Agency.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("sort_order", "name")


def agency_get(*, code: str) -> Agency | None:
    return Agency.objects.filter(code=code).first()


def agencies_by_codes(*, codes: list[str]) -> tuple[list[Agency], list[str]]:
    """The agencies with these codes, and the codes that match none."""
    found = {a.code: a for a in Agency.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    return [found[c] for c in codes if c in found], missing


def agency_for_admin(*, user, code: str) -> Agency:
    from openmash.access.policy import is_administrator, require
    from openmash.core.errors import NotFound

    require(is_administrator(user), "Only an administrator can manage agencies")
    agency = agency_get(code=code)
    if agency is None:
        raise NotFound("No such agency")
    return agency
