"""The demo hub (16 agencies, a user for every role, the default clock policy) built in a handful of
queries, for tests that need a fresh one each time.

`openmash.core.demo.ensure_agencies_and_users` makes the same rows one by one (it refreshes an existing
database, so it must), which is ~200 queries and most of a test's time. This builds them in bulk from
the same lists; `test_referral_rules.test_the_quick_hub_is_the_demo_hub` keeps the two identical.
"""

from django.contrib.auth.hashers import make_password

from openmash.accounts.models import Team, User
from openmash.agencies.models import Agency
from openmash.core import demo
from openmash.referrals.services import clock_policy_ensure_defaults

_password_hashes: dict[tuple, str] = {}


def _demo_password_hash() -> str:
    # One hash per hasher setting, made once: hashing is deliberately slow under the real settings.
    from django.conf import settings

    key = tuple(settings.PASSWORD_HASHERS)
    if key not in _password_hashes:
        _password_hashes[key] = make_password(demo.DEMO_PASSWORD)
    return _password_hashes[key]


def quick_hub() -> dict[str, User]:
    by_code = {a.code: a for a in Agency.objects.bulk_create([Agency(**fields) for fields in demo.demo_agencies()])}
    teams = {t.code: t for t in Team.objects.bulk_create([Team(**fields) for fields in demo.demo_teams()])}
    password = _demo_password_hash()
    users = User.objects.bulk_create(
        [
            User(
                username=username, role=role, first_name=first, last_name=last, job_title=title,
                agency=by_code[code] if code else None, email=f"{username}@demo.openmash.invalid",
                is_active=True, password=password, team=teams[demo.TEAM_OF[username]] if username in demo.TEAM_OF else None,
            )
            for username, role, first, last, title, code in demo.demo_accounts()
        ]
    )
    clock_policy_ensure_defaults()
    return {u.username: u for u in users}
