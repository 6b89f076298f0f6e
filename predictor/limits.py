"""413 for request bodies above settings.MAX_REQUEST_BODY_BYTES, before anything reads them."""
from django.conf import settings

from predictor import errors


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads an unparsable length as an empty body
        limit = settings.MAX_REQUEST_BODY_BYTES
        if length > limit:
            return errors.body_too_large(request, limit)
        return self.get_response(request)
