from django import forms

from reviews.models import Comment, NotificationSettings, Verdict


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False)
    raise_issue = forms.BooleanField(required=False, label="Raise as an issue")


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


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = [
            "email_enabled",
            "email_review_requested",
            "email_comment",
            "email_issue_changed",
            "email_verdict",
            "email_mention",
            "email_approval_stale",
        ]


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
