from tests.fixtures_django import (  # noqa: F401 - fixtures, found by name
    alice,
    alice_client,
    attempt,
    bob,
    charlie,
    foundations,
    start_worker,
    static_manifest,
    url_shortener,
)
from tests.tutor.lti_helpers import (  # noqa: F401, E402 - fixtures, found by name
    platform,
    registration,
    tool_keys,
)
