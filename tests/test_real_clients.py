"""Real clients pull through the helper from a real registry (issue 7): skopeo, podman, buildah,
the docker CLI, docker-py, and a kubelet-style request.

The scenario itself is in tests/realclients_support.py; this test runs it inside a private
mount + network (+ pid) namespace made with ``unshare``, where the ECR host name
123456789012.dkr.ecr.us-west-2.amazonaws.com resolves to 127.0.0.2 and Debian's
``docker-registry`` serves it over TLS with htpasswd auth, the fake ECR (tests/fakeaws.py) mints
the registry's password, and only loopback exists. Nothing it mounts (/etc/hosts,
/etc/docker) is visible outside that namespace, and the kernel removes it all at exit.

It needs root, ``unshare``, ``ip``, ``mount``, ``openssl``, ``skopeo``, ``podman``, ``buildah``, ``docker-registry``,
``htpasswd`` (apache2-utils), the ``docker`` CLI (no daemon: ``docker manifest inspect``), and
docker-py: importable here, or in the python named by ``ECR_LOGIN_CLIENTS_PYTHON``. On Debian::

    apt-get install -y skopeo podman buildah docker-registry apache2-utils
    python3 -m venv /tmp/clients && /tmp/clients/bin/pip install docker==7.2.0
    sudo ECR_LOGIN_REAL_CLIENTS=1 ECR_LOGIN_CLIENTS_PYTHON=/tmp/clients/bin/python \\
        python3 -m unittest -v tests.test_real_clients

When it runs (``ECR_LOGIN_REAL_CLIENTS``):

- ``1``: run it. Missing tools, docker-py or root skip it with a message saying what is
  missing, except under ``CI=true``, where they are a failure.
- ``0``: leave it out of the suite (no test is loaded, so nothing is skipped), because the
  caller runs it as its own step. .ci/run sets this for the
  per-interpreter suites (the scenario takes a few seconds and is interpreter-independent, as
  the helper is run by one interpreter), and runs ``python -m unittest tests.test_real_clients``
  once, with ``ECR_LOGIN_REAL_CLIENTS=1`` and ``CI=true``, on the newest interpreter.
- unset: skip it with a message; under ``CI=true`` this is a failure, so a CI that runs the
  suite without deciding where the real-client test runs cannot pass silently.

Stdlib only; imports and skips cleanly on Python 3.6 to 3.13.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.vectors import skip_or_fail, under_ci

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUPPORT = os.path.join(HERE, "realclients_support.py")

SWITCH = "ECR_LOGIN_REAL_CLIENTS"
CLIENTS_PYTHON = "ECR_LOGIN_CLIENTS_PYTHON"
INSIDE_MARKER = "ECR_LOGIN_REAL_CLIENTS_INSIDE"
TOOLS = ("unshare", "ip", "mount", "openssl", "skopeo", "podman", "buildah", "htpasswd", "docker")
REGISTRY_BINARIES = ("docker-registry", "registry")
RUN_TIMEOUT = 120     # the whole scenario; it normally takes 2-5 s
PROBE_TIMEOUT = 30
NAMESPACE_FULL = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
NAMESPACE_BASIC = ["unshare", "--mount", "--net"]


def call(args, timeout=PROBE_TIMEOUT, env=None):
    """(returncode, combined output); (None, reason) when it cannot be run or times out."""
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env)
    except OSError as error:
        return None, str(error)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, "%s timed out after %s s" % (args[0], timeout)
    return proc.returncode, out.decode("utf-8", "replace")


def docker_py_problem():
    """None when some python here can run docker-py, else why not."""
    try:
        import docker  # noqa: F401
        return None
    except ImportError:
        pass
    python = os.environ.get(CLIENTS_PYTHON)
    if not python:
        return "docker-py is not importable here and %s is not set" % CLIENTS_PYTHON
    code, out = call([python, "-c", "import docker.credentials.errors"])
    if code != 0:
        return "%s=%s cannot import docker-py: %s" % (CLIENTS_PYTHON, python, out.strip()[-300:])
    return None


def missing_requirements():
    """What this machine lacks for the scenario (an empty list when nothing)."""
    if not sys.platform.startswith("linux"):
        return ["Linux (namespaces)"]
    missing = []
    if os.geteuid() != 0:
        missing.append("root (to make mount and network namespaces)")
    missing.extend(tool for tool in TOOLS if shutil.which(tool) is None)
    if not any(shutil.which(name) for name in REGISTRY_BINARIES):
        missing.append("docker-registry (the distribution registry)")
    problem = docker_py_problem()
    if problem:
        missing.append(problem)
    if not missing:
        code, out = call(NAMESPACE_BASIC + ["true"])
        if code != 0:
            missing.append("a working 'unshare --mount --net' (%s)" % out.strip()[-200:])
    return missing


def namespace_command():
    """unshare with a pid namespace when possible, so a killed run leaves no registry behind."""
    code, _ = call(NAMESPACE_FULL + ["true"])
    return NAMESPACE_FULL if code == 0 else NAMESPACE_BASIC


def switch_decision():
    """(run, reason): whether this process should run the scenario, and if not why."""
    value = os.environ.get(SWITCH, "").strip()
    if value == "1":
        return True, ""
    if value == "0":
        return False, "%s=0: the real-client test runs as its own step (.ci/run)" % SWITCH
    reason = "the real-client test runs only with %s=1 (see this module's docstring)" % SWITCH
    return False, reason


def load_tests(loader, tests, pattern):
    """With ECR_LOGIN_REAL_CLIENTS=0 the scenario belongs to another step: load nothing."""
    if os.environ.get(SWITCH, "").strip() == "0":
        return unittest.TestSuite()
    return tests


class RealClientsTest(unittest.TestCase):
    def test_skopeo_podman_buildah_docker_cli_docker_py_and_kubelet_through_the_helper(self):
        run, reason = switch_decision()
        if not run:
            if under_ci() and os.environ.get(SWITCH, "").strip() != "0":
                self.fail("CI=true and %s is unset: set it to 1 to run the real-client test "
                          "here, or to 0 where CI runs it as its own step" % SWITCH)
            self.skipTest(reason)
        missing = missing_requirements()
        if missing:
            skip_or_fail("real-client test needs: " + "; ".join(missing))

        # The scenario's temp files go under a directory removed here, even when the run
        # had to be killed and could not clean up itself.
        work = tempfile.mkdtemp(prefix="ecr-login-real-clients-")
        self.addCleanup(shutil.rmtree, work, True)
        env = dict(os.environ)
        env[INSIDE_MARKER] = "1"
        env["TMPDIR"] = work
        args = namespace_command() + [sys.executable, SUPPORT]
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()   # unshare; --kill-child takes the namespace's processes with it
            out, _ = proc.communicate()
            self.fail("the real-client scenario timed out after %d s:\n%s"
                      % (RUN_TIMEOUT, out.decode("utf-8", "replace")))
        text = out.decode("utf-8", "replace")
        if proc.returncode != 0:
            self.fail("the real-client scenario failed (exit %d) in %s:\n%s"
                      % (proc.returncode, " ".join(args), text))
        # Versions and timings, for the CI log.
        for line in text.splitlines():
            if "realclients:" in line:
                sys.stderr.write(line[line.index("realclients:"):] + "\n")


if __name__ == "__main__":
    unittest.main()
