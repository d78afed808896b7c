"""The one harness for tests that run the helper: a clean environment, an in-process runner,
a child-process runner (the module, the source as a script, or the built zipapp), a SigV4
verifier for tests.fakeaws.FakeAWS, and HelperCase, the base class every such test uses (its
env, get, run, assert_token, assert_not_found and secret-leak checks).

Every environment built here starts from nothing: PATH (and SYSTEMROOT on Windows) is kept,
LANG is C.UTF-8, HOME is the test's own directory, IMDS is off, timeouts are short, and every
AWS endpoint points at a closed loopback port unless a fake is given, so no test can reach a
real AWS endpoint or read the developer's ~/.aws.
"""

import atexit
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests import sigv4_oracle  # noqa: E402
from tests.fakeaws import KIND_ECR_PASSWORD, FakeAWS  # noqa: E402
from tests.vectors import skip_or_fail  # noqa: E402

SOURCE = os.path.join(ROOT, "ecr_login.py")
PROGRAM = "docker-credential-ecr-login"
NOT_FOUND = "credentials not found in native keychain\n"
SUBPROCESS_TIMEOUT = 30.0
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"

# A child that imports ecr_login (its bytecode cached in __pycache__) instead of compiling the
# source as a script on every start: argv is [root, program name or path, args...].
MODULE_RUNNER = ("import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv.pop(0); import ecr_login; "
                 "sys.exit(ecr_login.main())")


def _closed_loopback_port():
    """A loopback port that nothing listens on (connections are refused at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


class SilentListener:
    """A loopback port that accepts connections into its backlog and never answers;
    connections() says how many arrived (0 means nothing at all was sent to it)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def connections(self):
        self.sock.setblocking(False)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, socket.error):
                return count
            conn.close()
            count += 1

    def close(self):
        self.sock.close()


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


def require_a_second_user():
    """Skip (under CI=true: fail) unless this run can act as another local user: root, with setpriv."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")):
        skip_or_fail("needs root and setpriv to act as a second local user")


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


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


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


class Result(tuple):
    """(exit code, stdout, stderr) of one run, also as .code, .out and .err."""

    __slots__ = ()

    def __new__(cls, code, out, err):
        return tuple.__new__(cls, (code, out, err))

    code, out, err = (property(lambda self, index=index: self[index]) for index in range(3))

    def __repr__(self):
        return "exit %r\nstdout: %r\nstderr: %r" % self


def run_main(args, env, stdin_bytes=b"", program=PROGRAM):
    """Run ecr_login.main in this process; (exit code, stdout, stderr) as a Result."""
    stdout, stderr = io.BytesIO(), io.BytesIO()
    if isinstance(stdin_bytes, str):
        stdin_bytes = stdin_bytes.encode("utf-8")
    with _NoProxyEnviron():
        code = ecr_login.main([program] + list(args), env, stdin=io.BytesIO(stdin_bytes or b""),
                              stdout=stdout, stderr=stderr)
    return Result(code, _decode(stdout.getvalue()), _decode(stderr.getvalue()))


_zipapp = {}


def zipapp_path():
    """The zipapp built once per test run from this tree (build_zipapp.build) in a temp dir."""
    if "path" not in _zipapp:
        import build_zipapp

        directory = tempfile.mkdtemp(prefix="ecr-login-dist-")
        atexit.register(shutil.rmtree, directory, True)
        _zipapp["path"] = build_zipapp.build(os.path.join(directory, PROGRAM))
    return _zipapp["path"]


# Children start without the site module (-S), as the benchmark does: the helper needs only the
# standard library, and a site-packages .pth file can cost more than the helper's own start.
CHILD_PYTHON = [sys.executable, "-S"]


def python_command(*words):
    """A shell-quoted command line running this Python (as CHILD_PYTHON) with words, for a
    credential_process or a script's #! line."""
    import shlex

    return " ".join(shlex.quote(word) for word in CHILD_PYTHON + list(words))


def child_argv(args, how="module", program=PROGRAM, site=False):
    """The command line of a child helper. how: "module" (MODULE_RUNNER, quickest), "script"
    (python ecr_login.py) or "zipapp" (the built one, or a path to one); program is argv[0]
    for the module runner (a name or a path: it decides the helper's role). site: load the
    site module (sitecustomize) as a plain python3 would."""
    python = [sys.executable] if site else CHILD_PYTHON
    if how == "module":
        return python + ["-c", MODULE_RUNNER, ROOT, program] + list(args)
    if how == "script":
        return python + [SOURCE] + list(args)
    return python + [how if how not in ("zipapp", True) else zipapp_path()] + list(args)


