from django.core.management.base import BaseCommand, CommandError

from predictor import versions
from predictor.management.commands._help import with_examples
from predictor.models import ModelVersion


class Command(BaseCommand):
    help = (
        "List the stored model versions, activate one, or roll back to the previously active one. "
        "Running web processes switch to the newly active version within seconds, without a restart."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,activate,rollback}")
        actions.add_parser("list", help="list versions: id, created, CV MAE, which is active")
        activate = actions.add_parser("activate", help="make version ID the active one")
        activate.add_argument("version_id", type=int, metavar="ID", help="the version's id, as `models list` shows it")
        actions.add_parser("rollback", help="re-activate the version that was active before the current one")
        with_examples(parser, """
  python manage.py models list
  python manage.py models activate 3
  python manage.py models rollback""")

    def handle(self, *args, action, **options):
        if action == "list":
            return self.list_versions()
        try:
            if action == "activate":
                version = versions.activate_model_version(version_id=options["version_id"])
            else:
                version = versions.rollback_model_version()
        except versions.VersionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Model version {version} is now active."))

    def list_versions(self):
        rows = ModelVersion.objects.without_artifacts().order_by("id")
        if not rows:
            self.stdout.write("No model versions yet: run `python manage.py train`.")
            return
        self.stdout.write(f"{'ID':>4}  {'created (UTC)':<17}  {'CV MAE':>7}  {'rows':>5}  active")
        for version in rows:
            mae = "–" if version.cv_mae is None else f"{version.cv_mae:.1f}"
            self.stdout.write(
                f"{version.pk:>4}  {version.created_at:%Y-%m-%d %H:%M}  {mae:>7}  {version.training_rows:>5}  "
                f"{'*' if version.is_active else ''}"
            )
