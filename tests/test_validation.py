"""API input validation: the form's verdict and messages, every error of a request at once."""
import json
import math
import sys

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from predictor import validation
from predictor.forms import PredictionForm
from predictor.models import Prediction

VALID = {"temperature": 20, "humidity": 60, "windspeed": 12}


def form_verdict(name, value):
    """What the form's own field says of a value: [] or its messages."""
    try:
        PredictionForm.base_fields[name].clean(value)
    except ValidationError as exc:
        return exc.messages
    return []


def candidate_values(name):
    low, high = PHYSICAL_BOUNDS[name]
    values = [low, high, 0, 0.0, -0.0, 1, (low + high) / 2, math.nan, math.inf, -math.inf,
              sys.float_info.max, -sys.float_info.max, sys.float_info.min, 10**400, -(10**400)]
    for bound in (low, high):
        values += [math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf), bound - 1, bound + 1,
                   int(bound) - 1, int(bound) + 1]
    rng = np.random.default_rng(0)
    values += rng.uniform(low - 50, high + 50, 200).tolist()
    return values


@pytest.mark.parametrize("name", FEATURES)
def test_every_value_gets_the_forms_verdict_and_messages_single_and_batch(name):
    # Guards the vectorised check: a rule the form gains (a new validator, other bounds) fails here.
    values = candidate_values(name)
    rows = [{**VALID, name: value} for value in values]
    _, batch_errors = validation.validate_rows(rows)
    for index, (row, value) in enumerate(zip(rows, values)):
        try:
            expected = form_verdict(name, float(value))
        except OverflowError:  # a JSON integer beyond float range
            expected = form_verdict(name, math.inf)
        cleaned, errors = validation.validate_row(row)
        assert errors.get(name, []) == expected, value
        assert (cleaned is None) == bool(expected)
        assert batch_errors.get(f"inputs.{index}.{name}", []) == expected, value
    assert set(batch_errors) <= {f"inputs.{index}.{name}" for index in range(len(rows))}


def test_every_error_of_one_input_is_named_at_once():
    _, errors = validation.validate_row({"temperature": 99, "humidity": "60", "pressure": 1013})
    assert errors == {
        "temperature": ["Temperature must be at most 50 °C."],
        "humidity": ["Enter the humidity as a number in %."],
        "windspeed": ["Enter the wind speed in km/h."],
        "pressure": ["Unknown field."],
    }


def test_every_error_of_every_batch_row_is_named_at_once():
    rows = [VALID, {"temperature": -41, "humidity": 101, "windspeed": 12}, VALID,
            {"temperature": None, "humidity": 60, "windspeed": 151, "x": 1}, "a string", {**VALID, "humidity": True}]
    matrix, errors = validation.validate_rows(rows)
    assert matrix is None
    assert errors == {
        "inputs.1.temperature": ["Temperature must be at least -40 °C."],
        "inputs.1.humidity": ["Humidity must be at most 100 %."],
        "inputs.3.temperature": ["Enter the temperature in °C."],
        "inputs.3.windspeed": ["Wind speed must be at most 150 km/h."],
        "inputs.3.x": ["Unknown field."],
        "inputs.4.non_field_errors": ["Expected a JSON object with temperature, humidity and windspeed."],
        "inputs.5.humidity": ["Enter the humidity as a number in %."],
    }


def test_a_valid_batch_becomes_its_matrix():
    rows = [VALID, {"temperature": -40, "humidity": 0.5, "windspeed": 150}]
    matrix, errors = validation.validate_rows(rows)
    assert errors == {}
    assert matrix.tolist() == [[20.0, 60.0, 12.0], [-40.0, 0.5, 150.0]]


def test_the_api_answers_every_field_error_together(client, active_version):
    response = client.post("/api/v1/predictions", json.dumps({"temperature": 51, "humidity": -1}),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "temperature": ["Temperature must be at most 50 °C."],
        "humidity": ["Humidity must be at least 0 %."],
        "windspeed": ["Enter the wind speed in km/h."],
    }
    assert Prediction.objects.count() == 0


def test_the_batch_api_answers_every_error_of_every_row(client, active_version):
    inputs = [VALID, {"temperature": 51, "humidity": -1, "windspeed": 12}, {"humidity": 60, "windspeed": 200}]
    response = client.post("/api/v1/predictions/batch", json.dumps({"inputs": inputs}),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "inputs.1.temperature": ["Temperature must be at most 50 °C."],
        "inputs.1.humidity": ["Humidity must be at least 0 %."],
        "inputs.2.temperature": ["Enter the temperature in °C."],
        "inputs.2.windspeed": ["Wind speed must be at most 150 km/h."],
    }
    assert Prediction.objects.count() == 0
