"""Validation of prediction inputs that arrive as JSON, by the rules of PredictionForm.

The web form and the API accept and refuse exactly the same values with the same messages, and
like the form the API names every problem of a request at once: each field's error, and in a
batch each row's. JSON adds only its structural rules: an object with exactly the three fields,
each a JSON number.

The form's fields refuse a number for one of three reasons: not finite, below the field's
minimum, above its maximum. Batches are checked for those with numpy over the whole matrix;
the messages are the form fields' own, taken from them once (a test compares the two verdicts
value by value, so a rule the form gains and this module lacks fails it).
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
# What is wrong with one value, as a code: the index into _MESSAGES[field].
OK, NOT_FINITE, TOO_LOW, TOO_HIGH = 0, 1, 2, 3

Errors = dict[str, list[str]]


def _form_messages(name: str, value: float) -> list[str]:
    try:
        FIELDS[name].clean(value)
    except ValidationError as exc:
        return exc.messages
    raise AssertionError(f"the form accepts {name}={value}; validation.py's bounds disagree with it")


# Per field, per code: the messages the form field gives for such a value.
_MESSAGES = {
    name: (None, _form_messages(name, math.nan), _form_messages(name, low - 1), _form_messages(name, high + 1))
    for name, (low, high) in ((name, PHYSICAL_BOUNDS[name]) for name in FEATURES)
}


def value_codes(matrix: np.ndarray) -> np.ndarray:
    """Per value of an (n, 3) matrix: OK, NOT_FINITE, TOO_LOW or TOO_HIGH (NaN is not finite)."""
    codes = np.where(matrix < _LOW, TOO_LOW, np.where(matrix > _HIGH, TOO_HIGH, OK))
    return np.where(np.isfinite(matrix), codes, NOT_FINITE).astype(np.int8)


def _is_number(value) -> bool:
    return type(value) in _NUMBER_TYPES


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # a JSON integer beyond float range: as infinite, hence invalid
        return math.inf


def _row_errors(row) -> tuple[list[float], Errors]:
    """A decoded JSON value's structural errors, and its values (NaN where there is no number).

    Only fields that hold a number are left for the bounds check; the others already have
    their error here.
    """
    if type(row) is not dict:
        return [math.nan] * len(FEATURES), {
            "non_field_errors": ["Expected a JSON object with temperature, humidity and windspeed."]}
    errors = {key: ["Unknown field."] for key in row if key not in _FEATURE_SET}
    values = []
    for name in FEATURES:
        value = row.get(name)
        if _is_number(value):
            values.append(_as_float(value))
            continue
        values.append(math.nan)
        errors[name] = [FIELDS[name].error_messages["required" if value is None else "invalid"]]
    return values, errors


def _bound_errors(codes, structural: Errors, prefix: str = "") -> Errors:
    """The form's messages for the non-OK codes of one row (fields with a structural error excepted)."""
    errors = {}
    if "non_field_errors" in structural:  # not an object: it has no fields to speak of
        return errors
    for name, code in zip(FEATURES, codes):
        if code != OK and name not in structural:
            errors[prefix + name] = _MESSAGES[name][code]
    return errors


def validate_row(row) -> tuple[dict | None, Errors]:
    """One API input: (cleaned values, {}) or (None, every error by field)."""
    values, errors = _row_errors(row)
    errors.update(_bound_errors(value_codes(np.array([values])).tolist()[0], errors))
    if errors:
        return None, errors
    return dict(zip(FEATURES, values)), {}


def _matrix_of_well_formed_rows(rows: list) -> np.ndarray | None:
    """The (n, 3) matrix when every row is {the three features: JSON numbers}, else None.

    The common case, checked with comprehensions (faster than row by row); any
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
    """Many API inputs: (an (n, 3) matrix, {}) or (None, every error, keyed "inputs.<index>.<field>")."""
    matrix = _matrix_of_well_formed_rows(rows)
    structural: dict[int, Errors] = {}
    if matrix is None:
        values = []
        for index, row in enumerate(rows):
            row_values, row_errors = _row_errors(row)
            values.append(row_values)
            if row_errors:
                structural[index] = row_errors
        matrix = np.array(values, dtype=np.float64).reshape(-1, len(FEATURES))
    codes = value_codes(matrix)
    bad = codes.any(axis=1)
    if not structural and not bad.any():
        return matrix, {}
    errors: Errors = {}
    for index in sorted(set(structural) | set(np.flatnonzero(bad).tolist())):
        prefix = f"inputs.{index}."
        row_structural = structural.get(index, {})
        errors.update({prefix + field: messages for field, messages in row_structural.items()})
        errors.update(_bound_errors(codes[index].tolist(), row_structural, prefix))
    return None, errors
