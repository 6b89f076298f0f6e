"""The one validation shared by the form and the API: physical quantities with physical bounds."""
import pytest

from predictor.forms import PredictionForm

VALID = {"temperature": "20", "humidity": "60", "windspeed": "12"}


def form_with(**changes):
    return PredictionForm(data={**VALID, **changes})


def test_form_accepts_typical_weather():
    form = form_with()
    assert form.is_valid()
    assert form.cleaned_data == {"temperature": 20.0, "humidity": 60.0, "windspeed": 12.0}


@pytest.mark.parametrize("field,value", [("temperature", "-40"), ("temperature", "50"), ("humidity", "0"),
                                         ("humidity", "100"), ("windspeed", "0"), ("windspeed", "150")])
def test_form_accepts_the_bounds_themselves(field, value):
    assert form_with(**{field: value}).is_valid()


def test_form_rejects_humidity_over_100():
    form = form_with(humidity="100.5")
    assert not form.is_valid()
    assert form.errors["humidity"] == ["Humidity must be at most 100 %."]


def test_form_rejects_temperature_below_minus_40():
    assert form_with(temperature="-41").errors["temperature"] == ["Temperature must be at least -40 °C."]


def test_form_rejects_negative_wind():
    assert form_with(windspeed="-1").errors["windspeed"] == ["Wind speed must be at least 0 km/h."]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e309", "twenty", "20 °C", "0x10"])
def test_form_rejects_values_that_are_not_finite_numbers(value):
    form = form_with(temperature=value)
    assert not form.is_valid()
    assert "temperature" in form.errors


@pytest.mark.parametrize("typed,value", [("12,5", 12.5), ("-3,25", -3.25), ("\u22125.2", -5.2), (" 20 ", 20.0)])
def test_form_reads_a_decimal_comma_and_a_true_minus_sign(typed, value):
    form = form_with(temperature=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["temperature"] == value


@pytest.mark.parametrize("typed", ["1,2,5", "1.000,5", "12,5 °C"])
def test_form_refuses_what_is_not_one_decimal_number(typed):
    assert form_with(temperature=typed).errors["temperature"] == ["Enter the temperature as a number in °C."]


def test_form_invalid_message_names_the_unit():
    assert form_with(humidity="wet").errors["humidity"] == ["Enter the humidity as a number in %."]


def test_form_requires_every_field():
    form = PredictionForm(data={})
    assert not form.is_valid()
    assert set(form.errors) == {"temperature", "humidity", "windspeed"}
    assert form.errors["windspeed"] == ["Enter the wind speed in km/h."]
