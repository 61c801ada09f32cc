from django import forms

from reviews.models import Comment, EmailDelivery, Notification, NotificationSettings, Verdict


class CommentForm(forms.Form):
    # Optional here: a suggested edit may come without a word; the service decides.
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False, required=False)
    raise_issue = forms.BooleanField(required=False, label="Raise as an issue")
    # The passage commented on, as the browser quotes it (frontend/passages.js).
    passage_exact = forms.CharField(required=False, strip=False, max_length=5000)
    passage_prefix = forms.CharField(required=False, strip=False, max_length=256)
    passage_suffix = forms.CharField(required=False, strip=False, max_length=256)
    passage_start = forms.IntegerField(required=False, min_value=0, max_value=10_000_000)
    passage_end = forms.IntegerField(required=False, min_value=0, max_value=10_000_000)
    suggest = forms.BooleanField(required=False, label="Suggest an edit")
    replacement = forms.CharField(required=False, strip=False, widget=forms.Textarea)

    def passage(self):
        """The passage named, if any (after is_valid())."""
        from reviews.services import PassageInput

        data = self.cleaned_data
        if not data.get("passage_exact"):
            return None
        return PassageInput(
            exact=data["passage_exact"],
            prefix=data.get("passage_prefix") or "",
            suffix=data.get("passage_suffix") or "",
            start=data.get("passage_start") or 0,
            end=data.get("passage_end") or 0,
        )

    def replacement_text(self) -> str | None:
        """The suggested text when the box is ticked (after is_valid())."""
        if not self.cleaned_data.get("suggest"):
            return None
        return self.cleaned_data.get("replacement") or ""


class SuggestionDismissForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), strip=False)


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False)


class IssueStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(v, label) for v, label in Comment.IssueStatus.choices if v]
    )


class ResolveForm(forms.Form):
    resolved = forms.TypedChoiceField(choices=[("1", "resolve"), ("0", "unresolve")], coerce=int)


class VerdictForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (Verdict.Kind.APPROVE, "Approve"),
            (Verdict.Kind.REQUEST_CHANGES, "Request changes"),
            (Verdict.Kind.COMMENT, "Comment"),
        ],
        widget=forms.RadioSelect,
        initial=Verdict.Kind.COMMENT,
    )
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Summary (optional)"
    )


class ReviewRequestForm(forms.Form):
    reviewer = forms.CharField(max_length=254, label="Username or email")
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Message (optional)",
    )


class NotificationSettingsForm(forms.Form):
    """The master switch and, per kind of event, how it is emailed: at once, in an hourly or
    a daily digest, or not at all."""

    email_enabled = forms.BooleanField(required=False, label="Email me at all")

    def __init__(self, *args, settings_row: NotificationSettings | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if settings_row is not None:
            self.fields["email_enabled"].initial = settings_row.email_enabled
        else:
            self.fields["email_enabled"].initial = True
        for kind, label in Notification.Kind.choices:
            self.fields[f"delivery_{kind}"] = forms.ChoiceField(
                choices=EmailDelivery.choices,
                label=label,
                initial=(
                    settings_row.delivery_for(kind) if settings_row else EmailDelivery.IMMEDIATE
                ),
                # A form that leaves a kind out keeps it as it was (or at once).
                required=False,
            )

    def delivery_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("delivery_")]

    def delivery(self) -> dict[str, str]:
        return {
            name.removeprefix("delivery_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("delivery_") and value
        }


class SignoffForm(forms.Form):
    """Sign off (or withdraw) in one's own name, or as a holder of ``role``."""

    role = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class SignoffSettingsForm(forms.Form):
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    people = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    roles = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def _ids(self, name: str) -> list[int]:
        values = self.cleaned_data.get(name) or []
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() for v in values):
            raise forms.ValidationError("Choose from the list.")
        ids = [int(v) for v in values]
        if any(not 0 < i < 2**63 for i in ids) or len(ids) > 100:
            raise forms.ValidationError("Choose from the list.")
        return ids

    def clean_people(self) -> list[int]:
        return self._ids("people")

    def clean_roles(self) -> list[int]:
        return self._ids("roles")
