"""The words beside the charts: what a person reads in a few seconds, true to the numbers."""
import datetime as dt

import pytest

from predictor import figures
from predictor.history.dashboard import HistorySummary, Period
from predictor.services import Curve


def curve(values, predictions, given, training_range=(0.0, 30.0), feature="temperature"):
    return Curve(feature=feature, values=values, predictions=predictions, given=given,
                 given_prediction=predictions[values.index(given)], training_range=training_range)


def test_a_curve_that_peaks_inside_the_range_is_read_as_a_peak():
    text = figures.what_if_caption(curve([0.0, 10.0, 20.0, 30.0], [1000.0, 3000.0, 5000.0, 3500.0], 10.0))
    assert "rentals are highest, about 5,000, around 20\u00a0°C" in text
    assert "At your 10\u00a0°C: about 3,000." in text


def test_a_falling_curve_is_read_as_fewer_rentals():
    text = figures.what_if_caption(curve([0.0, 50.0, 100.0], [4000.0, 3500.0, 2000.0], 50.0, (0.0, 100.0), "humidity"))
    assert "more humid days mean fewer rentals: about 4,000 at 0\u00a0%, 2,000 at 100\u00a0%" in text


def test_a_flat_curve_says_the_input_barely_matters():
    text = figures.what_if_caption(curve([0.0, 20.0, 40.0], [3000.0, 3010.0, 3020.0], 20.0, (0.0, 40.0), "windspeed"))
    assert "the wind speed barely changes the forecast" in text


def test_an_input_beyond_the_training_range_is_called_out():
    text = figures.what_if_caption(curve([0.0, 30.0, 45.0], [1000.0, 4000.0, 4000.0], 45.0))
    assert "Beyond the shaded range the model saw no days" in text


def test_chart_description_names_axes_range_and_point():
    text = figures.what_if_description(curve([-5.0, 10.0, 35.0], [1000.0, 3000.0, 4000.0], 10.0, (-5.2, 31.9)))
    assert "temperature from −5 to 35\u00a0°C" in text and "the training range, −5.2 to 31.9\u00a0°C" in text
    assert "Marked: your 10\u00a0°C, 3,000 rentals." in text


def test_per_day_caption_counts_sources_and_names_the_busiest_day():
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    summary = HistorySummary(period=period, total=9, per_day={"form": [1, 0, 2], "api": [0, 5, 0], "batch": [0, 0, 1]},
                             versions=[])
    figure = figures.per_day_figure(summary, {"form": "Web form", "api": "API", "batch": "API batch"})
    assert figure.caption == ("9 predictions from 1 Mar 2026 to 3 Mar 2026: 3 from the web form, 5 through the API, "
                              "1 in API batches. The busiest day was 2 Mar with 5.")


def test_contributions_reading_adds_up_to_the_forecast(active_version):
    from predictor import services

    prediction = services.predict_and_record(temperature=28.0, humidity=40.0, windspeed=8.0, source="form")
    explanation = services.explain_prediction(prediction)
    figure = figures.contributions_figure(explanation)
    assert explanation.prediction == pytest.approx(prediction.predicted_count, abs=1.0)
    assert figure.caption.startswith(f"An average day has about {figures.number(explanation.base)} rentals")
    assert figure.caption.endswith(f"giving about {figures.number(explanation.prediction)}.")
    up = max(explanation.contributions, key=explanation.contributions.get)
    assert f"the {figures.feature_label(up)} adds the most ({figures.signed(explanation.contributions[up])})" in figure.caption
    assert figure.chart.count("<rect") == len(explanation.contributions)


def test_contributions_reading_says_a_negative_total_is_clipped_to_zero():
    from ml.explain import Explanation

    explanation = Explanation(base=2000.0, contributions={"temperature": -2600.0, "humidity": 150.0, "windspeed": -50.0})
    caption = figures.contributions_reading(explanation)
    assert "Together they come to −500, below zero" in caption
    assert caption.endswith("the forecast is clipped to 0.")


def test_outside_words_agree_in_number():
    assert figures.outside_words(["temperature"]) == "Your temperature lies"
    assert figures.outside_words(["temperature", "windspeed"]) == "Your temperature and wind speed lie"
    assert figures.outside_words(["temperature", "humidity", "windspeed"]) == \
        "Your temperature, humidity and wind speed lie"


def test_inputs_read_with_true_minus_and_unbreakable_units():
    assert figures.input_quantities({"temperature": -5.25, "humidity": 60.0, "windspeed": 12.5}) == [
        ("Temperature", "−5.25\u00a0°C"), ("Humidity", "60\u00a0%"), ("Wind speed", "12.5\u00a0km/h")]
