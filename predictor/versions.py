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


def previous_model_version() -> ModelVersion | None:
    """The version that was active before the current one (what a rollback re-activates)."""
    return (ModelVersion.objects.filter(is_active=False, activated_at__isnull=False)
            .order_by("-activated_at").without_artifacts().first())


def rollback_model_version() -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    previous = previous_model_version()
    if previous is None:
        raise VersionError("no previously active model version to roll back to")
    return activate_model_version(version_id=previous.pk)


def active_model_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).without_artifacts().first()


@dataclass(frozen=True)
class Comparison:
    """The new and the active version's models scored by the same CV on the same data."""

    rows: int
    new_mae: float
    active_mae: float

    @property
    def margin(self) -> float:
        """How much lower (better) the new version's MAE is; negative when it is worse."""
        return self.active_mae - self.new_mae


@dataclass(frozen=True)
class TrainingOutcome:
    version: ModelVersion
    activated: bool
    reason: str
    previous: ModelVersion | None  # the version that was active when training started
    comparison: Comparison | None  # None when nothing was active


def training_dataset(*, data_path: str | Path | None = None, include_observed: bool = False, progress=lambda m: None):
    """The bundled data (or a CSV), plus the observed days when asked (observed wins on a date)."""
    from ml.dataset import BUNDLED_DAILY_CSV, combine, load_daily_csv
    from predictor.observations import observed_dataset

    path = Path(data_path) if data_path else BUNDLED_DAILY_CSV
    progress(f"loading {path}")
    dataset = load_daily_csv(path)
    if include_observed:
        observed = observed_dataset()
        if observed is not None:
            progress(f"adding {observed.rows} observed days (they replace the CSV's row for the same date)")
            dataset = combine(dataset, observed)
    return dataset, path


def train_model_version(*, data_path: str | Path | None = None, include_observed: bool = False,
                        activate: bool | None = None, notes: str = "", search=None,
                        progress=lambda message: None) -> TrainingOutcome:
    """Train on a daily CSV (plus observed days), store the version, and activate it when asked
    or when it beats the active one.

    activate=None (the default) activates only when nothing is active, or when the new version's
    model has a lower leave-one-month-out MAE than the active version's model, both fitted and
    scored by the same folds of this same data. Raises ml.dataset.DatasetError before anything
    is stored when the data is unusable. search: an ml.tuning.SearchSpace (default: production's).
    """
    from ml.training import cross_validate, train
    from ml.tuning import DEFAULT_SEARCH

    dataset, path = training_dataset(data_path=data_path, include_observed=include_observed, progress=progress)
    progress(f"{dataset.rows} days; nested cross-validation (leave one month out, hyper-parameters chosen inside)")
    result = train(dataset, search=search or _configured_search() or DEFAULT_SEARCH, progress=progress)
    previous = active_model_version()
    comparison = None
    if previous is not None:
        progress(f"champion/challenger: scoring the new model and the active {previous}'s on the same {dataset.rows} days")
        comparison = Comparison(
            rows=dataset.rows,
            new_mae=cross_validate(dataset, result.params)["mae"],
            active_mae=cross_validate(dataset, previous.params)["mae"],
        )
    metrics = dict(result.metrics)
    if comparison is not None:
        metrics["comparison"] = {"against": previous.pk, "rows": comparison.rows,
                                 "new_mae": comparison.new_mae, "active_mae": comparison.active_mae}
    with transaction.atomic():
        version = store_model_version(
            booster=result.booster, params=result.params, dataset=dataset, metrics=metrics,
            interval=result.interval,
            notes=notes or f"trained on {path.name}" + (" and the observed days" if include_observed else ""),
        )
        activated, reason = _activation_decision(version, previous, comparison, activate)
        current = active_model_version()
        if activate is None and activated and _pk(current) != _pk(previous):
            # Someone activated another version while we trained: it was not the one we beat.
            activated, reason = False, f"not activated: {current} was activated while training; compare again"
        if activated:
            version = activate_model_version(version_id=version.pk)
    return TrainingOutcome(version=version, activated=activated, reason=reason, previous=previous,
                           comparison=comparison)


