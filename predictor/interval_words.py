"""The 80 % interval in plain words: why one day's is wide or narrow (the result page)."""

# A day's interval counts as "wide" or "narrow" when it is this far from the version's mean width.
NOTABLY = 0.15


def for_prediction(prediction) -> str | None:
    """why_this_width() for a stored Prediction (None when it has no interval)."""
    if prediction.interval_high is None:
        return None
    version = prediction.model_version
    # Twice the upper half: the lower end stops at 0 rentals, the spread of the forecast does not.
    width = 2 * (prediction.interval_high - prediction.predicted_count)
    return why_this_width(width, version.interval_mean_width, version.has_adaptive_interval)


def why_this_width(width: float, mean_width: float | None, adaptive: bool) -> str:
    """Why this day's interval is as wide as it is, for the result page."""
    if not adaptive or not mean_width:
        return "This model version gives every day an interval of the same width."
    ratio = width / mean_width
    if ratio > 1 + NOTABLY:
        return (f"This range is wider than usual ({ratio:.1f} times the average width): tested on days it had "
                "not seen, the model missed by more on days with weather like this, for instance humid days "
                "(rain or not) and cool days (they come in spring and in autumn, with different numbers of riders).")
    if ratio < 1 - NOTABLY:
        return (f"This range is narrower than usual ({ratio:.1f} times the average width): tested on days it had "
                "not seen, the model was close on days with weather like this.")
    return ("This range is about as wide as usual: tested on days it had not seen, the model missed by a "
            "typical amount on days with weather like this.")
