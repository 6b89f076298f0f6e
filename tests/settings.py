"""Settings for the test suite: the real ones, with static files served without collectstatic."""
import tempfile

from bikesite.settings import *  # noqa: F401,F403
from bikesite.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Fast password hashing: the admin tests log users in, and the default hasher is slow on purpose.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# whitenoise expects STATIC_ROOT to exist; tests never run collectstatic into it.
STATIC_ROOT = tempfile.mkdtemp(prefix="bikesite-static-")
# A smaller hyper-parameter search keeps the many training runs of the suite quick; the
# production search is exercised once per session by the `trained` fixture (tests/conftest.py).
from ml.features import MODEL_FEATURES  # noqa: E402
from ml.tuning import SearchSpace  # noqa: E402

MODEL_SEARCH = SearchSpace(feature_sets=(MODEL_FEATURES,), rounds=(100, 150))
# Tests post from one address many times; the rate-limit tests switch it on themselves.
RATELIMIT_ENABLED = False
# The tests share the counts themselves (LIMITER.sync()), not after each response.
RATELIMIT_SYNC_SECONDS = 0
# Metrics are collected in the tests (the endpoint's own tests switch the token off themselves).
METRICS_TOKEN = "test-metrics-token"
