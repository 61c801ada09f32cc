from django import forms

from exports.models import ExportJob


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=ExportJob.Format.choices,
        widget=forms.RadioSelect,
        initial=ExportJob.Format.PDF,
    )
    include_review = forms.BooleanField(required=False, label="Include the review record")
