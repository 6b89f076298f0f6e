"""413 for request bodies above settings.MAX_REQUEST_BODY_BYTES, before anything reads them."""
from django.conf import settings

from predictor.problems import problem


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
            return problem(request, status=413, field="body", template="413.html",
                           message=f"The request body is too large: at most {limit:,} bytes.")
        return self.get_response(request)
