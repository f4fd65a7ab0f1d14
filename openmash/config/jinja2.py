"""The Jinja2 environment for every OpenMASH page.

Templates are found in each domain's `jinja2/` folder and, under the `govuk_frontend_jinja/` prefix,
in the govuk-frontend-jinja package (the GOV.UK Design System macros).
"""

from django.conf import settings
from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from openmash.core import clock, formatting
from openmash.core.navigation import navigation
from openmash.escalation.selectors import unread_count_for_request


def url(name, *args, **kwargs):
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options):
    options["loader"] = ChoiceLoader(
        [
            options["loader"],
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    options.setdefault("extensions", []).append("jinja2.ext.do")
    options["trim_blocks"] = True
    options["lstrip_blocks"] = True
    env = Environment(**options)
    env.globals.update(
        {
            "url": url,
            "static": static,
            "get_messages": get_messages,
            "hub_name": settings.OPENMASH_HUB_NAME,
            "now": clock.now,
            "navigation": navigation,
            "clock_words": formatting.clock_words,
            "unread_notifications": unread_count_for_request,
        }
    )
    env.filters.update(
        {
            "govuk_datetime": formatting.govuk_datetime,
            "govuk_date": formatting.govuk_date,
            "time_left": formatting.time_left_words,
            "duration": formatting.duration_words,
            "iso": formatting.iso,
            "age": formatting.age_on,
            "age_text": formatting.age_text,
        }
    )
    return env
