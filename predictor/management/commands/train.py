from django.core.management.base import BaseCommand, CommandError

from ml.dataset import DatasetError
from predictor import versions
from predictor.management.commands._help import with_examples
from predictor.management.commands._output import metrics_table


def interval_summary(figures: dict) -> str:
    """The adaptive interval's nested-CV figures: coverage overall, by quarter, by predicted level."""
    quarters = ", ".join(f"{name} {value:.1%}" for name, value in figures["coverage_by_quarter"].items())
    levels = figures["coverage_by_predicted_quartile"]
    return (
        f"80 % interval on held-out days (its width adapts to the day's weather): covered {figures['coverage']:.1%}, "
        f"mean width {figures['mean_width']:,.0f} rentals (from {figures['min_width']:,.0f} "
        f"to {figures['max_width']:,.0f}).\n"
        f"  Coverage by quarter {quarters}; lowest predicted quarter of days {levels['L1']:.1%}, "
        f"highest {levels['L4']:.1%}."
    )


class Command(BaseCommand):
    help = (
        "Train a new XGBoost model version on a daily CSV (the bundled 2011 Capital Bikeshare data "
        "by default), optionally plus the observed days, evaluate it with nested leave-one-month-out "
        "cross-validation against two baselines, and store it with its 80 % prediction interval. "
        "By default it becomes active only if no model is active or it beats the active one on the "
        "same evaluation (both models' settings cross-validated on this same data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", metavar="CSV",
                            help="daily CSV with columns date,temperature,humidity,windspeed,count")
        parser.add_argument("--include-observed", action="store_true",
                            help="add the observed days (import_observations / admin); they win where a date repeats")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--activate", dest="activate", action="store_true", default=None,
                            help="activate the new version whatever its score")
        choice.add_argument("--no-activate", dest="activate", action="store_false",
                            help="store the new version without activating it")
        parser.add_argument("--notes", default="", help="a note stored with the version")
        with_examples(parser, """
  python manage.py train                      # the bundled 2011 data; activates only if better
  python manage.py train --data days.csv --notes "2012 added"
  python manage.py train --include-observed   # the bundled data plus the days observed since
  python manage.py train --no-activate        # store it, look at it, then `models activate ID`
It prints each cross-validation fold as it goes (15 seconds or so in all on the bundled data).""")

    def handle(self, *args, data, include_observed, activate, notes, **options):
        progress = (lambda message: self.stdout.write(f"  {message}")) if options["verbosity"] >= 1 else (lambda m: None)
        try:
            outcome = versions.train_model_version(data_path=data, include_observed=include_observed,
                                                   activate=activate, notes=notes, progress=progress)
        except DatasetError as exc:
            raise CommandError(f"cannot train: {exc}") from None
        version = outcome.version
        metrics = version.metrics
        self.stdout.write("")
        self.stdout.write(f"Nested leave-one-month-out cross-validation over {version.training_rows} days "
                          "(hyper-parameters chosen inside each fold):")
        self.stdout.write(metrics_table([
            (f"new model ({version})", metrics["cv"]),
            ("baseline: predict the mean", metrics["baseline_mean"]),
            ("baseline: linear regression", metrics["baseline_linear"]),
        ]))
        self.stdout.write(interval_summary(metrics["interval_cv"]))
        params = version.params
        self.stdout.write(f"Final model, chosen by the same inner CV over all days: depth {params['max_depth']}, "
                          f"{params['rounds']} rounds, features {', '.join(params['features'])}.")
        if outcome.comparison is not None:
            comparison = outcome.comparison
            self.stdout.write(
                f"Champion/challenger on the same {comparison.rows} days (leave-one-month-out MAE): "
                f"new {version} {comparison.new_mae:.1f}, active {outcome.previous} {comparison.active_mae:.1f}."
            )
        self.stdout.write("")
        style = self.style.SUCCESS if outcome.activated else self.style.WARNING
        self.stdout.write(style(f"Stored model version {version}; {outcome.reason}."))
