"""The OpenAPI 3 description of the JSON API, built from the same bounds the form enforces."""
import json

from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from predictor.forms import PredictionForm
from predictor.typography import UNITS, quantity, written

MAX_BATCH_ROWS = 10_000


def _input_schema() -> dict:
    properties = {}
    for name in FEATURES:
        low, high = PHYSICAL_BOUNDS[name]
        properties[name] = {
            "type": "number",
            "minimum": low,
            "maximum": high,
            "description": f"{PredictionForm.base_fields[name].help_text} Unit: {UNITS[name]}.",
        }
    return {"type": "object", "properties": properties, "required": list(FEATURES), "additionalProperties": False}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}


def _json(schema_name: str, description: str, example: dict | None = None) -> dict:
    content = {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


# What the API answers, as it answers it (tests/test_api_schema.py checks these against the schemas).
PREDICTION_EXAMPLE = {
    "id": "01a223b7-045a-7f80-9979-1ab17b7b1257", "created_at": "2026-11-28T19:52:06.490784+00:00",
    "temperature": 20.0, "humidity": 60.0, "windspeed": 12.0,
    "predicted_count": 4604, "interval_low": 3647, "interval_high": 5560,
    "model_version": 1, "outside_training_range": False, "source": "api",
}
BATCH_EXAMPLE = {"predictions": [
    {**PREDICTION_EXAMPLE, "source": "batch"},
    {**PREDICTION_EXAMPLE, "id": "01a223b7-045a-7f80-9979-1ab17b7b1258", "temperature": 5.0, "humidity": 85.0,
     "windspeed": 25.0, "predicted_count": 1530, "interval_low": 574, "interval_high": 2487, "source": "batch"},
]}


_METRICS = {"type": "object", "properties": {"mae": {"type": "number"}, "rmse": {"type": "number"}, "r2": {"type": "number"}}}
_SHARES = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}
_INTERVAL_CV = {
    "type": "object",
    "description": "The 80 % interval scored by nested leave-one-month-out cross-validation: each month's "
                   "interval was calibrated without that month. Versions before adaptive intervals have only "
                   "level, coverage and mean_width.",
    "properties": {
        "level": {"type": "number", "description": "Nominal coverage (0.8)"},
        "coverage": {"type": "number", "description": "Share of held-out days whose count lay in their interval"},
        "coverage_by_quarter": {**_SHARES, "description": "Coverage per calendar quarter: Q1 to Q4"},
        "coverage_by_predicted_quartile": {
            **_SHARES, "description": "Coverage per quarter of days by predicted count: L1 lowest to L4 highest"},
        "mean_width": {"type": "number", "description": "Mean width of the interval (rentals)"},
        "min_width": {"type": "number"},
        "max_width": {"type": "number"},
    },
}
_INTERVAL = {
    "type": "object",
    "description": "How this version sizes the 80 % interval: prediction ± scale × its difficulty model's output "
                   "(normalised split-conformal, the width adapts to the day), or prediction ± offset for "
                   "versions trained before adaptive intervals.",
    "properties": {
        "level": {"type": "number"},
        "method": {"type": "string"},
        "scale": {"type": "number"},
        "min_difficulty": {"type": "number"},
        "offset": {"type": "number"},
    },
}


