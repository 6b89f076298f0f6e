"""gunicorn settings, in the manner of Heroku's Python starter app."""
import os

from bikesite import prometheus_multiprocess

# One OpenMP thread per worker: the workers are the parallelism (must be set before xgboost loads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Metrics of every worker in one place, chosen before the app (and prometheus_client) is imported.
prometheus_multiprocess.prepare_directory()

bind = ["0.0.0.0:" + os.environ.get("PORT", "8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads in each worker: while one request waits for PostgreSQL to flush its commit to disk
# (synchronous_commit stays on), another runs its Python. Keep-alive connections are served too.
# gthread that shares connections evenly between the workers (least connections) and answers
# the connections queued at SIGTERM (see the module).
worker_class = "bikesite.gunicorn_worker.BalancedDrainingThreadWorker"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Import Django, numpy and XGBoost once, in the master: workers fork ready to serve and share
# those pages.
preload_app = True
# Heroku sends SIGTERM and kills 30 s later: finish in-flight requests well before that.
graceful_timeout = 20
# A worker heartbeat, not a request limit: a gthread worker notifies the master on every turn of
# its event loop, whatever its threads are serving, and the master kills and replaces a worker
# that has not notified for this many seconds (its loop is stuck). A slow request is not cut
# short; Heroku's router gives up on it by itself after 30 s.
timeout = 25
# Above the router's 90 s idle timeout, so the router, not gunicorn, closes idle connections.
keepalive = 95
# On Heroku the router already logs every request (method, path, status, time, request_id), so
# gunicorn's own access log would repeat each line, and costs requests/s (bench/README.md,
# Performance). The Python buildpack exports GUNICORN_CMD_ARGS="--access-logfile -",
# which gunicorn applies over this file: the Procfile's web command drops that variable, so this
# file is the one place for gunicorn's settings. ACCESS_LOG=1 turns the log on there; elsewhere
# (make run) it is on unless ACCESS_LOG=0.
accesslog = "-" if os.environ.get("ACCESS_LOG", "0" if os.environ.get("DYNO") else "1") == "1" else None
errorlog = "-"
# Heroku's router adds X-Request-ID; log it with every request.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}i)s'
forwarded_allow_ips = "*"
# gunicorn's runtime control socket is not used on Heroku, and would collide between
# several gunicorn masters on one machine (tests start more than one).
control_socket_disable = True


def when_ready(server):
    """Load the active model once in the master, before the workers fork: they start with it."""
    from django.apps import apps

    if not apps.ready:  # the master did not preload the site (another app, or preload_app off)
        return
    from predictor.warmup import load_active_model_before_fork

    load_active_model_before_fork(server.log)


def child_exit(server, worker):
    prometheus_multiprocess.worker_exited(worker.pid)


def on_exit(server):
    prometheus_multiprocess.master_exiting()


def post_worker_init(worker):
    """Name this worker's database connections: the rate limit counts the live web processes."""
    from django.apps import apps

    if apps.ready:
        from predictor.ratelimit import mark_web_process_connections

        mark_web_process_connections()


def worker_exit(server, worker):
    """A worker that exits cleanly shares its last rate-limit counts first."""
    from django.apps import apps

    if apps.ready:
        from predictor.ratelimit import LIMITER

        LIMITER.flush()
