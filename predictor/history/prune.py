"""Retiring old history: archive first, then delete in short batches that never block predictions.

Each batch is its own transaction: it deletes up to batch_size of the oldest rows (through the
created_at index) and takes them out of the daily summary before it commits, so the summary is
exact after every batch, and an interrupted prune leaves a consistent history that a second run
finishes. New predictions are stamped now, after the cutoff: they never wait on a batch's locks.

A prediction that another table refers to (any model with a foreign key to Prediction) is kept,
and counted in the result: deleting it would break or cascade into that table.
"""
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Exists, OuterRef

from predictor.history import export, summary
from predictor.models import Prediction

BATCH_ROWS = 5_000
# After each batch, rest this many times as long as the batch took: pruning then takes at most
# half of the database's and the machine's time, and predictions keep the rest.
REST = 1.0


class ArchiveError(Exception):
    """The archive could not be written: nothing was deleted."""


@dataclass(frozen=True)
class PruneResult:
    deleted: int
    batches: int
    archived: int | None  # rows written to the archive, None without one
    kept_referenced: int  # rows before the cutoff kept because another table refers to them
    seconds: float


def prunable(before: dt.date):
    """The predictions created before the day `before` (UTC) that nothing else refers to."""
    rows = Prediction.objects.filter(created_at__lt=summary.day_start(before))
    for relation in Prediction._meta.related_objects:
        referring = relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        rows = rows.filter(~Exists(referring))
    return rows


def archive(before: dt.date, path: Path, on_rows: Callable[[int], None] | None = None) -> int:
    """Write the prunable rows to path (CSV, gzip if it ends in .gz); never overwrites a file.

    Written to a temporary name, flushed to disk, then renamed: the path exists only complete.
    """
    if path.exists():
        raise ArchiveError(f"{path} already exists; an archive is never overwritten (choose a new path)")
    partial = path.with_name(path.name + ".partial")
    rows = 0

    def count(n):
        nonlocal rows
        rows += n
        if on_rows:
            on_rows(n)

    try:
        with export.open_output(partial, compress=path.name.endswith(".gz")) as output:
            for chunk in export.csv_chunks(prunable(before), on_rows=count):
                output.write(chunk)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ArchiveError(f"could not write the archive {path}: {error.strerror or error}") from error
    return rows


def prune(*, before: dt.date, archive_path: Path | None = None, batch_size: int = BATCH_ROWS,
          rest: float = REST, on_rows: Callable[[int], None] | None = None,
          on_deleted: Callable[[int], None] | None = None) -> PruneResult:
    """Delete every prediction created before `before` (archived to archive_path first, if given)."""
    started = time.monotonic()
    archived = archive(before, archive_path, on_rows) if archive_path else None
    deleted = batches = 0
    since = None  # created_at of the last batch's newest row: the next batch starts there
    while True:
        batch_started = time.monotonic()
        with transaction.atomic():
            watermark = summary.watermark_for_update()
            rows = prunable(before)
            if since is not None:
                rows = rows.filter(created_at__gte=since)
            doomed = list(rows.order_by("created_at").values_list(
                "pk", "created_at", "source", "model_version_id", "outside_training_range")[:batch_size])
            if not doomed:
                break
            Prediction.objects.filter(pk__in=[row[0] for row in doomed]).delete()  # one DELETE: no signals, no cascade
            summary.subtract_deleted([row[1:] for row in doomed], watermark)
        deleted += len(doomed)
        batches += 1
        since = doomed[-1][1]
        if on_deleted:
            on_deleted(len(doomed))
        if rest:
            time.sleep(rest * (time.monotonic() - batch_started))
    kept = Prediction.objects.filter(created_at__lt=summary.day_start(before)).count() if Prediction._meta.related_objects else 0
    return PruneResult(deleted=deleted, batches=batches, archived=archived,
                       kept_referenced=kept, seconds=time.monotonic() - started)
