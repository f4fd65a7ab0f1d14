from django.urls import path, register_converter

from openmash.referrals import views


class PersonKindConverter:
    regex = "child|adult"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PersonKindConverter, "kind")

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.dashboard, name="dashboard"),
    path("referrals/new/", views.new_start, name="new-start"),
    path("referrals/new/received/", views.new_received, name="new-received"),
    path("referrals/new/referrer/", views.new_referrer, name="new-referrer"),
    path("referrals/new/concerns/", views.new_concerns, name="new-concerns"),
    path("referrals/new/consent/", views.new_consent, name="new-consent"),
    path("referrals/new/check/", views.new_check, name="new-check"),
    path("referrals/new/<kind:kind>/", views.new_people, name="new-people"),
    path("referrals/new/<kind:kind>/search/", views.new_person_search, name="new-person-search"),
    path("referrals/new/<kind:kind>/select/", views.new_person_select, name="new-person-select"),
    path("referrals/new/<kind:kind>/add/", views.new_person_create, name="new-person-create"),
    path("referrals/new/<kind:kind>/<int:index>/remove/", views.new_person_remove, name="new-person-remove"),
    path("referrals/new/adult/<int:index>/relationships/", views.new_relationships, name="new-relationships"),
    path("referrals/recorded/<str:reference>/", views.new_done, name="new-done"),
    path("referrals/<str:reference>/", views.detail, name="detail"),
    path("referrals/<str:reference>/triage/", views.triage, name="triage"),
    path("referrals/<str:reference>/decision/", views.decision, name="decision"),
    path("admin/clock-policy/", views.clock_policy, name="clock-policy"),
    # Before the rating pattern: "decision" is not a rating.
    path("admin/clock-policy/decision/", views.decision_clock_edit, name="decision-clock-edit"),
    path("admin/clock-policy/<str:rating>/", views.clock_policy_edit, name="clock-policy-edit"),
]
