from django.urls import path

from predictor import api

app_name = "api"

urlpatterns = [
    path("predictions", api.create_prediction, name="predictions"),
    path("predictions/batch", api.create_batch, name="batch"),
    path("predictions/<uuid:prediction_id>", api.get_prediction, name="prediction"),
    path("models/active", api.active_model, name="active-model"),
    path("openapi.json", api.openapi_document, name="openapi"),
    path("docs", api.docs_page, name="docs"),
]
