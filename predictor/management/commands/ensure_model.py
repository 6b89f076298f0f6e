from django.core.management.base import BaseCommand

from predictor import monitoring, versions
from predictor.management.commands._help import with_examples


class Command(BaseCommand):
    help = (
        "Make sure a model version is active (the release command runs it after migrate). "
        "If none is, activate the newest stored version, or train one on the bundled data. "
        "It says which of these happened."
    )

    def add_arguments(self, parser):
        with_examples(parser, """
  python manage.py ensure_model     # does nothing when a model is active
On Heroku the release phase runs `python manage.py release` (migrate, then this, under a lock).""")

    def handle(self, *args, **options):
        outcome = versions.ensure_active_model(progress=lambda message: self.stdout.write(f"  {message}"))
        monitoring.release_step("ensure_model", version=outcome.active.pk, outcome=outcome.describe())
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
