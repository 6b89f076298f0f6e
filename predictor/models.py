"""The model versions (artifacts live in the database) and the append-only prediction history."""
import uuid

from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    """One trained XGBoost model: its artifact, how it was made, and how good it is."""

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
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True, help_text="Last time it became active.")
    notes = models.TextField(blank=True)

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


class Prediction(models.Model):
    """One answered prediction, as the user gave it. Append-only: never updated or deleted."""

    class Source(models.TextChoices):
        FORM = "form", "Web form"
        API = "api", "API"
        BATCH = "batch", "API batch"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    temperature = models.FloatField(help_text="°C")
    humidity = models.FloatField(help_text="%")
    windspeed = models.FloatField(help_text="km/h")
    predicted_count = models.FloatField()
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


class RateLimitCounter(models.Model):
    """POSTs counted per client IP and window, shared by every worker of every dyno.

    Written only by predictor.ratelimit with one atomic upsert per request.
    """

    key = models.CharField(max_length=100, primary_key=True)
    window_start = models.FloatField(help_text="Unix time the current window began.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.hits}"
