"""The history dashboard's numbers: aggregated in SQL, so a million rows cost one scan, not a loop.

Selectors only (read, never write). The admin view asks for a Period, calls history_summary() and
hands the result to predictor.figures for pictures.
"""
import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
from django import forms
from django.utils import timezone

from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from predictor import observations
from predictor.history import summary as daily
from predictor.models import ModelVersion, Prediction

MAX_DAYS = 366
VERSIONS_SHOWN = 10
PRESETS = (7, 30, 90, 365)
# Days a period may cover: wide enough for any real history, and far from the calendar's ends
# (date.max + 1 day would overflow).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
# The drift histograms show the latest inputs of the period: recent enough to show drift, and a
# bounded read however long the period and the history are.
RECENT_SAMPLE = 10_000
# Histogram bin widths, in each feature's unit: fine enough to see drift, few enough to draw.
BIN_WIDTH = {"temperature": 2.0, "humidity": 5.0, "windspeed": 2.0}


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="First day (UTC), included.")
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}),
                          help_text="Last day (UTC), included.")

    def _clean_day(self, name):
        day = self.cleaned_data[name]
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(f"Choose a day from {EARLIEST:%-d %b %Y} to {LATEST:%-d %b %Y}.")
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("The first day must not be after the last day.")
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        return cleaned


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @classmethod
    def last(cls, days: int, today: dt.date | None = None) -> "Period":
        today = today or timezone.now().date()
        return cls(today - dt.timedelta(days=days - 1), today)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of the first day, start of the day after the last) in UTC: an index range scan."""
        return daily.day_start(self.start), daily.day_start(self.end + dt.timedelta(days=1))


def period_from_query(data) -> tuple[Period, PeriodForm]:
    """The period asked for in the query string (default: the last 30 days), and its form."""
    default = Period.last(30)
    days = data.get("days", "")
    if re.fullmatch(r"[0-9]{1,3}", days) and 1 <= int(days) <= MAX_DAYS:  # ASCII digits only: "²".isdigit()
        default = Period.last(int(days))
    if "start" not in data and "end" not in data:
        return default, PeriodForm(initial={"start": default.start, "end": default.end})
    form = PeriodForm(data)
    if form.is_valid():
        return Period(form.cleaned_data["start"], form.cleaned_data["end"]), form
    return default, form


@dataclass
class VersionRow:
    version: ModelVersion
    predictions: int = 0
    outside: int = 0
    live_error: object = None  # observations.LiveError on observed days it never saw, or None


@dataclass
class Histogram:
    feature: str
    edges: list[float]
    counts: list[int]
    training_range: tuple[float, float] | None
    outside: int  # inputs of the sample outside that range


@dataclass
class HistorySummary:
    period: Period
    total: int
    per_day: dict[str, list[int]]  # source -> one count per day of the period
    versions: list[VersionRow]
    compared: list[VersionRow] = field(default_factory=list)  # the versions side by side
    sample_size: int = 0  # the latest predictions of the period that the histograms show
    histograms: list[Histogram] = field(default_factory=list)
    active: ModelVersion | None = None


def history_summary(period: Period) -> HistorySummary:
    """Everything the dashboard shows: the summary's days, the open days' rows, one short index scan."""
    start, end = period.bounds()
    rows = Prediction.objects.filter(created_at__gte=start, created_at__lt=end)

    # Per day, source and model version: closed days from the daily summary, the rest from the
    # raw rows (see predictor.history.summary); exact, whatever the size of the history.
    index = {day: i for i, day in enumerate(period.days)}
    per_day = {source: [0] * len(index) for source in Prediction.Source.values}
    per_version = {}
    for group in daily.groups(period.start, period.end + dt.timedelta(days=1)):
        if group.day in index and group.source in per_day:
            per_day[group.source][index[group.day]] += group.predictions
        counts = per_version.setdefault(group.model_version_id, [0, 0])
        counts[0] += group.predictions
        counts[1] += group.outside
    versions = [VersionRow(version, *per_version.get(version.pk, (0, 0)))
                for version in ModelVersion.objects.without_artifacts().order_by("-id")]
    active = next((row.version for row in versions if row.version.is_active), None)
    # Side by side: the newest versions and any that answered in the period (live error loads
    # each one's artifact, so the table stays short).
    shown = [row for index, row in enumerate(versions) if index < VERSIONS_SHOWN or row.predictions]
    for row in shown:
        row.live_error = observations.live_error(row.version)
    summary = HistorySummary(period=period, total=sum(map(sum, per_day.values())), per_day=per_day,
                             versions=versions, compared=shown, active=active)

    # Drift at a glance: the latest inputs of the period (an index scan backwards on created_at,
    # bounded however long the period), binned against the active model's training range.
    if summary.total:
        sample = np.array(list(rows.order_by("-created_at").values_list(*FEATURES)[:RECENT_SAMPLE]),
                          dtype=np.float64).reshape(-1, len(FEATURES))
        summary.sample_size = len(sample)
        ranges = (active.feature_ranges or {}) if active else {}
        summary.histograms = [histogram(name, sample[:, column], ranges.get(name))
                              for column, name in enumerate(FEATURES)]
    return summary


def histogram(name: str, values: np.ndarray, training_range) -> Histogram:
    """Bins of BIN_WIDTH covering the values and the training range, within the physical bounds."""
    width = BIN_WIDTH[name]
    bound_low, bound_high = PHYSICAL_BOUNDS[name]
    low, high = float(values.min()), float(values.max())
    if training_range:
        low, high = min(low, training_range[0]), max(high, training_range[1])
    first = math.floor(low / width)
    last = math.floor(high / width)
    if last * width >= bound_high:  # humidity 100 belongs to the bin below: no bin beyond the bounds
        last -= 1
    last = max(last, first)
    edges = [max(bound_low, min(bound_high, (first + i) * width)) for i in range(last - first + 2)]
    bins = np.clip(np.floor(values / width).astype(int) - first, 0, last - first)
    counts = np.bincount(bins, minlength=last - first + 1).tolist()
    outside = 0
    if training_range:
        outside = int(((values < training_range[0]) | (values > training_range[1])).sum())
    return Histogram(feature=name, edges=edges, counts=counts,
                     training_range=tuple(training_range) if training_range else None, outside=outside)
