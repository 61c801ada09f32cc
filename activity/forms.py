from django import forms

from activity.models import EventKind


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=500,
        help_text="An http:// or https:// address on the public internet; Crit POSTs JSON to it.",
    )
    kinds = forms.MultipleChoiceField(
        label="Events",
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of event."},
    )


class WebhookEditForm(WebhookForm):
    active = forms.BooleanField(
        label="Active", required=False, help_text="Deliveries are sent only while it is on."
    )
