from django.urls import path

from accounts import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("<int:team_id>/", views.team_detail, name="detail"),
    path("invitations/", views.invitation_list, name="invitations"),
    path(
        "invitations/<int:invitation_id>/accept/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path(
        "invitations/<int:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation_decline",
    ),
    path("<int:team_id>/invitations/", views.team_invite, name="invite"),
    path(
        "<int:team_id>/members/<int:user_id>/role/",
        views.team_member_role,
        name="member_role",
    ),
    path(
        "<int:team_id>/members/<int:user_id>/remove/",
        views.team_member_remove,
        name="member_remove",
    ),
]
