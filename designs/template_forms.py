"""Forms of the template pages and the Markdown import."""

from django import forms
from django.core.exceptions import ValidationError

from designs import importing

MARKDOWN_HELP = (
    "A heading (#, ## or ###) per section; the text under it becomes the section. "
    "Upload a .md file or paste the text."
)


class _TeamChoice(forms.Form):
    team = forms.TypedChoiceField(coerce=int, empty_value=None)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.pk, t.name) for t in teams]


class _MarkdownInput(forms.Form):
    """Pasted text or an uploaded file; ``cleaned_data["text"]`` is the document."""

    markdown = forms.CharField(
        required=False,
        strip=False,
        label="Markdown",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(required=False, label="…or a Markdown file", help_text=MARKDOWN_HELP)

    markdown_required = True
    too_large = False

    def clean(self):
        data = super().clean() or {}
        upload = data.get("file")
        try:
            if upload:
                text = importing.decode_upload(upload.read(importing.max_bytes() + 1))
            else:  # browsers send a text area's line breaks as CRLF
                text = (data.get("markdown") or "").replace("\r\n", "\n")
            if text or self.markdown_required:
                text = importing.check_text(text)
        except ValidationError as exc:
            self.add_error("markdown", exc.message_dict.get("markdown", exc.messages))
            self.too_large = isinstance(exc, importing.ImportTooLarge)
            return data
        data["text"] = text
        return data


class TemplateCreateForm(_TeamChoice, _MarkdownInput):
    name = forms.CharField(max_length=200, required=False, help_text="Defaults to the # title.")
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    markdown_required = False
    field_order = ["team", "name", "description", "markdown", "file"]


class TemplateCopyForm(_TeamChoice):
    name = forms.CharField(max_length=200, required=False)


class TemplateMetaForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TemplateSectionForm(forms.Form):
    title = forms.CharField(max_length=200)
    guidance = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown: what a good answer covers.",
    )
    signoff_roles = forms.CharField(
        required=False,
        max_length=600,
        label="Sign-off roles",
        help_text="Role names, separated by commas. Kept with the section; they take effect "
        "when section sign-off arrives.",
    )


class TemplateMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class TemplateOrderForm(forms.Form):
    """The whole order, as the drag-and-drop script sends it: ``keys`` repeated."""

    def __init__(self, data=None):
        super().__init__(data)
        self.keys = list(data.getlist("keys")) if data is not None else []

    def clean(self):
        if not self.keys:
            raise ValidationError("Send the new order as keys.")
        return super().clean()


class ImportForm(_TeamChoice, _MarkdownInput):
    template = forms.TypedChoiceField(coerce=int, empty_value=None)
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty to use the document's # title."
    )
    field_order = ["team", "template", "title", "markdown", "file"]

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.pk, template_label(t)) for t in templates]


def template_label(template) -> str:
    if template.team_id is None:
        return f"{template.name} (built-in)"
    return f"{template.name} ({template.team.name})"
