"""A real Celery worker for tests that need one, and a helper to wait for it."""

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.factories import subprocess_env
from tutor import celery_app

ROOT = Path(__file__).resolve().parent.parent
CELERY = ROOT / ".venv" / "bin" / "celery"


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Call ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True, check=False
    )
    return [int(line) for line in result.stdout.split()]


class Worker:
    """A real ``celery worker`` process, its log, and how to stop it."""

    def __init__(self, log_path: Path, beat: bool = False, **env):
        self.name = f"bgtest-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        # With beat, the worker also sends the periodic sweep (as `make run` starts it).
        schedule = log_path.with_suffix(".beat")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "tutor",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "info",
                "--without-gossip",
                "--without-mingle",
                "-n",
                self.name,
                *(["--beat", "--schedule", str(schedule)] if beat else []),
            ],
            cwd=ROOT,
            env=subprocess_env(**env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches the pool
        )
        self.hostname = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.output()}")
            replies = celery_app.control.ping(timeout=0.5)
            for reply in replies:
                for hostname in reply:
                    if hostname.startswith(self.name.split("@")[0]):
                        self.hostname = hostname
                        return
        raise AssertionError(f"the worker did not answer a ping in {timeout} s:\n{self.output()}")

    def pool_children(self) -> list[int]:
        return children_of(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool, as a lost machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # the group this test started
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real workers on demand (purging stale messages first); stop them all after."""
    celery_app.control.purge()
    workers: list[Worker] = []

    def start(beat: bool = False, **env) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(workers)}.log", beat=beat, **env)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
    celery_app.control.purge()
