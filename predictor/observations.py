"""Observed outcomes: importing real days, turning them into training data, and each model
version's live error on the observed days it never saw.

Used by the import_observations and train commands and by admin. pandas and the training code
load only inside the functions that need them, never on the web request path.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction

from ml import model_io
from ml.dataset import FEATURES
from predictor.models import ModelVersion, Observation

FIELDS = (*FEATURES, "actual_count")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_observations(*, path: str | Path) -> ImportResult:
    """Validate a daily CSV (date,temperature,humidity,windspeed,count) and store every row.

    All rows or none: a bad row raises ml.dataset.DatasetError naming every bad line, before
    anything is written. A date already observed is overwritten (a correction).
    """
    from ml.dataset import load_daily_csv

    dataset = load_daily_csv(path)
    rows = [
        Observation(date=day.item(), temperature=x[0], humidity=x[1], windspeed=x[2], actual_count=int(count))
        for day, x, count in zip(dataset.dates, dataset.X.tolist(), dataset.y)
    ]
    with transaction.atomic():
        existing = Observation.objects.filter(date__in=[row.date for row in rows]).count()
        Observation.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["date"], update_fields=[*FEATURES, "actual_count", "updated_at"]
        )
    return ImportResult(created=len(rows) - existing, updated=existing)


def observed_dataset():
    """All observations as an ml.dataset.Dataset (validated like any training CSV), or None."""
    import pandas as pd

    from ml.dataset import dataset_from_frame

    values = list(Observation.objects.order_by("date").values_list("date", *FIELDS))
    if not values:
        return None
    frame = pd.DataFrame(values, columns=["date", *FEATURES, "count"])
    frame["date"] = frame["date"].map(lambda day: day.isoformat())
    return dataset_from_frame(frame, source="observations")


@dataclass(frozen=True)
class LiveError:
    mae: float
    days: int


def live_error(version: ModelVersion) -> LiveError | None:
    """The version's MAE over observed days after its training data ends (days it never saw).

    None when there is no such day. The version's own artifact makes the predictions, so the
    answer does not depend on which version is active or on what users happened to ask.
    """
    unseen = Observation.objects.all()
    if version.training_last_date is not None:
        unseen = unseen.filter(date__gt=version.training_last_date)
    values = np.array(list(unseen.values_list(*FIELDS)), dtype=np.float64).reshape(-1, len(FIELDS))
    if not len(values):
        return None
    stored = ModelVersion.objects.only("artifact", "sha256").get(pk=version.pk)
    booster = model_io.from_bytes(bytes(stored.artifact), expected_sha256=stored.sha256)
    predicted = np.maximum(model_io.predict(booster, values[:, :3]), 0.0)
    return LiveError(mae=float(np.mean(np.abs(predicted - values[:, 3]))), days=len(values))
