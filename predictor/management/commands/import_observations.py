from django.core.management.base import BaseCommand, CommandError

from ml.dataset import DatasetError
from predictor.observations import import_observations


class Command(BaseCommand):
    help = (
        "Import observed days from a CSV with columns date,temperature,humidity,windspeed,count "
        "(°C, %, km/h, actual rentals). Every row is validated first; if any is bad, each bad line "
        "is reported and nothing is imported. A date already observed is overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", metavar="CSV")

    def handle(self, *args, csv, **options):
        try:
            result = import_observations(path=csv)
        except DatasetError as exc:
            raise CommandError(f"nothing imported:\n{exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.created + result.updated} observed days "
            f"({result.created} new, {result.updated} updated)."
        ))
