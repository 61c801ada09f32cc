from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A person who signs in to Crit. Usernames are unique, case-insensitively. Emails are
    kept lowercased; a verified address belongs to one account only, while an unverified one
    may be given by several (it finds nobody until its owner confirms it)."""

    email = models.EmailField("email address", blank=True)
    email_verified = models.BooleanField(
        "email verified",
        default=False,
        help_text="The owner of the address opened the link mailed to it.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(email_verified=True) & ~models.Q(email=""),
                name="user_verified_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        # One spelling of every address, so lookups and the unique constraint agree.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # Names are unique per creator only: a name taken by someone else's team must not
        # tell a stranger that the team exists.
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "created_by", name="team_name_ci_unique_per_creator"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("teams:detail", args=[self.pk])


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # The team roles (e.g. "security", "SRE") this member holds, for section sign-offs.
    # Changing them saves the membership, so pages stamped by memberships see it.
    team_roles = models.ManyToManyField("accounts.TeamRole", blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "team"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class TeamRole(models.Model):
    """A role a team defines, such as "security" or "SRE", that its members may hold; a
    section can require the sign-off of one of its holders. Names are unique per team,
    ignoring case."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_roles")
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint("team", Lower("name"), name="team_role_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.team_id}"


class Invitation(models.Model):
    """An owner's offer of a place in a team. Only the invitee's acceptance makes them a
    member; until then the team sees nothing of them and they see the team's name."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    emailed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One open invitation per person and team: asking again adds nothing.
            models.UniqueConstraint(
                fields=["team", "invitee"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined"]),
                name="invitation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["invitee", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.team} ({self.status})"


class SignInFailureWindow(models.Model):
    """Failed sign-ins counted for one account or one address (``key``) in one lockout
    window. Kept in PostgreSQL, not the cache, so a lockout holds while Redis is down."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.ends_at:%Y-%m-%d %H:%M:%S}"
