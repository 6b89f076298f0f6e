"""The pictures of the public pages: service results turned into SVG charts and plain words.

Each figure is a chart (markup from predictor.charts) and a caption a person reads in a few
seconds; the chart's <title>/<desc> carry the same words for screen readers.
"""
from dataclasses import dataclass

from django.utils.safestring import SafeString

from predictor import charts
from predictor.charts import amount, number

FEATURE_WORDS = {
    # name: (label, unit, what more of it means, decimals on the axis)
    "temperature": ("Temperature", "°C", "warmer", 0),
    "humidity": ("Humidity", "%", "more humid", 0),
    "windspeed": ("Wind speed", "km/h", "windier", 0),
}


@dataclass(frozen=True)
class Figure:
    key: str
    heading: str
    chart: SafeString
    caption: str


def _at(curve, value: float) -> float:
    """The curve's prediction at the grid value nearest to value."""
    index = min(range(len(curve.values)), key=lambda i: abs(curve.values[i] - value))
    return curve.predictions[index]


def what_if_caption(curve) -> str:
    """The curve in one or two plain sentences: where rentals are highest, or which way they go."""
    label, unit, more, _ = FEATURE_WORDS[curve.feature]
    low, high = curve.training_range
    inside = [(x, y) for x, y in zip(curve.values, curve.predictions) if low <= x <= high] or list(
        zip(curve.values, curve.predictions))
    (first_x, first_y), (last_x, last_y) = inside[0], inside[-1]
    peak_x, peak_y = max(inside, key=lambda point: point[1])
    others = " and ".join(FEATURE_WORDS[name][0].lower() for name in FEATURE_WORDS if name != curve.feature)
    tolerance = 0.05 * max(peak_y, 1.0)
    if peak_y - max(first_y, last_y) > tolerance:
        shape = (f"rentals are highest, about {number(peak_y)}, around {amount(peak_x)} {unit}, and fall "
                 f"to {number(first_y)} at {amount(first_x)} {unit} and {number(last_y)} at {amount(last_x)} {unit}")
    elif abs(last_y - first_y) <= tolerance:
        shape = f"the {label.lower()} barely changes the forecast (about {number(first_y)} to {number(last_y)})"
    else:
        shape = (f"{more} days mean {'more' if last_y > first_y else 'fewer'} rentals: about {number(first_y)} "
                 f"at {amount(first_x)} {unit}, {number(last_y)} at {amount(last_x)} {unit}")
    text = (f"With the {others} you gave, {shape}. "
            f"At your {amount(curve.given)} {unit}: about {number(curve.given_prediction)}.")
    if not low <= curve.given <= high:
        text += " Beyond the shaded range the model saw no days, so its curve just stays level there."
    return text


def what_if_description(curve) -> str:
    """What the chart shows, for people who cannot see it."""
    label, unit, _, _ = FEATURE_WORDS[curve.feature]
    low, high = curve.training_range
    return (f"Line chart. Horizontal axis: {label.lower()} from {amount(curve.values[0])} to "
            f"{amount(curve.values[-1])} {unit}; vertical axis: predicted rentals, from "
            f"{number(min(curve.predictions))} to {number(max(curve.predictions))}. Shaded: the training range, "
            f"{amount(low)} to {amount(high)} {unit}. Marked: your {amount(curve.given)} {unit}, "
            f"{number(curve.given_prediction)} rentals.")


def what_if_figures(what_if) -> list[Figure]:
    figures = []
    for name, curve in what_if.curves.items():
        label, unit, _, digits = FEATURE_WORDS[name]
        caption = what_if_caption(curve)
        chart = charts.line_chart(
            xs=curve.values, ys=curve.predictions, x_label=f"{label} ({unit})", y_label="predicted rentals",
            title=f"Predicted rentals against {label.lower()}", description=what_if_description(curve),
            band=curve.training_range, marker=(curve.given, curve.given_prediction),
            marker_label=f"you: {number(curve.given_prediction)}", x_digits=digits,
        )
        figures.append(Figure(key=name, heading=f"If the {label.lower()} were different", chart=chart,
                              caption=caption))
    return figures
