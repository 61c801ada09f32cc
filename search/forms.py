from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from designs.models import Design
from search.selectors import QUERY_MAX_CHARS


class SearchForm(forms.Form):
    """The search page's words and filters; the API takes the same (api/v1/search.py)."""

    q = forms.CharField(label="Words", max_length=QUERY_MAX_CHARS, required=False, strip=True)
    team = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Design.Status.choices], required=False)
    author = forms.CharField(label="Author", max_length=150, required=False, strip=True)
    since = forms.DateField(label="Edited since", required=False)
    until = forms.DateField(label="Edited until", required=False)
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def __init__(self, *args: Any, teams: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].widget = forms.Select(
            choices=[("", "All teams"), *((t.pk, t.name) for t in teams or [])]
        )
        for name in ("since", "until"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "id": "search-q", "maxlength": QUERY_MAX_CHARS}
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date comes before the start date.")
        return cleaned


def day_start(day) -> datetime | None:
    """The first moment of ``day`` in the site's time zone (None for no day)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def day_after(day) -> datetime | None:
    """The first moment after ``day``: "until" includes the whole day."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
