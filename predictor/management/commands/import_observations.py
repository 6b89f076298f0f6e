from django.core.management.base import BaseCommand, CommandError

from ml.dataset import DatasetError
from predictor.management.commands._help import with_examples
from predictor.observations import import_observations


class Command(BaseCommand):
    help = (
        "Import observed days from a CSV with columns date,temperature,humidity,windspeed,count "
        "(°C, %, km/h, actual rentals). Every row is validated first; if any is bad, each bad line "
        "is reported and nothing is imported. A date already observed is overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", metavar="CSV",
                            help="path of the CSV file: one line per day, e.g. 2012-01-01,5.2,60,10.5,1204")
        with_examples(parser, """
  python manage.py import_observations observed_2012.csv
  python manage.py train --include-observed   # then retrain with them
Staff can also add and correct single days in the admin (Observations).""")

    def handle(self, *args, csv, **options):
        try:
            result = import_observations(path=csv)
        except DatasetError as exc:
            raise CommandError(f"nothing imported:\n{exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.created + result.updated} observed days "
            f"({result.created} new, {result.updated} updated)."
        ))
