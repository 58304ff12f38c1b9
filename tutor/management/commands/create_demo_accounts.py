"""Demo accounts for a local run: one learner, one instructor, one staff member.

Only ``make run`` calls this; migrations never create users. The passwords are
printed because they are meant for a laptop, not a server.
"""

from django.core.management.base import BaseCommand

from tutor.models import ProblemSet, User

DEMO = (
    ("learner", User.Role.LEARNER, "learn-design-1"),
    ("instructor", User.Role.INSTRUCTOR, "teach-design-1"),
    ("staff", User.Role.STAFF, "run-the-site-1"),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts and print their passwords."

    def handle(self, *args, **options):
        for username, role, password in DEMO:
            user, _ = User.objects.get_or_create(username=username)
            user.role = role
            user.is_superuser = role == User.Role.STAFF
            user.set_password(password)
            user.save()
            if role == User.Role.INSTRUCTOR:
                for problem_set in ProblemSet.objects.all():
                    problem_set.instructors.add(user)
            self.stdout.write(f"  {role:<10} username {username:<10} password {password}")
