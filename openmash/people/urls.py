from django.urls import path

from openmash.people import review_views, views

app_name = "people"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("duplicates/", review_views.queue, name="duplicates"),
    path("duplicates/<int:pair_id>/", review_views.review, name="duplicate"),
    path("merges/<int:merge_id>/", review_views.merge_detail, name="merge"),
]
