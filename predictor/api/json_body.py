"""The request body of an API call, read as strict JSON: what json.loads lets through but a
number field cannot mean (NaN, Infinity, a key given twice) is refused too."""
import json

from predictor.errors import ApiError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number in JSON")


def _no_duplicate_keys(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return result


def read_json(request):
    """The request body as JSON: 415 for another content type, 400 malformed. (A body over the limit
    never gets here: RequestBodyLimitMiddleware answers it 413 first.)"""
    if request.content_type != "application/json":
        raise ApiError(415, {"content_type": ["Send the body as application/json."]})
    body = request.body
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError:
        raise ApiError(400, {"body": ["The body is not valid UTF-8."]}) from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ApiError(400, {"body": [f"Malformed JSON: {str(exc)[:200]}."]}) from None
