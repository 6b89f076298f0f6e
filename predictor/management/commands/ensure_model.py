from django.core.management.base import BaseCommand

from predictor import monitoring, versions
from predictor.management.commands._help import with_examples


class Command(BaseCommand):
    help = (
        "Make sure a model version is active (run by Heroku's release phase after migrate). "
        "If none is, activate the newest stored version, or train one on the bundled data."
    )

    def add_arguments(self, parser):
        with_examples(parser, """
  python manage.py ensure_model     # safe to run on every deploy: does nothing when a model is active""")

    def handle(self, *args, **options):
        version, trained = versions.ensure_active_model(progress=lambda message: self.stdout.write(f"  {message}"))
        verb = "trained and activated" if trained else "is active"
        monitoring.release_step("ensure_model", version=version.pk, outcome="trained" if trained else "already_active")
        self.stdout.write(self.style.SUCCESS(f"Model version {version} {verb} (CV MAE {version.cv_mae:.1f})."))
