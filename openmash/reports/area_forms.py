"""The boundary-set upload form: it checks that files came and are not too big, and reads them;
what is in them is checked by `area_services.area_set_create`, field by field."""

from django import forms

from openmash.reports import geo

_FILE_ERRORS = {
    "invalid": "The selected file could not be read: choose it again",
    "missing": "The selected file could not be read: choose it again",
    "empty": "The selected file is empty",
}


class AreaSetForm(forms.Form):
    name = forms.CharField(required=False)
    geojson = forms.FileField(required=False, error_messages=_FILE_ERRORS)
    code_property = forms.CharField(required=False, initial="")
    name_property = forms.CharField(required=False, initial="")
    postcode_lookup = forms.FileField(required=False, error_messages=_FILE_ERRORS)

    def _read(self, field: str, what: str, limit: int) -> bytes | None:
        upload = self.cleaned_data.get(field)
        if not upload:
            return None
        if upload.size > limit:
            # Checked before reading, so a huge upload is never held in memory.
            raise forms.ValidationError(f"The {what} must be smaller than {limit // (1024 * 1024)} MB")
        return upload.read()

    def clean_geojson(self):
        return self._read("geojson", "boundary file", geo.MAX_GEOJSON_BYTES)

    def clean_postcode_lookup(self):
        return self._read("postcode_lookup", "postcode lookup", geo.MAX_LOOKUP_BYTES)


class DeleteAreaSetForm(forms.Form):
    """Nothing to fill in: the POST itself, with its CSRF token, is the confirmation."""