def _pk(version: ModelVersion | None) -> int | None:
    return None if version is None else version.pk


def _configured_search():
    """Tests may set MODEL_SEARCH to a smaller ml.tuning.SearchSpace; production never does."""
    from django.conf import settings

    return getattr(settings, "MODEL_SEARCH", None)


def store_model_version(*, booster, params: dict, dataset, metrics: dict | None = None,
                        interval=None, interval_offset: float | None = None, notes: str = "",
                        is_active: bool = False) -> ModelVersion:
    """Store a fitted booster with what it was trained on (is_active only for a first version).

    interval: an ml.intervals.AdaptiveInterval; its difficulty model is stored as UBJSON bytes and
    its scale (with the artifact's checksum) in metrics["interval"]. interval_offset: the constant
    interval of the versions trained before adaptive intervals.
    """
    artifact = model_io.to_bytes(booster)
    metrics = dict(metrics or {})
    interval_artifact = None
    if interval is not None:
        interval_artifact = model_io.to_bytes(interval.booster)
        metrics["interval"] = {**metrics.get("interval", {}), "scale": interval.scale,
                               "sha256": model_io.sha256(interval_artifact)}
    return ModelVersion.objects.create(
        artifact=artifact,
        sha256=model_io.sha256(artifact),
        params=params,
        metrics=metrics,
        interval_offset=interval_offset,
        interval_artifact=interval_artifact,
        training_data_fingerprint=dataset.fingerprint,
        training_rows=dataset.rows,
        training_last_date=dataset.dates.max().item(),
        feature_ranges=dataset.feature_ranges(),
        is_active=is_active,
        notes=notes,
    )


def _activation_decision(new: ModelVersion, active: ModelVersion | None, comparison: Comparison | None,
                         activate: bool | None) -> tuple[bool, str]:
    if activate is True:
        return True, "activated as asked (--activate)"
    if activate is False:
        return False, "not activated, as asked (--no-activate)"
    if active is None or comparison is None:
        return True, "activated: no model was active"
    scores = f"MAE {comparison.new_mae:.1f} vs {comparison.active_mae:.1f} on the same {comparison.rows} days"
    if comparison.margin > 0:
        return True, f"activated: the new {new} beats the active {active} by {comparison.margin:.1f} ({scores})"
    if comparison.margin == 0:
        return False, f"not activated: the new {new} does not beat the active {active}, a tie ({scores})"
    return False, (f"not activated: the new {new} does not beat the active {active}, "
                   f"which wins by {-comparison.margin:.1f} ({scores})")


@dataclass(frozen=True)
class EnsureOutcome:
    """What ensure_active_model found or did, in words that are true."""

    active: ModelVersion  # the version active now
    trained: ModelVersion | None  # the version trained by this call, if any
    activated_stored: bool = False  # none was active: the newest stored version was activated

    def describe(self) -> str:
        if self.trained is None:
            if self.activated_stored:
                return f"no version was active: activated the newest stored version {self.active.pk}"
            return f"found active version {self.active.pk}"
        if self.trained.pk == self.active.pk:
            return f"trained and activated version {self.trained.pk}"
        return f"trained version {self.trained.pk} but another release activated version {self.active.pk}"

    def summary(self) -> str:
        """The line ensure_model and release end with: what happened, and the active version's CV MAE."""
        mae = self.active.cv_mae
        return f"Model: {self.describe()}" + (f" (CV MAE {mae:.1f})." if mae is not None else ".")


def ensure_active_model(*, progress=lambda message: None) -> EnsureOutcome:
    """Make sure a model is active (release phase); train one on the bundled data if not."""
    active = active_model_version()
    if active is not None:
        return EnsureOutcome(active=active, trained=None)
    latest = ModelVersion.objects.without_artifacts().first()
    if latest is not None:  # versions exist but none is active: the newest is the best guess
        return EnsureOutcome(active=activate_model_version(version_id=latest.pk), trained=None, activated_stored=True)
    outcome = train_model_version(activate=None, notes="trained by the release phase", progress=progress)
    # train_model_version does not activate when another version was activated while it trained.
    return EnsureOutcome(active=outcome.version if outcome.activated else active_model_version(),
                         trained=outcome.version)
