"""Plain factory functions for the people and things tests need."""

import os
from pathlib import Path

from django.db import connection

from tutor.models import ProblemSet, User
from tutor.problemsets import import_problem_set, read_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSWORD = "correct-horse-battery-9"


def make_user(username: str, role: str = User.Role.LEARNER) -> User:
    user = User(username=username, role=role)
    user.set_password(PASSWORD)
    user.save()
    return user


def shipped_problem_set(name: str = "foundations") -> ProblemSet:
    return import_problem_set(read_file(FIXTURES / "problemsets" / f"{name}.yaml"))


def closed_problem_set(slug: str, instructor: User | None = None) -> ProblemSet:
    data = read_file(FIXTURES / "problemsets" / "foundations.yaml")
    data.update(slug=slug, title=f"Closed set {slug}", is_open=False)
    problem_set = import_problem_set(data)
    if instructor is not None:
        problem_set.instructors.add(instructor)
    return problem_set


def subprocess_env(**overrides) -> dict:
    """The environment for a child process (grader, worker) that must see the test
    database: the same settings, with DATABASE_URL naming the test database."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db["ENGINE"].endswith("postgresql"):
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env.update(overrides)
    return env
