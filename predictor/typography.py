"""Numbers as people read them: a true minus sign, and a quantity never split from its unit.

Messages and help texts stay plain ASCII where machines read them too (the API, OpenAPI);
pages set them with typeset().
"""
import re

MINUS = "\u2212"
NBSP = "\u00a0"
UNITS = {"temperature": "°C", "humidity": "%", "windspeed": "km/h"}  # each input's unit

_HYPHEN_AS_MINUS = re.compile(r"(?<![\w.])-(?=\d)")
_SPACE_BEFORE_UNIT = re.compile(r"(\d) (?=" + "|".join(re.escape(unit) for unit in UNITS.values()) + ")")


def typeset(text: str) -> str:
    """"at least -40 °C" -> "at least −40 °C" with a non-breaking space before the unit."""
    return _SPACE_BEFORE_UNIT.sub(r"\1" + NBSP, _HYPHEN_AS_MINUS.sub(MINUS, text))


def written(value: float) -> str:
    """−40, 12.5: at most the digits given (no trailing .0), a true minus sign."""
    return f"{value:g}".replace("-", MINUS)


def quantity(value: float, unit: str) -> str:
    """"−5.2 °C" that never breaks across lines."""
    return f"{written(value)}{NBSP}{unit}"
