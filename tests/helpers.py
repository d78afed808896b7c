"""Shared utilities for tests that run the helper: a clean environment, an in-process runner,
a subprocess runner (source or built zipapp), and a SigV4 verifier for tests.fakeaws.FakeAWS.

Every environment built here starts from nothing: PATH (and SYSTEMROOT on Windows) is kept,
LANG is C.UTF-8, HOME is the test's own directory, IMDS is off, timeouts are short, and every
AWS endpoint points at a closed loopback port unless a fake is given, so no test can reach a
real AWS endpoint or read the developer's ~/.aws.
"""

import atexit
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests import sigv4_oracle  # noqa: E402

SOURCE = os.path.join(ROOT, "ecr_login.py")
PROGRAM = "docker-credential-ecr-login"
NOT_FOUND = "credentials not found in native keychain\n"
SUBPROCESS_TIMEOUT = 30.0


def _closed_loopback_port():
    """A loopback port that nothing listens on (connections are refused at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


DEAD_ENDPOINT = "http://127.0.0.1:%d" % _closed_loopback_port()

# Every endpoint setting the helper reads; clean_env points them all at loopback.
ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_SIGNIN", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
)

DEFAULTS = {
    "LANG": "C.UTF-8",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ECR_HTTP_TIMEOUT": "2",
    "AWS_ECR_TOTAL_TIMEOUT": "5",
    "AWS_ECR_RETRY_DELAY": "0.01",
    "AWS_MAX_ATTEMPTS": "2",
    "AWS_METADATA_SERVICE_TIMEOUT": "0.5",
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1",
    "AWS_ECR_LOCK_TIMEOUT": "5",
}


def clean_env(home, fake=None, **extra):
    """A fresh environment for the helper with HOME=home.

    fake: a FakeAWS (or its URL) that every endpoint variable points at; otherwise they point
    at a closed loopback port. extra: variables to set; a value of None removes one.
    """
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home}
    if os.name == "nt" and "SYSTEMROOT" in os.environ:
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    env.update(DEFAULTS)
    url = getattr(fake, "url", fake) or DEAD_ENDPOINT
    for name in ENDPOINT_VARIABLES:
        env[name] = url
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def make_home(test):
    """A private temporary directory (0700) removed when the test ends."""
    path = tempfile.mkdtemp(prefix="ecr-login-test-")
    test.addCleanup(shutil.rmtree, path, True)
    return path


def write_file(path, text, mode=0o600):
    """Write text (str or bytes) to path, creating parent directories."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    data = text.encode("utf-8") if isinstance(text, str) else text
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
    return path


def read_text(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _decode(data):
    return data.decode("utf-8", "replace")


class _NoProxyEnviron(object):
    """urllib reads *_proxy variables from os.environ even when main() is given its own env;
    hide the test runner's proxies while the helper runs in-process."""

    def __enter__(self):
        self.saved = dict((name, value) for name, value in os.environ.items()
                          if name.lower().endswith("_proxy"))
        for name in self.saved:
            del os.environ[name]
        return self

    def __exit__(self, *exc_info):
        os.environ.update(self.saved)
        return False


def run_main(args, env, stdin_bytes=b""):
    """Run ecr_login.main in this process; (exit code, stdout, stderr) as text."""
    stdout, stderr = io.BytesIO(), io.BytesIO()
    if isinstance(stdin_bytes, str):
        stdin_bytes = stdin_bytes.encode("utf-8")
    with _NoProxyEnviron():
        code = ecr_login.main([PROGRAM] + list(args), env, stdin=io.BytesIO(stdin_bytes or b""),
                              stdout=stdout, stderr=stderr)
    return code, _decode(stdout.getvalue()), _decode(stderr.getvalue())


_zipapp = {}


def zipapp_path():
    """The zipapp built once per test run from this tree (build_zipapp.build) in a temp dir."""
    if "path" not in _zipapp:
        import build_zipapp

        directory = tempfile.mkdtemp(prefix="ecr-login-dist-")
        atexit.register(shutil.rmtree, directory, True)
        _zipapp["path"] = build_zipapp.build(os.path.join(directory, PROGRAM))
    return _zipapp["path"]


def run_helper(args, env, stdin_bytes=b"", zipapp=False, timeout=SUBPROCESS_TIMEOUT):
    """Run the helper as a child process of this interpreter: ecr_login.py from the tree, or
    the built zipapp (zipapp=True, or a path to one). (exit code, stdout, stderr) as text."""
    if zipapp:
        program = zipapp if isinstance(zipapp, str) else zipapp_path()
    else:
        program = SOURCE
    if isinstance(stdin_bytes, str):
        stdin_bytes = stdin_bytes.encode("utf-8")
    proc = subprocess.Popen([sys.executable, program] + list(args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        out, err = proc.communicate(stdin_bytes or b"", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, _decode(out), _decode(err)


def sigv4_verifier(fake, log=None):
    """A strict FakeAWS verifier: every signed request must use a key the fake knows
    (fake.credentials; static keys must be added with fake.add_credentials), and its
    signature is checked by tests/sigv4_oracle.py, which shares no code with ecr_login.
    Returns None when it matches, else the reason (the fake answers 403). log: a list that
    gets (recorded request, reason or None) for every check, to prove the verifier ran."""

    def verify(rec):
        reason = _verify(fake, rec)
        if log is not None:
            log.append((rec, reason))
        return reason

    return verify


def _verify(fake, rec):
    known = fake.credentials.get(rec.auth["access_key_id"]) if rec.auth else None
    if known is None:
        return "no SigV4 Authorization header" if rec.auth is None else \
            "unknown access key id %s" % rec.auth["access_key_id"]
    return sigv4_oracle.request_problem(rec.method, rec.path, rec.raw_headers, rec.body, rec.auth["service"],
                                        fake.clock(), secret=known[0], region=fake.signing_region)
