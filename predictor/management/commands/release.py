from django.core.management import call_command
from django.core.management.base import BaseCommand

from predictor import monitoring, versions
from predictor.management.commands._help import with_examples
from predictor.release_lock import release_lock


class Command(BaseCommand):
    help = (
        "Heroku's release phase (the Procfile's release line): migrate the database, then make sure "
        "a model version is active (train one on the bundled data if none exists). On PostgreSQL the "
        "whole run holds an advisory lock, so a release that overlaps another waits for it and then "
        "finds the work done."
    )

    def add_arguments(self, parser):
        with_examples(parser, """
  python manage.py release      # safe to run any number of times, also at once""")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        say = (lambda message: self.stdout.write(message)) if verbosity >= 1 else (lambda message: None)
        with release_lock(on_wait=lambda: say("Another release is running: waiting for it to finish.")) as locked:
            monitoring.release_step("lock_acquired" if locked else "no_lock_needed")
            call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)
            monitoring.release_step("migrated")
            outcome = versions.ensure_active_model(progress=lambda message: say(f"  {message}"))
        monitoring.release_step("model", version=outcome.active.pk, outcome=outcome.describe())
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
