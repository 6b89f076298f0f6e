"""Model versions: train and store one, activate one, roll back. Used by commands and admin.

Training code (and pandas, through ml.dataset) loads only when a training function is called,
never on the web request path.
"""
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ml import model_io
from predictor.models import ModelVersion


class VersionError(Exception):
    """A lifecycle request that cannot be carried out (unknown version, nothing to roll back to)."""


@transaction.atomic
def activate_model_version(*, version_id: int) -> ModelVersion:
    """Make one version the active one; every web process switches within seconds."""
    try:
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise VersionError(f"there is no model version {version_id}") from None
    # Lock the current active row too, so two concurrent activations queue up instead of
    # colliding on the "at most one active" constraint.
    list(ModelVersion.objects.select_for_update().filter(is_active=True).values_list("id", flat=True))
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active = True
    version.activated_at = timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    return version


def rollback_model_version() -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    previous = (
        ModelVersion.objects.filter(is_active=False, activated_at__isnull=False)
        .order_by("-activated_at")
        .values_list("id", flat=True)
        .first()
    )
    if previous is None:
        raise VersionError("no previously active model version to roll back to")
    return activate_model_version(version_id=previous)


def active_model_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).defer("artifact").first()


@dataclass(frozen=True)
class TrainingOutcome:
    version: ModelVersion
    activated: bool
    reason: str
    previous: ModelVersion | None  # the version that was active when training started


def train_model_version(*, data_path: str | Path | None = None, activate: bool | None = None,
                        notes: str = "", progress=lambda message: None) -> TrainingOutcome:
    """Train on a daily CSV, store the version, and activate it when asked or when it is better.

    activate=None (the default) activates only when nothing is active or the new version has a
    lower cross-validated MAE than the active one. Raises ml.dataset.DatasetError before
    anything is stored when the data is unusable.
    """
    from ml.dataset import BUNDLED_DAILY_CSV, load_daily_csv
    from ml.training import train

    path = Path(data_path) if data_path else BUNDLED_DAILY_CSV
    progress(f"loading {path}")
    dataset = load_daily_csv(path)
    progress(f"{dataset.rows} days loaded; cross-validating (leave one month out)")
    result = train(dataset, progress=progress)
    artifact = model_io.to_bytes(result.booster)
    with transaction.atomic():
        previous = active_model_version()
        version = ModelVersion.objects.create(
            artifact=artifact,
            sha256=model_io.sha256(artifact),
            params=result.params,
            metrics=result.metrics,
            training_data_fingerprint=dataset.fingerprint,
            training_rows=dataset.rows,
            feature_ranges=dataset.feature_ranges(),
            notes=notes or f"trained on {path.name}",
        )
        activated, reason = _activation_decision(version, previous, activate)
        if activated:
            version = activate_model_version(version_id=version.pk)
    return TrainingOutcome(version=version, activated=activated, reason=reason, previous=previous)


def _activation_decision(new: ModelVersion, active: ModelVersion | None, activate: bool | None) -> tuple[bool, str]:
    if activate is True:
        return True, "activated as asked (--activate)"
    if activate is False:
        return False, "not activated, as asked (--no-activate)"
    if active is None:
        return True, "activated: no model was active"
    if active.cv_mae is None or new.cv_mae < active.cv_mae:
        return True, f"activated: CV MAE {new.cv_mae:.1f} beats the active {active}'s {_fmt(active.cv_mae)}"
    return False, f"not activated: CV MAE {new.cv_mae:.1f} does not beat the active {active}'s {_fmt(active.cv_mae)}"


def _fmt(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}"


def ensure_active_model(*, progress=lambda message: None) -> tuple[ModelVersion, bool]:
    """Make sure a model is active (release phase); train one on the bundled data if not.

    Returns the active version and whether it was trained now.
    """
    active = active_model_version()
    if active is not None:
        return active, False
    latest = ModelVersion.objects.defer("artifact").first()
    if latest is not None:  # versions exist but none is active: the newest is the best guess
        return activate_model_version(version_id=latest.pk), False
    outcome = train_model_version(activate=None, notes="trained by the release phase", progress=progress)
    return outcome.version, True
