"""Validation of prediction inputs that arrive as JSON, by the rules of PredictionForm.

The form's own fields clean every value, so the web form and the API accept and refuse exactly
the same things with the same messages. JSON adds only its structural rules: an object with
exactly the three fields, each a JSON number.
"""
import math

import numpy as np
from django.core.exceptions import ValidationError

from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from predictor.forms import PredictionForm

FIELDS = PredictionForm.base_fields
_FEATURE_SET = frozenset(FEATURES)
_NUMBER_TYPES = {int, float}  # exactly: bool is an int subclass but not a JSON number
_LOW = np.array([PHYSICAL_BOUNDS[name][0] for name in FEATURES])
_HIGH = np.array([PHYSICAL_BOUNDS[name][1] for name in FEATURES])

Errors = dict[str, list[str]]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def structural_errors(row) -> Errors:
    """What makes a decoded JSON value something other than {"temperature": n, ...}."""
    if not isinstance(row, dict):
        return {"non_field_errors": ["Expected a JSON object with temperature, humidity and windspeed."]}
    errors = {key: ["Unknown field."] for key in row if key not in _FEATURE_SET}
    for name in FEATURES:
        if name not in row or row[name] is None:
            errors[name] = [FIELDS[name].error_messages["required"]]
        elif not _is_number(row[name]):
            errors[name] = [FIELDS[name].error_messages["invalid"]]
    return errors


def field_errors(row: dict) -> Errors:
    """The form fields' own verdict on the values of a structurally valid row."""
    errors = {}
    for name in FEATURES:
        try:
            FIELDS[name].clean(_as_float(row[name]))
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # a JSON integer beyond float range: as infinite, hence invalid
        return math.inf


def validate_row(row) -> tuple[dict | None, Errors]:
    """One API input: (cleaned values, {}) or (None, errors by field)."""
    errors = structural_errors(row) or field_errors(row)
    if errors:
        return None, errors
    return {name: _as_float(row[name]) for name in FEATURES}, {}


def _acceptable(matrix: np.ndarray) -> np.ndarray:
    """Per row: all values finite and within the physical bounds."""
    return np.isfinite(matrix).all(axis=1) & ((matrix >= _LOW) & (matrix <= _HIGH)).all(axis=1)


def _matrix_of_well_formed_rows(rows: list) -> np.ndarray | None:
    """The (n, 3) matrix when every row is {the three features: JSON numbers}, else None.

    The common case, checked with comprehensions (a few times faster than row by row); any
    doubt and the row-by-row check finds and words the problems.
    """
    if not all(type(row) is dict and row.keys() == _FEATURE_SET for row in rows):
        return None
    values = [row[name] for row in rows for name in FEATURES]
    if not {type(value) for value in values} <= _NUMBER_TYPES:
        return None
    try:
        return np.array(values, dtype=np.float64).reshape(-1, len(FEATURES))
    except OverflowError:  # an integer too large for a float: the row-by-row check words it
        return None


def validate_rows(rows: list) -> tuple[np.ndarray | None, Errors]:
    """Many API inputs: (an (n, 3) matrix, {}) or (None, errors keyed "inputs.<index>.<field>").

    The common case (every row fine) is checked with numpy in one pass; the form fields
    produce the messages only for the rows that fail.
    """
    matrix = _matrix_of_well_formed_rows(rows)
    if matrix is not None and _acceptable(matrix).all():
        return matrix, {}
    errors: Errors = {}
    values, malformed = [], set()
    for index, row in enumerate(rows):
        if type(row) is dict and row.keys() == _FEATURE_SET and all(_is_number(row[n]) for n in FEATURES):
            values.append([_as_float(row[name]) for name in FEATURES])
        else:
            values.append([math.nan] * len(FEATURES))
            malformed.add(index)
            for field, messages in structural_errors(row).items():
                errors[f"inputs.{index}.{field}"] = messages
    matrix = np.array(values, dtype=np.float64).reshape(-1, len(FEATURES))
    good = _acceptable(matrix)
    if good.all():
        return matrix, {}
    for index in np.flatnonzero(~good).tolist():
        if index not in malformed:
            for field, messages in field_errors(rows[index]).items():
                errors[f"inputs.{index}.{field}"] = messages
    return None, errors
