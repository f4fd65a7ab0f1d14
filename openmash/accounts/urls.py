from django.urls import path

from openmash.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("admin/users/", views.user_list, name="user-list"),
    path("admin/users/new/", views.user_create, name="user-create"),
    path("admin/users/<int:user_id>/", views.user_edit, name="user-edit"),
    path("admin/users/<int:user_id>/unlock/", views.user_unlock, name="user-unlock"),
    path("admin/users/<int:user_id>/password/", views.user_password, name="user-password"),
    path("admin/teams/", views.team_list, name="team-list"),
    path("admin/teams/new/", views.team_create, name="team-create"),
    path("admin/teams/<slug:code>/", views.team_edit, name="team-edit"),
]
