"""The prediction input: three physical quantities with physical bounds.

The web form and the JSON API validate through this one form.
"""
from django import forms

from ml.dataset import PHYSICAL_BOUNDS
from predictor.typography import MINUS, UNITS


# Days that fill the form from a link (a plain GET, no script): the 2011 medians of the bundled
# data for June to August and December to February.
PRESETS = [
    ("A summer day", {"temperature": 25.7, "humidity": 60.2, "windspeed": 11.5}),
    ("A winter day", {"temperature": 4.4, "humidity": 58.3, "windspeed": 12.7}),
]
# Shown in the empty fields: the spring median (April and May), another typical day.
EXAMPLES = {"temperature": 16.9, "humidity": 70.1, "windspeed": 13.5}


class QuantityField(forms.FloatField):
    """A decimal number as people type it on any keyboard.

    The input is text with a decimal keypad (inputmode), not type=number: Chromium's number
    input drops a decimal comma and submits "12,5" as 125. Here a single comma is a decimal
    comma (12,5 is 12.5; no quantity in bounds needs a thousands separator) and a true minus
    sign reads as a minus; anything else is left for FloatField to accept or refuse.
    """

    widget = forms.TextInput

    def __init__(self, *, unit: str, meaning: str, **kwargs):
        self.unit = unit  # shown beside the input
        self.meaning = meaning  # the help text without its bounds, for the API docs
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(MINUS, "-")
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})
        return attrs


def _quantity_field(name: str, label: str, help_text: str) -> QuantityField:
    # FloatField refuses NaN and infinities.
    low, high = PHYSICAL_BOUNDS[name]
    unit = UNITS[name]
    # The bound messages are %-formatted with the validator's params; the others are not.
    unit_escaped = unit.replace("%", "%%")
    return QuantityField(
        unit=unit,
        meaning=help_text,
        label=label,
        min_value=low,
        max_value=high,
        help_text=f"{help_text} ({low:g} to {high:g} {unit}).",
        widget=forms.TextInput(attrs={"placeholder": f"e.g. {EXAMPLES[name]:g}"}),
        error_messages={
            "required": f"Enter the {label.lower()} in {unit}.",
            "invalid": f"Enter the {label.lower()} as a number in {unit}.",
            "min_value": f"{label} must be at least {low:g} {unit_escaped}.",
            "max_value": f"{label} must be at most {high:g} {unit_escaped}.",
        },
    )


class PredictionForm(forms.Form):
    temperature = _quantity_field("temperature", "Temperature", "Average air temperature over the day")
    humidity = _quantity_field("humidity", "Humidity", "Average relative humidity over the day")
    windspeed = _quantity_field("windspeed", "Wind speed", "Average wind speed over the day")
