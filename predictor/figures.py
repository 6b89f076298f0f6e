"""The pictures of the pages (the result page, the admin dashboard): service results turned into
SVG charts and plain words. predictor.charts draws; this module decides what to draw and says it.

Each figure is a chart (markup from predictor.charts) and a caption a person reads in a few
seconds; the chart's <title>/<desc> carry the same words for screen readers.
"""
from dataclasses import dataclass

from django.utils.safestring import SafeString

from ml.dataset import FEATURES
from predictor import charts
from predictor.charts import amount, number, signed
from predictor.typography import NBSP

FEATURE_WORDS = {
    # name: (label, unit, what more of it means, decimals on the axis)
    "temperature": ("Temperature", "°C", "warmer", 0),
    "humidity": ("Humidity", "%", "more humid", 0),
    "windspeed": ("Wind speed", "km/h", "windier", 0),
    "dew_point": ("Dew point", "°C", "muggier", 0),  # derived from temperature and humidity
}


def measure(value: float, unit: str) -> str:
    """"−5.2 °C", never broken across lines."""
    return f"{amount(value)}{NBSP}{unit}"


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
    others = " and ".join(FEATURE_WORDS[name][0].lower() for name in FEATURES if name != curve.feature)
    tolerance = 0.05 * max(peak_y, 1.0)
    if peak_y - max(first_y, last_y) > tolerance:
        shape = (f"rentals are highest, about {number(peak_y)}, around {measure(peak_x, unit)}, and fall "
                 f"to {number(first_y)} at {measure(first_x, unit)} and {number(last_y)} at {measure(last_x, unit)}")
    elif abs(last_y - first_y) <= tolerance:
        shape = f"the {label.lower()} barely changes the forecast (about {number(first_y)} to {number(last_y)})"
    else:
        shape = (f"{more} days mean {'more' if last_y > first_y else 'fewer'} rentals: about {number(first_y)} "
                 f"at {measure(first_x, unit)}, {number(last_y)} at {measure(last_x, unit)}")
    text = (f"With the {others} you gave, {shape}. "
            f"At your {measure(curve.given, unit)}: about {number(curve.given_prediction)}.")
    if not low <= curve.given <= high:
        text += " Beyond the shaded range the model saw no days, so its curve just stays level there."
    return text


def contributions_reading(explanation) -> str:
    """One line: the average day, what pushes this day up most and down most, and the total."""
    named = [(FEATURE_WORDS.get(name, (name,))[0].lower(), value) for name, value in explanation.contributions.items()]
    up = max(named, key=lambda item: item[1])
    down = min(named, key=lambda item: item[1])
    parts = []
    if round(up[1]) > 0:
        parts.append(f"the {up[0]} adds the most ({signed(up[1])})")
    if round(down[1]) < 0:
        parts.append(f"the {down[0]} takes away the most ({signed(down[1])})")
    effect = " and ".join(parts) if parts else "no input moves it much"
    reading = f"An average day has about {number(explanation.base)} rentals; for this day {effect}"
    if round(explanation.prediction) < 0:
        return (f"{reading}. Together they come to {number(explanation.prediction)}, below zero; as a day cannot "
                f"have fewer than no rentals, the forecast is clipped to 0.")
    return f"{reading}, giving about {number(explanation.prediction)}."


def contributions_figure(explanation) -> Figure:
    reading = contributions_reading(explanation)
    items = [(FEATURE_WORDS.get(name, (name,))[0], value) for name, value in explanation.contributions.items()]
    description = "Bar chart of each input's contribution in rentals: " + "; ".join(
        f"{label} {signed(value)}" for label, value in items) + f". Average day: {number(explanation.base)}."
    chart = charts.bar_chart(items=items, title="What each input adds to or takes from an average day",
                             description=description, value_label=signed)
    return Figure(key="contributions", heading="Why this number", chart=chart, caption=reading)


def training_range_words(feature_ranges: dict) -> list[str]:
    """["temperature −5.2 to 31.9 °C", ...] for the note on forecasts outside the training range."""
    return [f"{FEATURE_WORDS[name][0].lower()} {amount(low)} to {measure(high, FEATURE_WORDS[name][1])}"
            for name, (low, high) in feature_ranges.items() if name in FEATURE_WORDS]


def feature_label(name: str) -> str:
    return FEATURE_WORDS[name][0].lower()


def outside_words(names: list[str]) -> str:
    """"Your temperature lies" / "Your temperature and wind speed lie": the subject with its verb."""
    labels = [feature_label(name) for name in names]
    if not labels:
        return ""
    subject = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"Your {subject} {'lies' if len(labels) == 1 else 'lie'}"


def input_quantities(inputs: dict) -> list[tuple[str, str]]:
    """[("Temperature", "−5.25 °C"), ...]: the inputs as given (up to two decimals), for the page."""
    return [(FEATURE_WORDS[name][0], f"{number(value, 2).rstrip('0').rstrip('.')}{NBSP}{FEATURE_WORDS[name][1]}")
            for name, value in inputs.items()]


