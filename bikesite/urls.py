import os

from django.contrib import admin
from django.urls import include, path

from predictor.views import metrics_endpoint

# The admin URL can be moved away from the well-known /admin/ by the environment.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

urlpatterns = [
    path(ADMIN_URL, admin.site.urls),
    path("api/v1/", include("predictor.api.urls")),
    path("metrics", metrics_endpoint, name="metrics"),
    path("", include("predictor.urls")),
]

handler400 = "predictor.errors.bad_request"
handler403 = "predictor.errors.permission_denied"
handler404 = "predictor.errors.page_not_found"
handler500 = "predictor.errors.server_error"
