"""The model versions (artifacts live in the database), the append-only prediction history, and
the observed outcomes of real days."""
from django.db import models
from django.db.models import Q

from predictor import ids


class ModelVersionQuerySet(models.QuerySet):
    def without_artifacts(self):
        """Versions to list, show or choose: every field but the model bytes (tens of KB each)."""
        return self.defer(*ModelVersion.ARTIFACT_FIELDS)


class ModelVersion(models.Model):
    """One trained XGBoost model: its artifact, how it was made, and how good it is."""

    # The model bytes: loaded only to serve or score a version (ModelVersion.objects.without_artifacts()).
    ARTIFACT_FIELDS = ("artifact", "interval_artifact")

    artifact = models.BinaryField(help_text="XGBoost UBJSON bytes (never pickle).")
    sha256 = models.CharField(max_length=64, help_text="Checksum of the artifact, verified on every load.")
    created_at = models.DateTimeField(auto_now_add=True)
    params = models.JSONField(default=dict, help_text="XGBoost training parameters.")
    metrics = models.JSONField(
        default=dict, help_text="Cross-validated metrics of the model and its baselines."
    )
    training_data_fingerprint = models.CharField(max_length=64)
    training_rows = models.PositiveIntegerField()
    feature_ranges = models.JSONField(
        default=dict, help_text="[min, max] of each feature in the training data."
    )
    interval_offset = models.FloatField(
        null=True, blank=True,
        help_text="Versions trained before adaptive intervals: the 80 % interval is the prediction ± this.",
    )
    interval_artifact = models.BinaryField(
        null=True, blank=True,
        help_text="XGBoost UBJSON bytes of the interval's difficulty model: the 80 % interval is the "
                  "prediction ± metrics.interval.scale × its output (normalised split-conformal).",
    )
    training_last_date = models.DateField(
        null=True, blank=True, help_text="The last day in the training data; later observed days are unseen."
    )
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True, help_text="Last time it became active.")
    notes = models.TextField(blank=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="at_most_one_active_model"
            )
        ]

    def __str__(self):
        return f"v{self.pk}"

    @property
    def cv_mae(self) -> float | None:
        return (self.metrics or {}).get("cv", {}).get("mae")

    @property
    def interval_coverage(self) -> float | None:
        """The share of held-out days the interval covered in cross-validation."""
        return (self.metrics or {}).get("interval_cv", {}).get("coverage")

    @property
    def interval_mean_width(self) -> float | None:
        """The mean width of the interval over held-out days in cross-validation."""
        return (self.metrics or {}).get("interval_cv", {}).get("mean_width")

    @property
    def has_adaptive_interval(self) -> bool:
        return "scale" in (self.metrics or {}).get("interval", {})

    @property
    def interval_description(self) -> str:
        """The 80 % interval in a few words: constant (older versions) or adaptive, and its CV coverage."""
        coverage = "" if self.interval_coverage is None else f" ({self.interval_coverage * 100:.0f} %)"
        if self.interval_offset is not None:
            return f"± {self.interval_offset:.0f}{coverage}"
        if self.interval_mean_width is not None and self.has_adaptive_interval:
            return f"adaptive, mean width {self.interval_mean_width:,.0f}{coverage}"
        return "–"


class Prediction(models.Model):
    """One answered prediction, as the user gave it. Append-only: never updated or deleted."""

    class Source(models.TextChoices):
        FORM = "form", "Web form"
        API = "api", "API"
        BATCH = "batch", "API batch"

    id = models.UUIDField(primary_key=True, default=ids.new_id, editable=False)
    temperature = models.FloatField(help_text="°C")
    humidity = models.FloatField(help_text="%")
    windspeed = models.FloatField(help_text="km/h")
    predicted_count = models.FloatField()
    interval_low = models.FloatField(null=True, blank=True, help_text="80 % prediction interval, lower end.")
    interval_high = models.FloatField(null=True, blank=True, help_text="80 % prediction interval, upper end.")
    outside_training_range = models.BooleanField(
        default=False, help_text="Some input lies outside what the model was trained on."
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="predictions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{round(self.predicted_count)} rentals ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Predictions are append-only history and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Predictions are append-only history and cannot be deleted.")

    @property
    def rounded_count(self) -> int:
        return max(0, round(self.predicted_count))

    @property
    def rounded_interval(self) -> tuple[int, int] | None:
        if self.interval_low is None or self.interval_high is None:
            return None
        return max(0, round(self.interval_low)), max(0, round(self.interval_high))


class Observation(models.Model):
    """What really happened on a day: its weather and how many bikes were rented. Staff may edit."""

    date = models.DateField(unique=True)
    temperature = models.FloatField(help_text="°C, the day's average")
    humidity = models.FloatField(help_text="%, the day's average")
    windspeed = models.FloatField(help_text="km/h, the day's average")
    actual_count = models.PositiveIntegerField(help_text="Bikes actually rented that day.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date}: {self.actual_count} rentals"

    def clean(self):
        # The same physical bounds as the training data and the prediction form.
        from django.core.exceptions import ValidationError

        from ml.dataset import PHYSICAL_BOUNDS

        errors = {}
        for name, (low, high) in PHYSICAL_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                errors[name] = f"Must be between {low:g} and {high:g}."
        if errors:
            raise ValidationError(errors)


class RateLimitCounter(models.Model):
    """POSTs counted per client IP and window, shared by every worker of every dyno.

    Written only by predictor.ratelimit: each process's periodic sync (one upsert for every key it
    counted since the last one), and an exact upsert per request only near a client's limit.
    """

    key = models.CharField(max_length=100, primary_key=True)
    window_start = models.FloatField(help_text="Unix time the current window began.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.hits}"


class PredictionDay(models.Model):
    """How many predictions one model version made through one door on one closed (UTC) day.

    The dashboard's summary of the history: exact for every day before SummaryWatermark, rebuilt
    or extended only by predictor.history.summary, and decremented by pruning. Days from the
    watermark on are counted from the raw rows, so no prediction ever writes here.
    """

    day = models.DateField()
    source = models.CharField(max_length=16, choices=Prediction.Source.choices)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    predictions = models.PositiveIntegerField()
    outside = models.PositiveIntegerField(help_text="Of those, with an input outside the training range.")

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "source", "model_version"],
                                               name="one_summary_row_per_day_source_version")]

    def __str__(self):
        return f"{self.day} {self.source} v{self.model_version_id}: {self.predictions}"


class SummaryWatermark(models.Model):
    """One row: PredictionDay holds every day before `days_before` (None: nothing summarised yet)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    days_before = models.DateField(null=True)

    def __str__(self):
        return f"summarised before {self.days_before}"
