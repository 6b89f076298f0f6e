"""Predictions stamped on past days, stored as a bulk load would store them (not by the app)."""
import datetime as dt

from predictor import ids, recording
from predictor.models import Prediction


def add_rows(version, when: dt.datetime, count: int = 1, *, source: str = "api", outside: bool = False,
             temperature: float = 21.5):
    rows = [{"id": ids.new_id(), "temperature": temperature, "humidity": 60.0, "windspeed": 10.0,
             "predicted_count": 1234.56, "interval_low": 1000.04, "interval_high": 1500.0,
             "outside_training_range": outside, "model_version_id": version.pk, "created_at": when, "source": source}
            for _ in range(count)]
    predictions = recording.new_predictions(rows)
    recording.insert_many(predictions)
    # below COPY_MIN_ROWS the ORM stamps them now (auto_now_add): put them on their day, as SQL would
    Prediction.objects.filter(pk__in=[p.pk for p in predictions]).update(created_at=when)
    return predictions


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)
