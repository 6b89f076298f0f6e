"""The prediction input: three physical quantities with physical bounds.

The web form and the JSON API validate through this one form.
"""
from django import forms

from ml.dataset import PHYSICAL_BOUNDS


def _quantity_field(name: str, label: str, unit: str, help_text: str) -> forms.FloatField:
    # FloatField refuses NaN and infinities, and renders min/max/step="any" on the input.
    low, high = PHYSICAL_BOUNDS[name]
    # The bound messages are %-formatted with the validator's params; the others are not.
    unit_escaped = unit.replace("%", "%%")
    return forms.FloatField(
        label=label,
        min_value=low,
        max_value=high,
        help_text=f"{help_text} ({low:g} to {high:g} {unit}).",
        error_messages={
            "required": f"Enter the {label.lower()} in {unit}.",
            "invalid": f"Enter the {label.lower()} as a number in {unit}.",
            "min_value": f"{label} must be at least {low:g} {unit_escaped}.",
            "max_value": f"{label} must be at most {high:g} {unit_escaped}.",
        },
    )


class PredictionForm(forms.Form):
    temperature = _quantity_field("temperature", "Temperature", "°C", "Average air temperature over the day")
    humidity = _quantity_field("humidity", "Humidity", "%", "Average relative humidity over the day")
    windspeed = _quantity_field("windspeed", "Wind speed", "km/h", "Average wind speed over the day")
