from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from accounts import throttle
from accounts.models import Membership


class SignupForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.-]+\Z",
        max_length=150,
        help_text="Letters, digits, dots, dashes and underscores.",
        error_messages={"invalid": "Use only letters, digits, dots, dashes and underscores."},
    )
    email = forms.EmailField(required=False, help_text="Optional; used for notifications.")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

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


class SignInForm(AuthenticationForm):
    """The sign-in form; refused while the account or the address is locked out after
    repeated failures (``throttled_for`` then holds the seconds to wait)."""

    throttled_for = 0

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        wait, message = throttle.signin_wait(username=username, address=address)
        if wait:
            self.throttled_for = wait
            raise forms.ValidationError(message, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.signin_failed(username=username, address=address)
            raise
        throttle.signin_succeeded(username=username)
        return cleaned