def document() -> dict:
    prediction_id = {"name": "prediction_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Bike rental forecast API",
            "version": "1.0.0",
            "description": "Daily bike rentals of Capital Bikeshare (Washington D.C.) forecast from the day's "
                           "weather by an XGBoost model. Every prediction is stored. No authentication.",
        },
        "paths": {
            "/api/v1/predictions": {"post": {
                "summary": "Predict one day's rentals and store the prediction",
                "operationId": "createPrediction",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PredictionInput"},
                    "example": {"temperature": 20, "humidity": 60, "windspeed": 12}}}},
                "responses": {
                    "201": _json("Prediction", "Predicted and stored", PREDICTION_EXAMPLE),
                    "400": _error("Invalid input: errors by field"),
                    "413": _error("Body too large"),
                    "415": _error("Body is not application/json"),
                    "503": _error("No model or no database: nothing stored"),
                },
            }},
            "/api/v1/predictions/batch": {"post": {
                "summary": f"Predict up to {MAX_BATCH_ROWS:,} days at once; all stored, or none",
                "operationId": "createBatch",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/BatchInput"}}}},
                "responses": {
                    "201": _json("BatchResult", "All predicted and stored, in input order", BATCH_EXAMPLE),
                    "400": _error('Invalid input: errors keyed "inputs.<index>.<field>"; nothing stored'),
                    "413": _error(f"More than {MAX_BATCH_ROWS:,} inputs, or body too large; nothing stored"),
                    "415": _error("Body is not application/json"),
                    "503": _error("No model or no database: nothing stored"),
                },
            }},
            "/api/v1/predictions/{prediction_id}": {"get": {
                "summary": "A stored prediction",
                "operationId": "getPrediction",
                "parameters": [prediction_id],
                "responses": {"200": _json("Prediction", "The prediction", PREDICTION_EXAMPLE),
                              "404": _error("No such prediction")},
            }},
            "/api/v1/models/active": {"get": {
                "summary": "The active model version: metrics and training ranges",
                "operationId": "getActiveModel",
                "responses": {"200": _json("ModelVersion", "The active version"), "503": _error("No active model")},
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "getOpenApi",
                "responses": {"200": {"description": "OpenAPI 3 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": {
            "PredictionInput": _input_schema(),
            "BatchInput": {
                "type": "object",
                "properties": {"inputs": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_ROWS,
                                          "items": {"$ref": "#/components/schemas/PredictionInput"}}},
                "required": ["inputs"],
                "additionalProperties": False,
            },
            "Prediction": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "temperature": {"type": "number"},
                    "humidity": {"type": "number"},
                    "windspeed": {"type": "number"},
                    "predicted_count": {"type": "integer", "minimum": 0, "description": "Rentals that day"},
                    "interval_low": {"type": "integer", "minimum": 0, "nullable": True,
                                     "description": "Lower end of the 80 % prediction interval"},
                    "interval_high": {"type": "integer", "minimum": 0, "nullable": True,
                                      "description": "Upper end of the 80 % prediction interval"},
                    "model_version": {"type": "integer"},
                    "outside_training_range": {"type": "boolean",
                                               "description": "Some input lies outside the model's training data"},
                    "source": {"type": "string", "enum": ["form", "api", "batch"]},
                },
                "required": ["id", "created_at", "temperature", "humidity", "windspeed", "predicted_count",
                             "model_version", "outside_training_range", "source"],
            },
            "BatchResult": {
                "type": "object",
                "properties": {"predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}}},
                "required": ["predictions"],
            },
            "ModelVersion": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "activated_at": {"type": "string", "format": "date-time", "nullable": True},
                    "metrics": {"type": "object", "properties": {
                        "cv": _METRICS, "baseline_mean": _METRICS, "baseline_linear": _METRICS,
                        "interval_cv": _INTERVAL_CV, "interval": _INTERVAL}},
                    "feature_ranges": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
                    "training_rows": {"type": "integer"},
                },
                "required": ["id", "created_at", "metrics", "feature_ranges", "training_rows"],
            },
            "Errors": {
                "type": "object",
                "properties": {"errors": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}}},
                "required": ["errors"],
            },
        }},
    }


EXAMPLES = {
    "createPrediction": {"temperature": 20, "humidity": 60, "windspeed": 12},
    "createBatch": {"inputs": [{"temperature": 20, "humidity": 60, "windspeed": 12},
                               {"temperature": 5, "humidity": 85, "windspeed": 25}]},
}


def input_fields() -> list[dict]:
    """Each input field with its unit and bounds, for people reading the docs page."""
    return [{"name": name, "unit": UNITS[name], "bounds": f"{written(low)} to {quantity(high, UNITS[name])}",
             "description": PredictionForm.base_fields[name].meaning}
            for name, (low, high) in ((name, PHYSICAL_BOUNDS[name]) for name in FEATURES)]


def curl_line(base_url: str, method: str, path: str, example: dict | None) -> str:
    path = path.replace("{prediction_id}", PREDICTION_EXAMPLE["id"])
    if example is None:
        return f"curl {base_url}{path}"
    return (f"curl -X {method} {base_url}{path} -H 'Content-Type: application/json' "
            f"-d '{json.dumps(example)}'")


def docs_context(base_url: str = "") -> dict:
    """The document, flattened into one entry per operation for the docs page."""
    spec = document()
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            example = EXAMPLES.get(operation["operationId"])
            parameters = operation.get("parameters", [])
            success = next(iter(sorted(operation["responses"].items())))
            answer = success[1].get("content", {}).get("application/json", {}).get("example")
            operations.append({
                "id": operation["operationId"],
                "method": method.upper(),
                "path": path,
                "summary": operation["summary"],
                "responses": sorted(operation["responses"].items()),
                "path_parameter": parameters[0]["name"] if parameters else None,
                "example": json.dumps(example, indent=2) if example else "",
                "takes_inputs": example is not None,
                "batch": operation["operationId"] == "createBatch",
                "curl": curl_line(base_url, method.upper(), path, example),
                "answer_status": success[0],
                "answer": json.dumps(answer, indent=2) if answer else "",
            })
    return {"document": spec, "operations": operations, "fields": input_fields(), "max_batch_rows": MAX_BATCH_ROWS}
