import datetime as dt
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from predictor.history import prune as history_prune
from predictor.management.commands._dates import iso_date
from predictor.management.commands._help import with_examples
from predictor.management.commands._progress import Progress


class Command(BaseCommand):
    help = (
        "Delete every prediction created before DATE (UTC), in short batches that never hold up new "
        "predictions. With --archive, the rows are first written there (CSV as export_history writes "
        "it, .gz compressed) and nothing is deleted unless the archive was written completely. Safe to "
        "interrupt: each batch commits whole, and running it again finishes the job. Predictions another "
        "table refers to are kept and reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=iso_date, required=True, metavar="DATE",
                            help="delete predictions created before this day, YYYY-MM-DD (it is kept)")
        parser.add_argument("--archive", metavar="PATH", help="write the rows here first; never overwritten")
        parser.add_argument("--batch-size", type=int, default=history_prune.BATCH_ROWS, metavar="N",
                            help=f"rows deleted per transaction (default {history_prune.BATCH_ROWS:,})")
        parser.add_argument("--rest", type=float, default=history_prune.REST, metavar="R",
                            help="after each batch, pause R times as long as it took (default "
                                 f"{history_prune.REST:g}: at most half the database's time; 0: no pause)")
        with_examples(parser, """
  python manage.py prune_history --before 2026-01-01 --archive history-before-2026.csv.gz
  python manage.py prune_history --before 2025-07-01""")

    def handle(self, *args, before: dt.date, archive: str | None, batch_size: int, rest: float, **options):
        if before > timezone.now().date():
            raise CommandError(f"--before {before} is in the future: that would delete today's predictions")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if rest < 0:
            raise CommandError("--rest must not be negative")
        archiving = Progress(sys.stderr, verb="archived")
        deleting = Progress(sys.stderr, verb="deleted")
        try:
            result = history_prune.prune(before=before, archive_path=Path(archive) if archive else None,
                                         batch_size=batch_size, rest=rest, on_rows=archiving, on_deleted=deleting)
        except history_prune.ArchiveError as error:
            raise CommandError(f"nothing deleted: {error}") from None
        deleting.finish()
        lines = []
        if result.archived is not None:
            lines.append(f"Archived {result.archived:,} predictions to {archive}.")
        lines.append(f"Deleted {result.deleted:,} predictions created before {before} "
                     f"in {result.batches:,} batches ({result.seconds:.1f} s).")
        if result.kept_referenced:
            lines.append(f"Kept {result.kept_referenced:,} older predictions that other records refer to.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
