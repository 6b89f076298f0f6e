from django.core.management.base import BaseCommand

from predictor.history import summary as history_summary
from predictor.management.commands._help import with_examples


class Command(BaseCommand):
    help = (
        "Recount the dashboard's daily summary of the prediction history from the raw rows, for every "
        "closed day (UTC days that ended over an hour ago). Needed only after rows reached past days some "
        "other way than the app (bulk SQL, a restore): the app's own predictions and prune_history keep "
        "it exact. Safe at any time (one transaction; predictions keep being recorded) and idempotent."
    )

    def add_arguments(self, parser):
        with_examples(parser, """
  pg_restore --data-only ... && python manage.py summarize_history
  heroku run python manage.py summarize_history""")

    def handle(self, *args, **options):
        result = history_summary.rebuild()
        self.stdout.write(self.style.SUCCESS(
            f"Summarised {result.predictions:,} predictions in {result.rows:,} rows (day, door, model version) "
            f"for every day before {result.days_before}; later days are counted live."))
