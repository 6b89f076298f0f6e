"""Content-Security-Policy on every response, from settings.CONTENT_SECURITY_POLICY.

Django 5.2 has no CSP support of its own (it arrives in 6.0); this is the whole of it.
"""
from django.conf import settings


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Once per handler, as Django builds its middleware once: settings do not change while serving.
        self.header = policy_header(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response
