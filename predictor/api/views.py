"""The API's views: thin, they translate JSON to service calls and back."""
import functools
import logging
import uuid

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.views.decorators.csrf import csrf_exempt

from predictor import errors, monitoring, services, validation, versions
from predictor.api import openapi
from predictor.api.json_body import read_json
from predictor.api.serializers import prediction_json, predictions_document
from predictor.errors import ApiError
from predictor.models import Prediction
from predictor.outage import is_outage

MAX_BATCH_ROWS = openapi.MAX_BATCH_ROWS
logger = logging.getLogger(__name__)


def api_view(*methods: str):
    """JSON in and out: 405 for other methods, ApiError and unavailability as JSON errors."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return errors.method_not_allowed(request, methods)
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                monitoring.inputs_rejected(exc.status, exc.errors)
                return errors.json_error(exc.status, exc.errors, exc.headers)
            except services.ModelUnavailable as exc:
                return errors.model_unavailable(request, exc)
            except Exception as exc:  # an outage (503), or a bug: logged, answered in JSON without internals
                if is_outage(exc):
                    return errors.database_unavailable(request, exc)
                logger.exception("unhandled error in %s %s", request.method, request.path)
                return errors.api_internal_error()

        return wrapper

    return decorate


_ZERO_ID = uuid.UUID(int=0)
_url_patterns: dict = {}


def prediction_url(prediction_id: uuid.UUID) -> str:
    """reverse("api:prediction", args=[prediction_id]), resolved once per URLconf and prefix.

    reverse() walks the URLconf on every call; every created prediction needs only its id put in.
    """
    key = (get_script_prefix(), get_urlconf())
    pattern = _url_patterns.get(key)
    if pattern is None:
        pattern = _url_patterns[key] = reverse("api:prediction", args=[_ZERO_ID])
    return pattern.replace(str(_ZERO_ID), str(prediction_id))


@api_view("POST")
def create_prediction(request):
    values, invalid = validation.validate_row(read_json(request))
    if invalid:
        raise ApiError(400, invalid)
    prediction = services.predict_and_record(**values, source=Prediction.Source.API)
    response = JsonResponse(prediction_json(prediction), status=201)
    response["Location"] = prediction_url(prediction.id)
    return response


@api_view("POST")
def create_batch(request):
    payload = read_json(request)
    if not isinstance(payload, dict) or set(payload) != {"inputs"} or not isinstance(payload["inputs"], list):
        raise ApiError(400, {"inputs": ['Send {"inputs": [{...}, ...]} with up to 10,000 objects.']})
    rows = payload["inputs"]
    if not rows:
        raise ApiError(400, {"inputs": ["Send at least one input."]})
    if len(rows) > MAX_BATCH_ROWS:
        raise ApiError(413, {"inputs": [f"At most {MAX_BATCH_ROWS:,} inputs per batch; got {len(rows):,}."]})
    matrix, invalid = validation.validate_rows(rows)
    if invalid:
        raise ApiError(400, invalid)
    predictions = services.predict_many_and_record(inputs=matrix, source=Prediction.Source.BATCH)
    return HttpResponse(predictions_document(predictions), content_type="application/json", status=201)


@api_view("GET", "HEAD")
def get_prediction(request, prediction_id):
    prediction = Prediction.objects.filter(pk=prediction_id).first()
    if prediction is None:
        raise ApiError(404, {"id": [f"No prediction {prediction_id}."]})
    return JsonResponse(prediction_json(prediction))


@api_view("GET", "HEAD")
def active_model(request):
    version = versions.active_model_version()
    if version is None:
        raise ApiError(503, {"model": ["No model version is active."]})
    return JsonResponse({
        "id": version.pk,
        "created_at": version.created_at.isoformat(),
        "activated_at": version.activated_at.isoformat() if version.activated_at else None,
        "metrics": version.metrics,
        "feature_ranges": version.feature_ranges,
        "training_rows": version.training_rows,
    })


@api_view("GET", "HEAD")
def openapi_document(request):
    return JsonResponse(openapi.document())


@api_view("GET", "HEAD")
def docs_page(request):
    """A human-readable, try-it-out view of the OpenAPI document (no CDN, CSP-clean)."""
    return render(request, "api/docs.html", openapi.docs_context(base_url=request.build_absolute_uri("/")[:-1]))
