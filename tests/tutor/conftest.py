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
