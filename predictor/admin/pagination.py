"""A paginator for very large tables: never a full COUNT(*) on a page view.

Counting a million rows on every page would cost more than the page. Unfiltered, the table's size
comes from the planner's statistics (pg_class.reltuples, kept current by autovacuum/ANALYZE);
filtered, rows are counted only up to COUNT_CAP (unordered, so the scan stops there): the
first COUNT_CAP / per_page pages are numbered exactly, and a larger selection shows as
COUNT_CAP rows; narrow it with the filters.
"""
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows (by the estimate) an exact count is cheap: use it.
EXACT_BELOW = 100_000
COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        if not queryset.query.where:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate >= EXACT_BELOW:
                return estimate
        return queryset.order_by()[:COUNT_CAP].count()


def _estimated_rows(queryset) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                       [queryset.model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None  # -1: never analysed
