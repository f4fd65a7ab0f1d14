# Mounted at "" (openmash/config/urls.py): a referral's sharing pages sit under its address, the
# information-governance pages under sharing/, and the administrator's list beside the other admin pages.
from django.urls import path

from openmash.sharing import views

app_name = "sharing"
urlpatterns = [
    path("referrals/<str:reference>/sharing/", views.referral_sharing, name="referral"),
    path("referrals/<str:reference>/sharing/consent/", views.consent_new, name="consent"),
    path("referrals/<str:reference>/sharing/override/", views.override_propose, name="override-propose"),
    path("referrals/<str:reference>/sharing/override/<int:override_id>/authorise/", views.override_authorise, name="override-authorise"),
    path("referrals/<str:reference>/sharing/override/<int:override_id>/reject/", views.override_reject, name="override-reject"),
    path("referrals/<str:reference>/sharing/referrer/", views.referrer_release, name="referrer-release"),
    path("referrals/<str:reference>/letters/new/", views.letter_new, name="letter-new"),
    path("referrals/<str:reference>/letters/<int:letter_id>/", views.letter_detail, name="letter"),
    path("sharing/log/", views.sharing_log, name="log"),
    path("sharing/log.csv", views.sharing_log_csv, name="log-csv"),
    path("sharing/overrides/", views.override_report, name="override-report"),
    path("admin/lawful-bases/", views.lawful_basis_list, name="bases"),
    path("admin/lawful-bases/new/", views.lawful_basis_create, name="basis-create"),
    path("admin/lawful-bases/<str:code>/", views.lawful_basis_edit, name="basis-edit"),
]
