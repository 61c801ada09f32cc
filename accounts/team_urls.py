from django.urls import path

import config.converters  # noqa: F401 (registers the <id:> converter)
from accounts import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("<id:team_id>/", views.team_detail, name="detail"),
    path("invitations/", views.invitation_list, name="invitations"),
    path(
        "invitations/<id:invitation_id>/accept/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path(
        "invitations/<id:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path("<id:team_id>/invitations/", views.team_invite, name="invite"),
    path(
        "<id:team_id>/members/<id:user_id>/role/",
        views.team_member_role,
        name="member_role",
    ),
    path(
        "<id:team_id>/members/<id:user_id>/remove/",
        views.team_member_remove,
        name="member_remove",
    ),
    path("<id:team_id>/roles/", views.team_role_add, name="role_add"),
    path("<id:team_id>/roles/<id:role_id>/remove/", views.team_role_remove, name="role_remove"),
    path("<id:team_id>/roles/<id:role_id>/members/", views.team_role_assign, name="role_assign"),
]
