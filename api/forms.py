from django import forms


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the token is used, e.g. “CI pipeline” or “review bot”."
    )
