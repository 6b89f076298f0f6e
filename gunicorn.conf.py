"""gunicorn settings, in the manner of Heroku's Python starter app."""
import os

# One OpenMP thread per worker: the workers are the parallelism (must be set before xgboost loads).
os.environ.setdefault("OMP_NUM_THREADS", "1")

bind = ["0.0.0.0:" + os.environ.get("PORT", "8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The sync worker, plus: on SIGTERM it answers connections already queued instead of resetting them.
worker_class = "bikesite.gunicorn_worker.DrainingSyncWorker"
# Heroku sends SIGTERM and kills 30 s later: finish in-flight requests well before that.
graceful_timeout = 20
# Heroku's router gives up on a request after 30 s.
timeout = 25
# Above the router's 90 s idle timeout, so the router, not gunicorn, closes idle connections.
keepalive = 95
accesslog = "-"
errorlog = "-"
# Heroku's router adds X-Request-ID; log it with every request.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}i)s'
forwarded_allow_ips = "*"
# gunicorn's runtime control socket is not used on Heroku, and would collide between
# several gunicorn masters on one machine (tests start more than one).
control_socket_disable = True
