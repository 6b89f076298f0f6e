"""Content-Security-Policy on every response, from settings.SECURE_CSP.

Django 5.2 has no CSP support of its own. Django 6.0's ContentSecurityPolicyMiddleware reads the
same setting in the same shape, so moving to it replaces this module's line in MIDDLEWARE with
"django.middleware.csp.ContentSecurityPolicyMiddleware".
"""
from django.conf import settings


def policy_header(policy: dict[str, list[str]]) -> str:
    """The header's value, "directive source source; directive source", as Django 6 writes it."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Once per handler, as Django builds its middleware once: settings do not change while serving.
        self.header = policy_header(settings.SECURE_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
