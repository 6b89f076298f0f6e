"""Hostile query parameters in the admin, handled in one place.

Django's ChangeList already turns some unreadable lookups into IncorrectLookupParameters, which
changelist_view answers with a redirect to `?e=1`. It does not for everything: a custom filter
that filters on the raw value (ValueError), a NUL byte that PostgreSQL refuses, a date
hierarchy year 9999 that overflows, a huge number PostgreSQL refuses (DataError). Here, every
such error while the list is built becomes that same IncorrectLookupParameters, and the staff
member sees a message saying what was not understood.

Use HostileInputSafeAdmin as the first base of every ModelAdmin (ours and the re-registered
auth ones in predictor.admin.site), so new filters, search fields and parameters are covered
without a try/except of their own.
"""
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import FieldError, ValidationError
from django.db import DataError, transaction
from django.http import HttpResponseRedirect

# The errors a malformed parameter causes while a list is built. Anything else is a bug and
# stays a 500 with its traceback.
UNREADABLE_INPUT = (ValueError, TypeError, OverflowError, ValidationError, FieldError, DataError)
NUL = "\x00"
SHOWN_NAME = 40  # characters of a parameter's name repeated in the message


class UnreadableParameter(ValueError):
    pass


def refuse_nul_bytes(params) -> None:
    """PostgreSQL refuses NUL in any text; refuse them here, before any query is built."""
    for key, values in params.lists():
        if NUL in key or any(NUL in value for value in values):
            raise UnreadableParameter(f"{_shown(key)} contains a NUL byte")


def _shown(name: str) -> str:
    name = name.replace(NUL, "\\x00")
    return name if len(name) <= SHOWN_NAME else name[:SHOWN_NAME] + "…"


class HostileInputSafeChangeList(ChangeList):
    """A ChangeList whose every unreadable parameter ends as IncorrectLookupParameters."""

    def __init__(self, request, *args, **kwargs):
        try:
            refuse_nul_bytes(request.GET)
            # A savepoint: a query PostgreSQL refuses (DataError) leaves the request's
            # transaction usable for what follows (session, messages, the redirect).
            with transaction.atomic():
                super().__init__(request, *args, **kwargs)
                # Run the page's query now, inside the guard, not later while the template
                # renders (len() fills the queryset's cache; the template reuses it).
                len(self.result_list)
        except IncorrectLookupParameters as error:
            self._tell(request, error)
            raise
        except UNREADABLE_INPUT as error:
            self._tell(request, error)
            raise IncorrectLookupParameters(error) from error

    @staticmethod
    def _tell(request, error) -> None:
        # After the redirect the list shows unfiltered; say why. (With ?e=1 already present,
        # Django shows admin/invalid_setup.html, which says it itself.)
        if ERROR_FLAG not in request.GET:
            messages.warning(request, "The filter, search, ordering or page in the address could not be "
                                      "understood, so the whole list is shown."
                                      + (f" ({error.args[0]})" if isinstance(error, UnreadableParameter) else ""))


class HostileInputSafeAdmin(admin.ModelAdmin):
    """A ModelAdmin whose list and actions answer hostile input with a message, never a 500."""

    def get_changelist(self, request, **kwargs):
        return HostileInputSafeChangeList

    def get_object(self, request, object_id, from_field=None):
        # Django checks ?_to_field= only when it is not empty, then looks the empty name up as a
        # field (FieldDoesNotExist, a 500): an empty one means no field given, as when it is absent.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset):
        """Selected ids that are not ids of this model: a message, and nothing is done."""
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        try:
            refuse_nul_bytes(request.POST)
            pk = queryset.model._meta.pk
            for value in selected:
                # A non-id, or an id beyond the database's integer range (SQLite cannot even bind it).
                pk.run_validators(pk.to_python(value))
                queryset.filter(pk=value)  # builds the lookup, as the action will: raises on a non-id
        except UNREADABLE_INPUT:
            self.message_user(request, "The selected items could not be read; nothing was changed.",
                              messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)
