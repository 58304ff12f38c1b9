"""tests/phases tests plain Python: a run of this folder alone never imports Django.

No Django settings, no database, no services: ``pytest tests/phases`` works on a machine
with none of them (``test_runs_without_django`` in ``test_imports.py`` checks it in a
subprocess). The fixture below also checks every such run: when all the collected tests
are in this folder, nothing may have imported Django by the end.
"""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def _no_django(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if all(HERE in item.path.parents for item in request.session.items):
        assert "django" not in sys.modules, "a run of tests/phases alone imported Django"
