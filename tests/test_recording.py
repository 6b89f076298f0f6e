"""predictor.recording: batch instances made without the model's constructor are the instances it
makes (these tests fail if a Django upgrade changes what that relies on), and stored predictions
are in the state Model.save() leaves."""
import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.models.signals import post_init, pre_init

from predictor import ids, recording
from predictor.models import ModelVersion, Prediction

VALUES = {"id": uuid.UUID("01920000-0000-7000-8000-000000000001"), "temperature": 21.5, "humidity": 60.0,
          "windspeed": 10.0, "predicted_count": 1234.56, "interval_low": 1000.04, "interval_high": 1500.0,
          "outside_training_range": True, "model_version_id": 7,
          "created_at": dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc), "source": "batch"}


def _fields(prediction: Prediction) -> dict:
    return {name: value for name, value in vars(prediction).items() if name != "_state"}


def _as_read(state) -> dict:
    # Every attribute Django can read from the state, lazily made ones (fields_cache) included.
    return {name: getattr(state, name) for name in dir(state) if not name.startswith("__")}


def test_a_row_naming_every_field_skips_the_constructor_and_gets_the_instance_it_makes(monkeypatch):
    constructed = Prediction(**VALUES)

    def constructor_must_not_run(self, *args, **kwargs):
        raise AssertionError("Prediction.__init__ ran")

    monkeypatch.setattr(Prediction, "__init__", constructor_must_not_run)
    made, = recording.new_predictions([dict(VALUES)])
    monkeypatch.undo()
    assert type(made) is Prediction
    assert _fields(made) == _fields(constructed)
    assert type(made._state) is type(constructed._state)
    assert _as_read(made._state) == _as_read(constructed._state)
    assert (made._state.adding, made._state.db) == (True, None)


def test_the_constructor_stores_nothing_but_the_values_when_every_field_is_named():
    # What the shortcut copies: the constructor's instance holds each value as given, under its
    # field's attname, and nothing else; a Django that stored more (or elsewhere) fails here.
    constructed = Prediction(**VALUES)
    assert set(vars(constructed)) == {"_state", *VALUES}
    assert all(vars(constructed)[name] is value for name, value in VALUES.items())
    assert {field.attname for field in Prediction._meta.concrete_fields} == set(VALUES)


def test_rows_not_naming_every_field_are_made_by_the_constructor():
    without_flag = {name: value for name, value in VALUES.items() if name != "outside_training_range"}
    made, = recording.new_predictions([without_flag])
    assert made.outside_training_range is False  # the field's default
    with pytest.raises(TypeError, match="temprature"):
        recording.new_predictions([{**VALUES, "temprature": 20.0}])


@pytest.mark.parametrize("signal", [pre_init, post_init])
def test_a_receiver_of_the_constructors_signals_gets_them_for_every_row(signal):
    heard = []

    def receiver(sender, **kwargs):
        heard.append(sender)

    signal.connect(receiver, sender=Prediction)
    try:
        made = recording.new_predictions([dict(VALUES), {**VALUES, "id": ids.new_id()}])
    finally:
        signal.disconnect(receiver, sender=Prediction)
    assert heard == [Prediction, Prediction]
    assert _fields(made[0]) == _fields(Prediction(**VALUES))


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, recording.COPY_MIN_ROWS + 1], ids=["INSERT", "COPY"])
def test_a_stored_prediction_is_in_the_state_save_leaves_and_reads_back_as_given(rows):
    version = ModelVersion.objects.create(artifact=b"", sha256="", training_data_fingerprint="", training_rows=0)
    saved = Prediction(**{**VALUES, "id": ids.new_id(), "model_version_id": version.pk})
    saved.save()
    predictions = recording.new_predictions({**VALUES, "id": ids.new_id(), "model_version_id": version.pk}
                                            for _ in range(rows))
    if rows == 1:
        recording.insert_one(predictions[0])
    else:
        recording.insert_many(predictions)
    for prediction in predictions:
        assert (prediction._state.adding, prediction._state.db) == (saved._state.adding, saved._state.db)
    stored = Prediction.objects.get(pk=predictions[-1].pk)
    assert _fields(stored) == _fields(predictions[-1])
    assert stored._state.db == connection.alias


@pytest.mark.parametrize("interval", [(1000.04, 1500.0), (None, None)], ids=["interval", "no interval"])
def test_on_postgresql_the_insert_sends_the_values_djangos_own_insert_would(interval):
    # insert_one hands psycopg2 the instance's values as they are; this fails if Django's
    # preparation of any field (get_db_prep_save) ever makes something else of them.
    if connection.vendor != "postgresql":
        pytest.skip("the values pass through unprepared on PostgreSQL only")
    prediction, = recording.new_predictions([{**VALUES, "interval_low": interval[0], "interval_high": interval[1]}])
    prepared = [field.get_db_prep_save(getattr(prediction, field.attname), connection)
                for field in Prediction._meta.concrete_fields]
    sent = recording._db_values(prediction)
    assert [(type(value), value) for value in sent] == [(type(value), value) for value in prepared]
