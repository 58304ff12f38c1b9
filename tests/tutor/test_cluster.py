"""Beyond one machine: scripts/cluster_check.py, run as ``make cluster`` runs it.

Two gunicorn instances behind HAProxy and two Celery workers on one PostgreSQL database
(``<name>_cluster`` beside DATABASE_URL's) and one Redis database (CLUSTER_REDIS_DB,
default 2); one instance and one worker are killed mid-run. The script asserts and prints
a summary; this test runs it and reads both. About a minute.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "cluster_check.py"
# The script stops itself and everything it started at its own hard deadline (150 s);
# this bound is only for a script that hangs anyway.
TIMEOUT = 200


@pytest.fixture
def haproxy():
    if not shutil.which("haproxy"):
        message = "haproxy is missing: apt-get install haproxy (.ci/run installs it)"
        if os.environ.get("REQUIRE_BROWSER"):  # CI: the cluster check must run, not skip
            pytest.fail(message)
        pytest.skip(message)


def run_script() -> subprocess.CompletedProcess:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the script then stops the processes it started.
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, output)


def test_the_site_outlives_a_dead_web_instance_and_a_dead_worker(haproxy):
    result = run_script()
    output = result.stdout
    print(output)  # the summary, shown with pytest -rP
    assert result.returncode == 0, output
    assert "RESULT: ok" in output
    assert "lost acknowledged saves: 0" in output
    assert "errors: 0 before the kill" in output
    # Both instances answered saves through the load balancer, both workers ran tasks.
    # A response the load balancer gave itself (a 502 in the failover) is counted apart,
    # so the line may name more than the two instances, in any order.
    line = re.search(r"saves per instance before the kill: (.*)", output)
    assert line, output
    saves = dict(re.findall(r"(\S+) (\d+)", line[1]))
    assert int(saves.get("web1", 0)) > 0 and int(saves.get("web2", 0)) > 0, output
    tasks = re.search(r"worker1 \d+/(\d+), worker2 \d+/(\d+)", output)
    assert tasks and int(tasks[1]) > 0 and int(tasks[2]) > 0, output
    done = re.search(r"reports done at the end: (\d+)/(\d+)", output)
    assert done and done[1] == done[2] and int(done[2]) > 0, output
    assert "NOT recovered" not in output
