from django.core.management.base import BaseCommand, CommandError

from ml.dataset import DatasetError
from predictor import versions
from predictor.management.commands._help import with_examples
from predictor.management.commands._output import metrics_table


class Command(BaseCommand):
    help = (
        "Train a new XGBoost model version on a daily CSV (the bundled 2011 Capital Bikeshare data "
        "by default), evaluate it with leave-one-month-out cross-validation against two baselines, "
        "and store it in the database. By default it becomes active only if no model is active or it "
        "has a lower cross-validated MAE than the active one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", metavar="CSV",
                            help="daily CSV with columns date,temperature,humidity,windspeed,count")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--activate", dest="activate", action="store_true", default=None,
                            help="activate the new version whatever its score")
        choice.add_argument("--no-activate", dest="activate", action="store_false",
                            help="store the new version without activating it")
        parser.add_argument("--notes", default="", help="a note stored with the version")
        with_examples(parser, """
  python manage.py train                      # the bundled 2011 data; activates only if better
  python manage.py train --data days.csv --notes "2012 added"
  python manage.py train --no-activate        # store it, look at it, then `models activate ID`
It prints each cross-validation fold as it goes (about two seconds in all on the bundled data).""")

    def handle(self, *args, data, activate, notes, **options):
        progress = (lambda message: self.stdout.write(f"  {message}")) if options["verbosity"] >= 1 else (lambda m: None)
        try:
            outcome = versions.train_model_version(data_path=data, activate=activate, notes=notes, progress=progress)
        except DatasetError as exc:
            raise CommandError(f"cannot train: {exc}") from None
        metrics = outcome.version.metrics
        previous = outcome.previous
        self.stdout.write("")
        self.stdout.write(f"Leave-one-month-out cross-validation over {outcome.version.training_rows} days:")
        self.stdout.write(metrics_table([
            (f"new model ({outcome.version})", metrics["cv"]),
            ("baseline: predict the mean", metrics["baseline_mean"]),
            ("baseline: linear regression", metrics["baseline_linear"]),
            (f"active model ({previous})" if previous else "active model (none)",
             previous.metrics.get("cv") if previous else None),
        ]))
        self.stdout.write("")
        style = self.style.SUCCESS if outcome.activated else self.style.WARNING
        self.stdout.write(style(f"Stored model version {outcome.version}; {outcome.reason}."))
