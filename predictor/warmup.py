"""Load the active model in gunicorn's master process, so forked workers start with it.

Without this every worker pays the model load (database read, XGBoost parse, evaluator build
and self-check) on its first request. Workers still re-check which version is active every
MODEL_REFRESH_SECONDS. The master's database connection is closed before any worker forks:
a connection must never be shared between processes.
"""
import gc

from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from predictor import services


def load_active_model_before_fork(log) -> None:
    try:
        model = services.get_active_model()
        log.info("model version %s loaded before forking workers", model.version_id)
    except ImproperlyConfigured:
        raise  # e.g. no DATABASE_URL on a dyno: refuse to start rather than answer 500s
    except Exception as exc:  # no database or no model yet: workers load it on first use
        log.warning("model not loaded before forking workers: %s", exc)
    finally:
        connections.close_all()
    # Everything loaded so far lives as long as the process: keep it out of the garbage
    # collector's full passes (a 10,000-row batch triggers several) and off copy-on-write.
    gc.freeze()
