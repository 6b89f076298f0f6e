"""Property-based: requests generated from the served OpenAPI document never get a 5xx
and every response matches the document."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from bikesite.wsgi import application

# Invalid requests must be refused with one of the statuses the document declares
# (413 for a batch over 10,000 rows, 415 for a body that is not JSON).
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": ["400", "404", "405", "413", "415"]}}}
)
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
CASES = st.one_of(*[operation.as_strategy(generation_mode=mode) for operation in OPERATIONS for mode in MODES])
REQUESTS = 1_200
sent = []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_generated_requests_get_no_5xx_and_conform_to_the_schema(active_version):
    @settings(max_examples=REQUESTS, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=CASES)
    def check(case):
        response = case.call_and_validate()
        sent.append(response.status_code)
        assert response.status_code < 500

    check()
    assert len(sent) >= 1_000
