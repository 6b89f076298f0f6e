import os

from django.contrib import admin
from django.urls import include, path, re_path

from predictor import api

# The admin URL can be moved away from the well-known /admin/ by the environment.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

urlpatterns = [
    path(ADMIN_URL, admin.site.urls),
    path("api/v1/", include("predictor.api_urls")),
    re_path(r"^api/", api.not_found),
    path("", include("predictor.urls")),
]
