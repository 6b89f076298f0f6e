"""List filters that read as sentences in the admin's sidebar ("By status: Active")."""
from django.contrib import admin


def labelled_boolean_filter(title: str, yes: str, no: str):
    """A BooleanFieldListFilter titled `title`, whose choices read `yes` and `no`, not Yes/No."""

    class LabelledBooleanFilter(admin.BooleanFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

        def choices(self, changelist):
            words = {"1": yes, "0": no}
            for choice in super().choices(changelist):
                query = choice["query_string"]
                for value, word in words.items():
                    if f"{self.lookup_kwarg}={value}" in query:
                        choice = {**choice, "display": word}
                yield choice

    return LabelledBooleanFilter
