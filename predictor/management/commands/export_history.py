import datetime as dt
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from predictor.history import export as history_export
from predictor.history import summary as history_summary
from predictor.management.commands._dates import iso_date
from predictor.management.commands._help import with_examples
from predictor.management.commands._progress import Progress
from predictor.models import Prediction


class Command(BaseCommand):
    help = (
        "Write the predictions made from --since to --until (UTC days, both included) as CSV, oldest "
        "first: to --output (gzip-compressed when it ends in .gz) or to stdout. It streams: memory "
        "stays flat whatever the size. Progress shows on stderr when it is a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=iso_date, required=True, metavar="DATE", help="first day, YYYY-MM-DD")
        parser.add_argument("--until", type=iso_date, required=True, metavar="DATE",
                            help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--output", metavar="PATH", help="file to write (.gz: compressed); default: stdout")
        with_examples(parser, """
  python manage.py export_history --since 2026-01-01 --until 2026-01-31 --output january.csv.gz
  python manage.py export_history --since 2026-11-01 --until 2026-11-01 | head""")

    def handle(self, *args, since: dt.date, until: dt.date, output: str | None, **options):
        if since > until:
            raise CommandError(f"--since {since} is after --until {until}")
        end = until + dt.timedelta(days=1)
        rows = Prediction.objects.filter(created_at__gte=history_summary.day_start(since),
                                         created_at__lt=history_summary.day_start(end))
        path = Path(output) if output and output != "-" else None
        progress = Progress(sys.stderr, verb="exported", total=history_summary.total(since, end))
        try:
            with history_export.open_output(path, compress=bool(path) and path.name.endswith(".gz")) as out:
                for chunk in history_export.csv_chunks(rows, on_rows=progress):
                    out.write(chunk)
        except OSError as error:
            raise CommandError(f"could not write {output}: {error.strerror or error}") from None
        progress.finish()
        where = path or "stdout"
        self.stderr.write(f"Exported {progress.rows:,} predictions ({since} to {until}) to {where}.")
