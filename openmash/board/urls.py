from django.urls import path

from openmash.board import stream, views

# Mounted at "" (openmash/config/urls.py): the wall pages live under board/, the administrator's
# pages beside the other admin pages.
app_name = "board"
urlpatterns = [
    path("board/", views.board_page, name="page"),
    path("board/fragment", views.board_fragment, name="fragment"),
    path("board/events", stream.events, name="events"),  # the live stream (board/stream.py)
    path("admin/boards/", views.admin_list, name="admin-list"),
    path("admin/boards/new/", views.admin_create, name="admin-create"),
    path("admin/boards/<int:board_id>/revoke/", views.admin_revoke, name="admin-revoke"),
]
