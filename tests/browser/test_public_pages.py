"""The form and the result page as a person uses them: keyboard, screen, phone."""
from predictor.models import Prediction
from tests.browser.conftest import RESULT_URL, forecast, submit_form


def test_keyboard_user_submits_the_form_and_sees_the_result_with_its_charts(page, active_version):
    page.goto("/")
    page.get_by_label("Temperature").focus()
    page.keyboard.type("21.5")
    page.keyboard.press("Tab")
    page.keyboard.type("55")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    page.wait_for_url(RESULT_URL)

    prediction = Prediction.objects.get()
    assert prediction.temperature == 21.5 and prediction.source == "form"
    assert page.get_by_role("heading", name="Forecast", level=1).is_visible()
    assert page.locator(".result-figure strong").inner_text() == f"{prediction.rounded_count:,}"
    charts = page.get_by_role("img")
    assert charts.count() == 4
    assert page.get_by_role("img", name="What each input adds to or takes from an average day").is_visible()
    assert "An average day has about" in page.locator("#contributions figcaption").inner_text()
    assert "Likely between" in page.locator(".result-interval").inner_text()
    for name in ["temperature", "humidity", "wind speed"]:
        chart = page.get_by_role("img", name=f"Predicted rentals against {name}")
        assert chart.is_visible() and chart.bounding_box()["height"] > 100
    assert "At your 21.5\u00a0°C" in page.locator("#what-if-temperature figcaption").inner_text()
    assert page.problems.errors == []


def test_invalid_value_shows_the_field_error_and_nothing_is_stored(page, active_version):
    page.goto("/")
    submit_form(page, temperature="20", humidity="140", windspeed="12")

    assert page.get_by_role("alert").inner_text().count("Humidity must be at most 100\u00a0%.") == 1
    humidity = page.get_by_label("Humidity")
    assert humidity.get_attribute("aria-invalid") == "true"
    assert humidity.input_value() == "140"  # what was typed stays, to be corrected
    assert page.locator("#id_humidity_error").inner_text() == "Humidity must be at most 100\u00a0%."
    # The summary links to the field; following it puts the cursor there.
    page.get_by_role("link", name="Humidity must be at most 100\u00a0%.").click()
    assert page.evaluate("document.activeElement.id") == "id_humidity"
    assert Prediction.objects.count() == 0


def test_result_page_fits_a_phone_screen(phone_page, active_version):
    forecast(phone_page, temperature="38", humidity="60", windspeed="12")
    assert phone_page.get_by_role("heading", name="Outside what the model has seen").is_visible()
    # Nothing wider than the screen: no sideways scrolling.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    box = phone_page.get_by_role("img", name="Predicted rentals against temperature").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