def what_if_description(curve) -> str:
    """What the chart shows, for people who cannot see it."""
    label, unit, _, _ = FEATURE_WORDS[curve.feature]
    low, high = curve.training_range
    return (f"Line chart. Horizontal axis: {label.lower()} from {amount(curve.values[0])} to "
            f"{measure(curve.values[-1], unit)}; vertical axis: predicted rentals, from "
            f"{number(min(curve.predictions))} to {number(max(curve.predictions))}. Shaded: the training range, "
            f"{amount(low)} to {measure(high, unit)}. Marked: your {measure(curve.given, unit)}, "
            f"{number(curve.given_prediction)} rentals."
            + (f" A pale band around the line shows the 80{NBSP}% interval." if curve.interval_lows else ""))


def what_if_figures(what_if) -> list[Figure]:
    """One chart per input, all on the same y axis so that their heights compare."""
    y_top = max(max(curve.predictions + (curve.interval_highs or [])) for curve in what_if.curves.values())
    figures = []
    for name, curve in what_if.curves.items():
        label, unit, _, digits = FEATURE_WORDS[name]
        caption = what_if_caption(curve)
        chart = charts.line_chart(
            xs=curve.values, ys=curve.predictions, x_label=f"{label} ({unit})", y_label="predicted rentals",
            title=f"Predicted rentals against {label.lower()}", description=what_if_description(curve),
            band=curve.training_range, marker=(curve.given, curve.given_prediction),
            interval=(curve.interval_lows, curve.interval_highs) if curve.interval_lows else None,
            x_digits=digits, y_top=y_top,
        )
        figures.append(Figure(key=name, heading=f"If the {label.lower()} were different", chart=chart,
                              caption=caption))
    return figures


# --- The admin history dashboard -------------------------------------------------------------

SOURCE_CSS = {"form": "form", "api": "api", "batch": "batch"}
SOURCE_WORDS = {"form": "from the web form", "api": "through the API", "batch": "in API batches"}


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "0 %"


def per_day_figure(summary, source_labels: dict) -> Figure:
    days = summary.period.days
    totals = [sum(values[i] for values in summary.per_day.values()) for i in range(len(days))]
    by_source = ", ".join(f"{number(sum(values))} {SOURCE_WORDS.get(source, source_labels[source])}"
                          for source, values in summary.per_day.items())
    caption = f"{number(summary.total)} predictions from {days[0]:%-d %b %Y} to {days[-1]:%-d %b %Y}: {by_source}."
    if summary.total:
        busiest = max(range(len(days)), key=totals.__getitem__)
        caption += f" The busiest day was {days[busiest]:%-d %b} with {number(totals[busiest])}."
    chart = charts.stacked_columns(
        labels=[f"{day:%-d %b}" for day in days],
        series=[(source_labels[source], SOURCE_CSS.get(source, "form"), values)
                for source, values in summary.per_day.items()],
        title="Predictions per day, by source", description=caption, y_label="predictions")
    return Figure(key="per-day", heading="Predictions per day", chart=chart, caption=caption)


def per_version_figure(summary) -> Figure:
    rows = [row for row in summary.versions if row.predictions] or summary.versions[:1]
    items = [(f"v{row.version.pk}{' (active)' if row.version.is_active else ''}", float(row.predictions))
             for row in rows]
    parts = [f"version {row.version.pk}: {number(row.predictions)} ({_share(row.predictions, summary.total)}, "
             f"{number(row.outside)} outside its training range)" for row in rows if row.predictions]
    caption = ("Predictions per model version in the period: " + "; ".join(parts) + ".") if parts else \
        "No predictions in the period."
    chart = charts.bar_chart(items=items, title="Predictions per model version", description=caption)
    return Figure(key="per-version", heading="Predictions per model version", chart=chart, caption=caption)


def drift_figures(summary) -> list[Figure]:
    figures = []
    for histogram in summary.histograms:
        label, unit, _, digits = FEATURE_WORDS[histogram.feature]
        if histogram.training_range:
            low, high = histogram.training_range
            which = "the latest " if summary.sample_size < summary.total else "the "
            caption = (f"{number(histogram.outside)} of {which}{number(summary.sample_size)} predictions "
                       f"({_share(histogram.outside, summary.sample_size)}) had a {label.lower()} outside the active "
                       f"model's training range, {amount(low)} to {amount(high)} {unit} (shaded).")
        else:
            caption = f"{label} of the period's predictions; no model is active to compare with."
        chart = charts.histogram(edges=histogram.edges, counts=histogram.counts, x_label=f"{label} ({unit})",
                                 title=f"{label} of the inputs against the training range", description=caption,
                                 band=histogram.training_range, x_digits=digits)
        figures.append(Figure(key=f"drift-{histogram.feature}", heading=label, chart=chart, caption=caption))
    return figures
