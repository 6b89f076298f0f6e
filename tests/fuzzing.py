"""What the fuzz tests share: hostile text, their Hypothesis settings, and the tally each test keeps
of what it sent (its fuzz_tally fixture, tests/conftest.py), checked against its quota at its end.

Each test counts and checks its own requests: no test reads what another one left behind, so any
of them passes or fails alone, in any order.
"""
from collections import Counter

from hypothesis import HealthCheck, settings, strategies as st

# Hypothesis stops early when it runs out of distinct inputs: a test may send this share of its
# quota, no less.
QUOTA_SHARE = 0.9

NUMBER_LOOKALIKES = st.sampled_from([
    "NaN", "nan", "-nan", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "1e-400", "0x14", "1_0", "20,5",
    "٢٠", "２０", "߂߀", "𝟐𝟎", "20\x00", "\x0020", " 20 ", "\t20\n", "20\u200b", "+20", "20.", ".5", "-0", "", " ",
    "null", "None", "true", "[]", "{}", "1e5", "9" * 400, "-" + "9" * 400, "0." + "0" * 500 + "1", "²", "Ⅻ",
    "20\r\nX-Injected: 1", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\ud7ff", "\U0010ffff",
])
HOSTILE_TEXT = st.one_of(
    NUMBER_LOOKALIKES,
    st.floats().map(repr),  # nan and inf included
    st.floats(-60, 160).map(str),
    st.integers(-(10 ** 400), 10 ** 400).map(str),
    st.text(max_size=40),  # any unicode, control characters included
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),  # unicode digits
    st.text(alphabet="0123456789.eE+-_ \t\n\x00\x0b\x1f\x7f", max_size=30),
    st.integers(1_000, 100_000).map(lambda n: "1" * n),  # huge strings of digits
)


def fuzz(examples: int, **options):
    """Hypothesis settings of a fuzz test: `examples` generated inputs, no deadline (a request to
    the real database takes what it takes), no health check (big inputs are the point)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), **options)


class Tally:
    """What one fuzz test sent: how many requests, and their statuses."""

    def __init__(self):
        self.requests = 0
        self.statuses = Counter()

    def sent(self, response) -> None:
        """Counts one answer, which must be below 500 whatever was sent."""
        self.requests += 1
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, (response.status_code, response.content[:500])

    def assert_quota_sent(self, quota: int) -> None:
        assert self.requests >= QUOTA_SHARE * quota, f"{self.requests} requests sent, of a quota of {quota}"

    def add(self, other: "Tally") -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)

    def figures(self) -> dict:
        return {"requests": self.requests, "statuses": dict(sorted(self.statuses.items())),
                "server_errors": sum(n for status, n in self.statuses.items() if status >= 500)}
