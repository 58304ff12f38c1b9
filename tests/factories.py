"""Plain factory functions for the people and things tests need."""

from pathlib import Path

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
