"""The history's daily summary: exact counts per day, door and model version, kept off the hot path.

Closed days (UTC days that ended more than CLOSE_DELAY ago) are read from PredictionDay; the days
from the watermark on are counted from the raw rows through the created_at index. Recording a
prediction therefore writes nothing here (no shared counter row to lock on every INSERT), and the
summary stays exact whichever way rows arrive:

- extend() adds the days closed since the watermark (the dashboard calls it; cheap: a day's rows);
- rebuild() recounts every closed day from the raw rows: for rows that reached old days some
  other way (bulk SQL, a restore). `manage.py summarize_history` runs it;
- pruning subtracts what it deletes in the same transaction (subtract_deleted).

extend, rebuild and subtract_deleted all lock the single watermark row, so they never interleave.
"""
import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from predictor.models import Prediction, PredictionDay, SummaryWatermark

# A day is summarised only once no prediction stamped on it can still be committing (a request
# lasts at most 30 s on Heroku) and app servers' clocks have had ample margin.
CLOSE_DELAY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Group:
    day: dt.date
    source: str
    model_version_id: int
    predictions: int
    outside: int


def first_open_day(now: dt.datetime | None = None) -> dt.date:
    """Days before this one are closed: nothing new can be recorded on them by the app."""
    return ((now or timezone.now()) - CLOSE_DELAY).astimezone(dt.timezone.utc).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


def groups(start: dt.date, end: dt.date) -> list[Group]:
    """Exact counts for the days [start, end): summary rows before the watermark, raw rows after."""
    watermark = SummaryWatermark.objects.filter(pk=1).values_list("days_before", flat=True).first()
    split = min(max(watermark or start, start), end)
    summarised = [Group(*row) for row in PredictionDay.objects.filter(day__gte=start, day__lt=split).order_by()
                  .values_list("day", "source", "model_version_id", "predictions", "outside")]
    return summarised + _count_raw(day_start(split), day_start(end)) if split < end else summarised


def _count_raw(start: dt.datetime | None, end: dt.datetime) -> list[Group]:
    rows = Prediction.objects.filter(created_at__lt=end)
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    rows = (rows
            .annotate(day=TruncDate("created_at", tzinfo=dt.timezone.utc))
            .values("day", "source", "model_version_id")
            .annotate(n=Count("*"), outside=Count("pk", filter=Q(outside_training_range=True))).order_by())
    return [Group(row["day"], row["source"], row["model_version_id"], row["n"], row["outside"]) for row in rows]


def _store(found: list[Group]) -> None:
    PredictionDay.objects.bulk_create(
        PredictionDay(day=g.day, source=g.source, model_version_id=g.model_version_id,
                      predictions=g.predictions, outside=g.outside) for g in found)


def _watermark(*, nowait: bool = False) -> SummaryWatermark:
    """The watermark row, locked until the end of the current transaction."""
    SummaryWatermark.objects.get_or_create(pk=1)
    return SummaryWatermark.objects.select_for_update(nowait=nowait).get(pk=1)


@dataclass(frozen=True)
class Rebuilt:
    days_before: dt.date
    rows: int  # summary rows written
    predictions: int  # predictions they count


def extend(now: dt.datetime | None = None) -> int:
    """Summarise the days closed since the watermark; returns how many days were added.

    Returns 0 at once when another process holds the summary: readers stay exact anyway.
    """
    target = first_open_day(now)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a refused lock leaves the transaction usable
                mark = _watermark(nowait=True)
        except DatabaseError:
            return 0
        if mark.days_before is None:
            _rebuild_locked(mark, target)
            return 1
        if mark.days_before >= target:
            return 0
        _store(_count_raw(day_start(mark.days_before), day_start(target)))
        added = (target - mark.days_before).days
        mark.days_before = target
        mark.save(update_fields=["days_before"])
        return added


def rebuild(now: dt.datetime | None = None) -> Rebuilt:
    """Recount every closed day from the raw rows. Idempotent, safe at any time."""
    with transaction.atomic():
        return _rebuild_locked(_watermark(), first_open_day(now))


def _rebuild_locked(mark: SummaryWatermark, target: dt.date) -> Rebuilt:
    PredictionDay.objects.all().delete()
    found = _count_raw(None, day_start(target))
    _store(found)
    mark.days_before = target
    mark.save(update_fields=["days_before"])
    return Rebuilt(days_before=target, rows=len(found), predictions=sum(g.predictions for g in found))


def watermark_for_update() -> dt.date | None:
    """Inside a transaction: the watermark, held until commit so no summary change interleaves."""
    return _watermark().days_before


def subtract_deleted(deleted: list[tuple[dt.datetime, str, int, bool]], watermark: dt.date | None) -> None:
    """Take rows (created_at, source, model_version_id, outside) just deleted out of the summary."""
    if watermark is None:
        return
    gone, outside = Counter(), Counter()
    for created_at, source, version_id, is_outside in deleted:
        day = created_at.astimezone(dt.timezone.utc).date()
        if day < watermark:
            gone[day, source, version_id] += 1
            outside[day, source, version_id] += bool(is_outside)
    for (day, source, version_id), count in gone.items():
        PredictionDay.objects.filter(day=day, source=source, model_version_id=version_id).update(
            predictions=Greatest(F("predictions") - count, 0),
            outside=Greatest(F("outside") - outside[day, source, version_id], 0))
    if gone:
        PredictionDay.objects.filter(day__lt=watermark, predictions=0).delete()


def total(start: dt.date, end: dt.date) -> int:
    """Exact number of predictions on the days [start, end)."""
    return sum(g.predictions for g in groups(start, end))

