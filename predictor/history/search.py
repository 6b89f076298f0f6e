"""Finding predictions by id: an index range on the primary key, never a text scan of the table."""
import re
import uuid

from django.db.models import QuerySet

MIN_PREFIX = 8  # shorter prefixes match too much to be a search for one prediction
_HEX = re.compile(r"[0-9a-f]+")


def by_id(queryset: QuerySet, term: str) -> QuerySet:
    """The prediction with this id, or those whose id starts with these hex digits; else none.

    A prefix is a range of UUIDs (prefix padded with 0s to prefix padded with fs), which the
    primary key's index answers directly; `id::text LIKE 'prefix%'` would read every row.
    """
    digits = term.strip().lower().replace("-", "").removeprefix("urn:uuid:").strip("{}")
    if not digits:
        return queryset
    if not _HEX.fullmatch(digits) or len(digits) > 32:
        return queryset.none()
    if len(digits) == 32:
        return queryset.filter(pk=uuid.UUID(digits))
    if len(digits) < MIN_PREFIX:
        return queryset.none()
    return queryset.filter(pk__gte=uuid.UUID(digits.ljust(32, "0")), pk__lte=uuid.UUID(digits.ljust(32, "f")))
