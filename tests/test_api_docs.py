"""The API docs page and the examples of the OpenAPI document: what a newcomer copies must be true."""
import json

from predictor.api import openapi


def test_docs_page_gives_each_input_with_its_unit_and_bounds(client, db):
    html = client.get("/api/v1/docs").content.decode()
    assert "<code>temperature</code>" in html and "\u221240 to 50\u00a0°C" in html
    assert "0 to 100\u00a0%" in html and "0 to 150\u00a0km/h" in html
    assert "Average wind speed over the day" in html


def test_docs_page_shows_a_curl_line_and_the_answer_it_gets(client, db):
    html = client.get("/api/v1/docs").content.decode()
    assert ("curl -X POST http://testserver/api/v1/predictions -H &#x27;Content-Type: application/json&#x27; "
            "-d &#x27;{&quot;temperature&quot;: 20, &quot;humidity&quot;: 60, &quot;windspeed&quot;: 12}&#x27;") in html
    assert "&quot;predicted_count&quot;: 4604" in html and "&quot;interval_low&quot;: 3647" in html


def test_docs_response_boxes_say_what_to_do_until_an_answer_comes(client, db):
    html = client.get("/api/v1/docs").content.decode()
    assert html.count("Send a request to see the answer.") == html.count('class="api-try"') == 5


def test_the_documented_answer_has_the_fields_and_types_of_a_real_one(client, active_version):
    real = client.post("/api/v1/predictions", json.dumps(openapi.EXAMPLES["createPrediction"]),
                       content_type="application/json").json()
    example = openapi.PREDICTION_EXAMPLE
    assert {key: type(value) for key, value in example.items()} == {key: type(value) for key, value in real.items()}
    assert example["interval_low"] < example["predicted_count"] < example["interval_high"]
    document = openapi.document()
    created = document["paths"]["/api/v1/predictions"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["example"] == example
    assert set(document["components"]["schemas"]["Prediction"]["required"]) <= set(example)
