from django.urls import path

from accounts import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("<int:team_id>/", views.team_detail, name="detail"),
    path("<int:team_id>/members/", views.team_member_add, name="member_add"),
    path(
        "<int:team_id>/members/<int:user_id>/remove/",
        views.team_member_remove,
        name="member_remove",
    ),
]
