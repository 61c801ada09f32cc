from django import forms
from django.conf import settings

from designs.models import SUMMARY_MAX_CHARS, Section


class DesignCreateForm(forms.Form):
    team = forms.TypedChoiceField(coerce=int, empty_value=None)
    template = forms.TypedChoiceField(coerce=int, empty_value=None)
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=SUMMARY_MAX_CHARS,
        help_text="One or two sentences: what is being designed and why.",
    )

    def __init__(self, *args, teams, templates, **kwargs):
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        template_field = self.fields["template"]
        assert isinstance(team_field, forms.ChoiceField)
        assert isinstance(template_field, forms.ChoiceField)
        team_field.choices = [(t.pk, t.name) for t in teams]
        template_field.choices = [
            (t.pk, f"{t.name} ({t.team.name})" if t.team_id else t.name) for t in templates
        ]


class DesignEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=SUMMARY_MAX_CHARS
    )


class SectionForm(forms.Form):
    body = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 14, "spellcheck": "true", "aria-label": "Answer (Markdown)"}
        ),
    )
    state = forms.ChoiceField(
        choices=[
            (Section.State.DRAFT, "Draft"),
            (Section.State.ANSWERED, "Answered"),
            (Section.State.NOT_APPLICABLE, "Not applicable"),
        ],
        initial=Section.State.DRAFT,
    )
    na_reason = forms.CharField(required=False, max_length=500, label="Why it does not apply")
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        limit = settings.CRIT_SECTION_BODY_MAX_BYTES
        if len(body.encode("utf-8")) > limit:
            raise forms.ValidationError(f"The answer is over the {limit:,}-byte limit.")
        return body


class RestoreForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    base_version = forms.IntegerField(min_value=0)


class DiffForm(forms.Form):
    from_version = forms.IntegerField(min_value=0, required=False)
    to_version = forms.IntegerField(min_value=0, required=False)


class DesignLinkForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("relates_to", "Relates to"),
            ("supersedes", "Supersedes (replaces it)"),
        ],
        label="This design",
    )
    target = forms.TypedChoiceField(coerce=int, empty_value=None, label="Design")

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        target_field = self.fields["target"]
        assert isinstance(target_field, forms.ChoiceField)
        target_field.choices = [(d.pk, f"{d.title} ({d.team.name})") for d in targets]
