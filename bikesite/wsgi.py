"""WSGI entry point for gunicorn (see gunicorn.conf.py and the Procfile)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")

application = get_wsgi_application()