def run_helper(args, env, stdin_bytes=b"", zipapp=False, timeout=SUBPROCESS_TIMEOUT, how=None, program=PROGRAM,
               cwd=ROOT, site=False):
    """Run the helper as a child process of this interpreter, in a new session (no controlling
    terminal): how as in child_argv (zipapp=True or a path to one picks the zipapp; else the
    module runner). (exit code, stdout, stderr) as a Result."""
    how = how or (zipapp if zipapp else "module")
    if isinstance(stdin_bytes, str):
        stdin_bytes = stdin_bytes.encode("utf-8")
    proc = subprocess.Popen(child_argv(args, how, program, site), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(stdin_bytes or b"", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("%s did not finish within %ss" % (args, timeout))
    return Result(proc.returncode, _decode(out), _decode(err))


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


def log_path(env):
    """Where the helper run with env writes its log."""
    cache_dir = env.get("AWS_ECR_CACHE_DIR") or os.path.join(env.get("HOME", ""), ".ecr")
    return env.get("AWS_ECR_LOG_FILE") or os.path.join(cache_dir, "log", "ecr-login.log")


class HelperCase(unittest.TestCase):
    """A private HOME, a loopback FakeAWS that verifies every SigV4 signature, and runners
    whose every run is checked for leaked secrets (stderr and the log never show one).

    env_keys: (key id, secret) that env() puts in the environment and the fake knows.
    log_level: AWS_ECR_LOG_LEVEL for env() (debug makes the leak checks see the most).
    """

    env_keys = None
    log_level = None
    registry = REGISTRY  # what get asks for unless told
    fake_options = {}

    def setUp(self):
        self.home = make_home(self)
        self.fake = FakeAWS(**self.fake_options)
        self.addCleanup(self.fake.close)
        self.checks = []  # (recorded request, reason or None) for every signature checked
        self.fake.verifier = sigv4_verifier(self.fake, self.checks)
        self.secrets = []  # what the test hands the helper that must never show
        if self.env_keys:
            self.add_keys(*self.env_keys)

    def add_keys(self, key, secret, token=None):
        """Keys the fake accepts (its verifier recomputes the signature with the secret)."""
        self.fake.add_credentials(key, secret, token)
        return key

    # ---- environment and files

    def env(self, **extra):
        """clean_env at the fake with HOME, env_keys and log_level; a value of None removes a variable."""
        settings = {}
        if self.env_keys:
            settings.update(AWS_ACCESS_KEY_ID=self.env_keys[0], AWS_SECRET_ACCESS_KEY=self.env_keys[1])
        if self.log_level:
            settings["AWS_ECR_LOG_LEVEL"] = self.log_level
        settings.update(extra)
        return clean_env(self.home, self.fake, **settings)

    def new_home(self):
        self.home = make_home(self)
        return self.home

    def home_path(self, *parts):
        return os.path.join(self.home, *parts)

    def log_text(self, env=None):
        path = log_path(env or self.env())
        return read_text(path) if os.path.exists(path) else ""

    # ---- running the helper

    def run_main(self, args, env=None, stdin="", program=PROGRAM):
        """main() in this process, checked for leaks."""
        env = self.env() if env is None else env
        return self.assert_no_leak(run_main(args, env, stdin, program), env)

    def run_child(self, args, env=None, stdin="", how="module", program=PROGRAM, timeout=SUBPROCESS_TIMEOUT,
                  site=False):
        """The helper as a child process in a new session (see run_helper), checked for leaks."""
        env = self.env() if env is None else env
        return self.assert_no_leak(run_helper(args, env, stdin, how=how, program=program, timeout=timeout,
                                              cwd=env.get("HOME", ROOT), site=site), env)

    def get(self, server_url=None, env=None, program=PROGRAM, **extra):
        """get in this process with server_url (str or bytes, sent as given; registry unless
        told) on stdin; env, or env(**extra)."""
        return self.run_main(["get"], self.env(**extra) if env is None else env,
                             self.registry if server_url is None else server_url, program)

    def get_child(self, server_url=None, env=None, program=PROGRAM, how="module", **extra):
        """get in a child process (see run_child), server_url and a newline on stdin, as a shell
        pipes it; env, or env(**extra)."""
        stdin = (self.registry if server_url is None else server_url) + "\n"
        return self.run_child(["get"], self.env(**extra) if env is None else env, stdin, how, program)

    # ---- checks

    def leaked(self, text):
        """The secrets in text: minted by the fake, known to it, or handed over by the test."""
        known = [value for pair in self.fake.credentials.values() for value in pair if value]
        return [secret for secret in self.fake.secrets_in(text) + known + self.secrets if secret in text]

    def assert_no_leak(self, result, env):
        self.assertEqual(self.leaked(result[2]), [], "a secret leaked to stderr: %r" % (result,))
        self.assertEqual(self.leaked(self.log_text(env)), [], "a secret leaked to the log")
        return result

    def ecr_passwords(self):
        """The ECR passwords the fake has handed out, oldest first."""
        return [value for value in self.fake.minted if self.fake.minted_kind[value] == KIND_ECR_PASSWORD]

    def assert_token(self, result, server_url=REGISTRY):
        """The exact success answer for server_url with a password the fake's ECR minted;
        returns the password."""
        code, out, err = result
        self.assertEqual((code, err), (0, ""), "get failed: %r" % (result,))
        password = json.loads(out).get("Secret", "")
        self.assertEqual(out, '{"ServerURL":%s,"Username":"AWS","Secret":%s}\n' % (
            json.dumps(server_url), json.dumps(password)))
        self.assertIn(password, self.ecr_passwords())
        return password

    def assert_one_line(self, err):
        """A reason as the helper gives one: one line naming the program, no traceback."""
        self.assertNotIn("Traceback", err)
        self.assertNotIn("internal error", err)
        self.assertTrue(err.startswith(PROGRAM + ": "), repr(err))
        self.assertTrue(err.endswith("\n") and err.count("\n") == 1, "the reason is not one line: %r" % err)

    def assert_not_ours(self, result):
        """Not an ECR registry: not-found with nothing on stderr (Docker would show it)."""
        self.assertEqual(tuple(result), (1, NOT_FOUND, ""))

    def assert_not_found(self, result, *reason_parts):
        """The protocol's not-found answer with a one-line reason holding each part."""
        code, out, err = result
        self.assertEqual((code, out), (1, NOT_FOUND), "expected not-found: %r" % (result,))
        self.assert_one_line(err)
        for part in reason_parts:
            self.assertIn(part, err)
        return err
