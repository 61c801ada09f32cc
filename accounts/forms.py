from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
)

from accounts import throttle
from accounts.models import Membership
from accounts.services import (
    USERNAME_RULE,
    USERNAME_RULE_MESSAGE,
    password_reset_request,
    username_normalise,
)


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="ASCII letters, digits, dots, dashes and underscores.",
    )
    email = forms.EmailField(
        required=False,
        help_text=(
            "Optional; for notifications and password resets. We mail you a link to confirm "
            "it: until you do, nobody can find you by it."
        ),
    )
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        username = username_normalise(self.cleaned_data["username"])
        if not USERNAME_RULE.match(username):
            raise forms.ValidationError(USERNAME_RULE_MESSAGE, code="invalid")
        return username

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)


class InviteForm(forms.Form):
    identifier = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class TeamRoleForm(forms.Form):
    name = forms.CharField(label="New role", max_length=50, help_text="e.g. security, SRE")


class TeamRoleAssignForm(forms.Form):
    user = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    held = forms.TypedChoiceField(choices=[("1", "hold"), ("0", "not hold")], coerce=int)


class _LockoutMessage:
    """Says why and for how long a sign-in is refused while its account or address is locked
    out (``throttled_for`` then holds the seconds to wait). The lockout itself is enforced,
    and failures counted, by the authentication backend behind ``authenticate()``."""

    throttled_for = 0

    def _refuse_if_locked_out(self, username: str) -> None:
        address = throttle.client_address(self.request)  # type: ignore[attr-defined]
        wait, message = throttle.signin_check(username=username, address=address)
        if wait:
            self.throttled_for = wait
            raise forms.ValidationError(message, code="throttled")


class SignInForm(_LockoutMessage, AuthenticationForm):
    """The sign-in form; refused while the account or the address is locked out."""

    def clean(self):
        self._refuse_if_locked_out(self.cleaned_data.get("username") or "")
        return super().clean()


class AdminSignInForm(_LockoutMessage, AdminAuthenticationForm):
    """The admin's sign-in form, under the same lockout as the site's."""

    def clean(self):
        self._refuse_if_locked_out(self.cleaned_data.get("username") or "")
        return super().clean()


class ThrottledPasswordChangeForm(_LockoutMessage, PasswordChangeForm):
    """Django's password change, with the current password checked through
    ``authenticate()``: wrong guesses count towards the account's sign-in lockout, and while
    it is locked out no guess is checked at all."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        username = self.user.get_username()
        self._refuse_if_locked_out(username)
        found = authenticate(self.request, username=username, password=old_password)
        if found is None or found.pk != self.user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset request, its mail queued by ``password_reset_request`` (verified
    owners first) instead of sent from the request."""

    def save(self, *args, **kwargs) -> None:  # type: ignore[override]
        password_reset_request(email=self.cleaned_data["email"])
