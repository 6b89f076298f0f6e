"""The API's answers: a prediction as JSON, and a batch's {"predictions": [prediction_json(p), ...]}
written as text directly.

A dict per row, encoded by JsonResponse, is a large part of a big batch's time; one f-string per
row, with the few distinct timestamps and sources encoded once, gives the same bytes for less.
tests/test_fast_path.py holds the two equal.
"""
import json

from predictor.models import Prediction


def prediction_json(prediction: Prediction) -> dict:
    return {
        "id": str(prediction.id),
        "created_at": prediction.created_at.isoformat(),
        "temperature": prediction.temperature,
        "humidity": prediction.humidity,
        "windspeed": prediction.windspeed,
        "predicted_count": prediction.rounded_count,
        # The 80 % prediction interval; null for versions trained before intervals existed.
        "interval_low": (prediction.rounded_interval or (None, None))[0],
        "interval_high": (prediction.rounded_interval or (None, None))[1],
        "model_version": prediction.model_version_id,
        "outside_training_range": prediction.outside_training_range,
        "source": prediction.source,
    }


def predictions_document(predictions: list[Prediction]) -> str:
    encoded = {}  # timestamps and sources: a batch has one of each; JSON-encode them once

    def once(value) -> str:
        text = encoded.get(value)
        if text is None:
            text = encoded[value] = json.dumps(value.isoformat() if hasattr(value, "isoformat") else value)
        return text

    rows = []
    for p in predictions:
        low, high = p.rounded_interval or ("null", "null")
        rows.append(
            f'{{"id": "{p.id}", "created_at": {once(p.created_at)}, "temperature": {p.temperature!r}, '
            f'"humidity": {p.humidity!r}, "windspeed": {p.windspeed!r}, "predicted_count": {p.rounded_count}, '
            f'"interval_low": {low}, "interval_high": {high}, "model_version": {p.model_version_id}, '
            f'"outside_training_range": {"true" if p.outside_training_range else "false"}, '
            f'"source": {once(p.source)}}}'
        )
    return '{"predictions": [' + ", ".join(rows) + "]}"
