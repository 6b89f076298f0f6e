"""Error answers in the form the client reads: JSON under /api/ (the API's own error shape),
a small page everywhere else. Used by the middleware that refuse a request before any view runs.
"""
from django.http import JsonResponse
from django.shortcuts import render


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def problem(request, *, status: int, field: str, message: str, template: str,
            headers: dict | None = None):
    if is_api(request):
        response = JsonResponse({"errors": {field: [message]}}, status=status)
    else:
        response = render(request, template, {"message": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
