"""The JSON API under /api/v1/: views and urls, the request body (json_body), the answers
(serializers) and the OpenAPI document (openapi).

Every answer under /api/ is JSON, errors included: {"errors": {"<field>": ["<message>"]}}
(predictor.errors). The API needs no login and no CSRF token (it sets no cookies and reads none).
"""
