"""Reliability of ecr_login.py: retries, bounded time, single flight, caches that cannot stop a
get, bad input, fuzzed parsers, and secrets that never leak into output, logs or files.

Most cases run ecr_login.main() in-process against the loopback fake (tests.fakeaws); only the
single-flight cases start child processes. Every run has its own HOME and a from-scratch
environment (tests.helpers.clean_env): nothing of the developer's AWS setup is read.
"""

import base64
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from tests.fakeaws import Reply, json_error, sts_error
from tests.helpers import (
    mode_of, DEAD_ENDPOINT, NOT_FOUND, ROOT, HelperCase, clean_env, ecr_login, make_home, python_command, read_text,
    run_main, write_file)
from tests import helpers

AKID = "AKIARELIABILITY00001"
SECRET = "reliability-static-secret-9f2c41d07be5a3"
SESSION_TOKEN = "reliability-static-session-token-5e8a11c4d2"
BASE_AKID = "AKIARELIABILITYBASE1"
BASE_SECRET = "reliability-base-profile-secret-77d0a9e3f1"
SA_TOKEN = "reliability-service-account-token-3c9be0412f"
ROLE_ARN = "arn:aws:iam::123456789012:role/reliability"
KUBELET_ROLE_ANNOTATION = "eks.amazonaws.com/ecr-role-arn"

REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
REGISTRY_B = "210987654321.dkr.ecr.us-west-2.amazonaws.com"
REGISTRY_C = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
PUBLIC = "public.ecr.aws"
NO_SERVER_URL = "no credentials server URL\n"
JSON_11 = "application/x-amz-json-1.1"
HOUR = 3600
CONCURRENT_HELPERS = 24


def token_of(password, user="AWS"):
    return base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


def process_alive(pid):
    """True while pid runs (a zombie or a vanished process counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (IOError, OSError, IndexError):
        return True
    return state not in ("Z", "X")


def tmp_files(*directories):
    found = []
    for directory in directories:
        for dirpath, _, filenames in os.walk(directory):
            found.extend(os.path.join(dirpath, name) for name in filenames if name.endswith(".tmp"))
    return found


class ReliabilityCase(HelperCase):
    """The harness with static keys in the environment, a role profile, and cache checks."""

    env_keys = (AKID, SECRET)

    def setUp(self):
        super().setUp()
        self.cache_dir = os.path.join(self.home, ".ecr")

    def role_env(self, **extra):
        """A clean env using the role profile written by write_role_profiles."""
        settings = {"AWS_PROFILE": "role"}
        settings.update(extra)
        return clean_env(self.home, self.fake, **settings)

    def write_role_profiles(self):
        self.add_keys(BASE_AKID, BASE_SECRET)
        config = write_file(os.path.join(self.home, ".aws", "config"),
                            "[profile role]\nrole_arn = %s\nsource_profile = base\n"
                            "[profile base]\nregion = us-west-2\n" % ROLE_ARN)
        credentials = write_file(os.path.join(self.home, ".aws", "credentials"),
                                 "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                 % (BASE_AKID, BASE_SECRET))
        return config, credentials

    def load_cache(self, cache_dir=None):
        with open(os.path.join(cache_dir or self.cache_dir, "cache.json"), "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))

    def assert_valid_cache(self, entries=1, cache_dir=None):
        document = self.load_cache(cache_dir)
        self.assertEqual(document["Version"], "1.0")
        self.assertIsInstance(document["Registries"], dict)
        self.assertEqual(len(document["Registries"]), entries, document)
        for entry in document["Registries"].values():
            self.assertTrue(entry["AuthorizationToken"])
            ecr_login.parse_timestamp(entry["ExpiresAt"])
        return document

    def ecr_count(self):
        return self.fake.count("ecr", "GetAuthorizationToken")


# ==============================================================================================
# 1. Retries
# ==============================================================================================


class RetryTest(ReliabilityCase):
    def test_500_then_200_succeeds_with_two_requests(self):
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500)])
        self.assert_token(self.get())
        self.assertEqual(self.ecr_count(), 2)

    def test_three_503_give_not_found_after_exactly_three_requests(self):
        # A fourth request would succeed: the helper must stop at AWS_MAX_ATTEMPTS' default, 3.
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=503)] * 3)
        err = self.assert_not_found(self.get(AWS_MAX_ATTEMPTS=None), "503")
        self.assertIn("3 attempt", err)
        self.assertEqual(self.ecr_count(), 3)

    def test_throttling_then_success_retries_once(self):
        self.fake.script("ecr", "GetAuthorizationToken",
                         [json_error("ThrottlingException", "Rate exceeded", 400)])
        self.assert_token(self.get(AWS_MAX_ATTEMPTS=None))
        self.assertEqual(self.ecr_count(), 2)

    def test_a_dropped_connection_is_retried(self):
        for drop in (True, "reset"):
            with self.subTest(drop=drop):
                self.fake.clear()
                shutil.rmtree(self.cache_dir, True)
                self.fake.script("ecr", "GetAuthorizationToken", [Reply(drop=drop)])
                self.assert_token(self.get(AWS_MAX_ATTEMPTS=None))
                self.assertEqual(self.ecr_count(), 2)

    def test_client_errors_are_not_retried_and_are_explained(self):
        cases = [
            ("AccessDeniedException", 403, "User: arn:aws:iam::123456789012:user/ci is not authorized "
                                            "to perform: ecr:GetAuthorizationToken on resource: *"),
            ("InvalidSignatureException", 403, "The request signature we calculated does not match"),
            ("ValidationException", 400, "1 validation error detected: registryIds failed to satisfy"),
        ]
        for code, status, message in cases:
            with self.subTest(code=code):
                self.fake.clear()
                self.fake.script("ecr", "GetAuthorizationToken", [json_error(code, message, status)])
                self.assert_not_found(self.get(AWS_MAX_ATTEMPTS=None), code, message)
                self.assertEqual(self.ecr_count(), 1)
                log = self.log_text()
                self.assertIn(code, log)
                self.assertIn(message, log)

    def test_max_attempts_one_means_no_retry(self):
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500)])
        self.assert_not_found(self.get(AWS_MAX_ATTEMPTS=1), "500")
        self.assertEqual(self.ecr_count(), 1)

    def test_sts_throttling_is_retried_for_a_role_profile(self):
        self.write_role_profiles()
        self.fake.script("sts", "AssumeRole", [sts_error("Throttling", "Rate exceeded", 400)])
        self.assert_token(self.get(env=self.role_env(AWS_MAX_ATTEMPTS=None)))
        self.assertEqual(self.fake.count("sts", "AssumeRole"), 2)
        self.assertEqual(self.ecr_count(), 1)
        self.assertEqual(self.fake.last("ecr").auth["access_key_id"], self.fake.access_key_ids[-1])


# ==============================================================================================
# 2. Bounded time
# ==============================================================================================

HANG_SCRIPT = r"""
import os, subprocess, sys, time
with open(sys.argv[2], "w") as handle:
    handle.write(str(os.getpid()))
if sys.argv[1] == "wrapper":
    # A wrapper (like a shell running a command) whose child inherits stdout and outlives it.
    child = subprocess.Popen([sys.executable, "-S", sys.argv[0], "child", sys.argv[3]])
    child.wait()
else:
    time.sleep(30)
"""


class BoundedTimeTest(ReliabilityCase):
    def test_a_stalled_ecr_endpoint_gives_up_at_the_total_timeout(self):
        # Attempts enough for seconds of stalling: the total timeout, not their number, ends it.
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(delay=10, default=True)] * 50)
        env = self.env(AWS_ECR_HTTP_TIMEOUT="0.2", AWS_ECR_TOTAL_TIMEOUT="0.5", AWS_MAX_ATTEMPTS="50")
        err = self.assert_not_found(self.get(env=env), "timed out")
        # The reason counts the attempts that were made, not the one the deadline cut. (The fake
        # may still be reading a last request sent just before the deadline: give it a moment.)
        attempts = int(err.split(" failed after ", 1)[1].split(" attempt", 1)[0])
        self.assertTrue(1 <= attempts < 50, err)
        deadline = time.monotonic() + 1
        while self.ecr_count() < attempts and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.ecr_count(), attempts, err)

    def hang_profile(self, mode):
        script = write_file(os.path.join(self.home, "hang.py"), HANG_SCRIPT)
        pids = [os.path.join(self.home, "%s.pid" % name) for name in ("first", "second")]
        pids = pids[:2 if mode == "wrapper" else 1]
        command = python_command(script, mode, *pids)
        write_file(os.path.join(self.home, ".aws", "config"), "[default]\ncredential_process = %s\n" % command)
        self.addCleanup(self.kill_recorded, pids)
        return pids

    def kill_recorded(self, pid_files):
        """Kill what the hang script started and left running (checked by its command line)."""
        deadline = time.monotonic() + 2
        for path in pid_files:
            while time.monotonic() < deadline and not (os.path.exists(path) and read_text(path).strip()):
                time.sleep(0.01)
            try:
                pid = int(read_text(path))
                with open("/proc/%d/cmdline" % pid, "rb") as handle:
                    if b"hang.py" in handle.read():
                        os.kill(pid, 9)
            except (IOError, OSError, ValueError):
                pass

    def wait_for_pid(self, path):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(path) and read_text(path).strip():
                return int(read_text(path))
            time.sleep(0.01)
        self.fail("the credential process never wrote %s" % path)

    def test_a_hung_credential_process_is_killed(self):
        pids = self.hang_profile("child")
        result = self.get(env=clean_env(self.home, self.fake, AWS_ECR_PROCESS_TIMEOUT="0.5"))
        self.assert_not_found(result, "did not finish within 0.5 seconds (AWS_ECR_PROCESS_TIMEOUT)")
        self.assertFalse(process_alive(self.wait_for_pid(pids[0])), "the credential process is still running")
        self.assertEqual(self.fake.count(), 0)

    def test_a_hung_credential_process_whose_child_holds_its_output_still_times_out(self):
        # credential_process = sh -c "...": the shell's child keeps stdout open after the shell
        # is killed, so waiting for end-of-output would wait for as long as it runs.
        pids = self.hang_profile("wrapper")
        result = self.get(env=clean_env(self.home, self.fake, AWS_ECR_PROCESS_TIMEOUT="0.5"))
        self.assert_not_found(result, "did not finish within 0.5 seconds (AWS_ECR_PROCESS_TIMEOUT)")
        self.assertFalse(process_alive(self.wait_for_pid(pids[0])), "the credential process is still running")


# ==============================================================================================
# 3. Single flight
# ==============================================================================================


def holding_open(pid, path):
    """True when process pid has path open (Linux: /proc/<pid>/fd)."""
    try:
        links = [os.readlink(os.path.join("/proc/%d/fd" % pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
    except OSError:
        return False
    return path in links


class SingleFlightTest(ReliabilityCase):
    def start_helpers(self, count, env):
        """count helpers running get at once, sharing env's cache dir."""
        stdin_path = write_file(os.path.join(self.home, "stdin"), REGISTRY + "\n")
        processes = []
        self.addCleanup(self.stop, processes)
        for _ in range(count):
            with open(stdin_path, "rb") as stdin:  # one open file each: no shared offset
                processes.append(subprocess.Popen(
                    helpers.child_argv(["get"]), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env=env, cwd=ROOT))
        return processes

    @staticmethod
    def stop(processes):
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()

    @staticmethod
    def answer_once_all_wait(reply, processes, count, cache_dir):
        """A scripted ECR answer held back until every other helper has the cache lock file open
        (they are all waiting for the one asking), so none can start after the burst."""
        lock_path = os.path.realpath(os.path.join(cache_dir, ecr_login.LOCK_FILE))

        def answer(rec):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if len(processes) == count and all(holding_open(process.pid, lock_path) for process in processes):
                    break
                time.sleep(0.01)
            return reply
        return answer

    def burst(self, count, reply):
        """count concurrent gets whose one ECR call gets reply; their (exit code, stdout, stderr)."""
        cache_dir = os.path.join(self.home, "shared-cache")
        env = self.env(AWS_ECR_CACHE_DIR=cache_dir, AWS_ECR_LOCK_TIMEOUT="60")
        processes = []
        self.fake.script("ecr", "GetAuthorizationToken", [self.answer_once_all_wait(reply, processes, count, cache_dir)])
        processes.extend(self.start_helpers(count, env))
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            results.append((process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")))
        return results, env, cache_dir

    def test_concurrent_gets_make_one_token_call(self):
        results, _, cache_dir = self.burst(CONCURRENT_HELPERS, None)
        passwords = set(self.assert_token(result) for result in results)
        self.assertEqual(len(passwords), 1, passwords)
        self.assertEqual(self.ecr_count(), 1)
        self.assert_valid_cache(1, cache_dir)
        self.assertEqual(tmp_files(cache_dir), [])

    def test_a_cache_directory_a_concurrent_helper_just_made_is_used(self):
        # The burst's race: the directory appears between one helper's lstat and its mkdir. That
        # helper must use it (after the usual checks), not run without the cache.
        cache_dir = os.path.join(self.home, "made-by-a-partner")
        os.mkdir(cache_dir, 0o700)
        ecr_login.make_private_level(cache_dir)
        self.assertIsNone(ecr_login.directory_problem(cache_dir, create=True))
        self.assertEqual(mode_of(cache_dir), 0o700)

    def test_a_failed_call_is_shared_with_the_helpers_waiting_for_it(self):
        denied = json_error("AccessDeniedException", "User is not authorized", status=403)
        results, env, _ = self.burst(6, denied)
        # The first one's answer ended the burst: one call, and every waiter says why (none gave
        # up on the lock, none asked again after it).
        for result in results:
            self.assertEqual(result[:2], (1, ecr_login.NOT_FOUND + "\n"))
            self.assertIn("AccessDeniedException", result[2])
            self.assertNotIn("cache lock", result[2])
        self.assertEqual(self.ecr_count(), 1)
        # A later get, after the burst, asks ECR again.
        self.assert_token(self.get(env=env))
        self.assertEqual(self.ecr_count(), 2)


# ==============================================================================================
# 4. A cache that cannot stop a get
# ==============================================================================================


class DamagedCacheTest(ReliabilityCase):
    def cache_path(self):
        return os.path.join(self.cache_dir, "cache.json")

    def static_key(self, server_url=REGISTRY):
        registry = ecr_login.parse_registry(server_url)
        source = ecr_login.StaticSource(ecr_login.Credentials(AKID, SECRET), "test")
        return ecr_login.cache_keys(registry, source)[0]

    def seed(self, key, password, requested_ago, expires_in, service="ecr", endpoint=None):
        now = time.time()
        entry = {"AuthorizationToken": token_of(password),
                 "RequestedAt": ecr_login.format_expiry(now - requested_ago),
                 "ExpiresAt": ecr_login.format_expiry(now + expires_in),
                 "ProxyEndpoint": endpoint or "https://" + REGISTRY, "Service": service}
        write_file(self.cache_path(), json.dumps({"Registries": {key: entry}, "Version": "1.0"}))

    def test_list_never_shows_a_planted_proxy_endpoint(self):
        """cache.json may be planted: an entry naming a host that is no ECR registry is not listed."""
        now = time.time()

        def entry(endpoint):
            return {"AuthorizationToken": token_of("planted"), "RequestedAt": ecr_login.format_expiry(now),
                    "ExpiresAt": ecr_login.format_expiry(now + HOUR), "ProxyEndpoint": endpoint, "Service": "ecr"}

        registries = {"a": entry("https://registry.evil.example"), "b": entry("https://" + REGISTRY),
                      "c": entry("https://%s.evil.example" % REGISTRY), "d": entry("https://public.ecr.aws")}
        write_file(self.cache_path(), json.dumps({"Registries": registries, "Version": "1.0"}))
        code, out, err = self.run_main(["list"], self.env())
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(sorted(json.loads(out)), ["https://" + REGISTRY, "https://public.ecr.aws"])

    def test_damaged_cache_files_are_replaced(self):
        now = time.time()
        cases = [
            ("corrupt JSON", b'{"Registries": {"x": '),
            ("not JSON at all", b"{not json"),
            ("wrong version", json.dumps({"Registries": {}, "Version": "0.1"}).encode()),
            ("a fresh entry in a wrong version", json.dumps({"Version": "0.1", "Registries": {
                self.static_key(): {"AuthorizationToken": token_of("wrong-version"),
                                    "RequestedAt": ecr_login.format_expiry(now - HOUR),
                                    "ExpiresAt": ecr_login.format_expiry(now + 11 * HOUR)}}}).encode()),
            ("Registries a list", json.dumps({"Registries": [], "Version": "1.0"}).encode()),
            ("Registries a string", json.dumps({"Registries": "x", "Version": "1.0"}).encode()),
            ("binary garbage", bytes(range(256)) * 4),
            ("empty", b""),
            ("a JSON array", b"[1, 2, 3]"),
            ("deeply nested", b"[" * 100000),
            ("junk entries", json.dumps({"Version": "1.0", "Registries": {
                "a": "string", "b": None, "c": {"ExpiresAt": 5, "RequestedAt": []},
                self.static_key(): {"AuthorizationToken": "%%%not-base64",
                                    "RequestedAt": ecr_login.format_expiry(now),
                                    "ExpiresAt": ecr_login.format_expiry(now + 6 * HOUR)}}}).encode()),
        ]
        for name, data in cases:
            with self.subTest(cache=name):
                self.fake.clear()
                write_file(self.cache_path(), data)
                password = self.assert_token(self.get())
                self.assertEqual(self.ecr_count(), 1)
                document = self.assert_valid_cache(1)
                self.assertEqual(document["Registries"][self.static_key()]["AuthorizationToken"], token_of(password))

    def test_a_directory_in_place_of_cache_json(self):
        os.makedirs(self.cache_path())
        self.assert_token(self.get())
        self.assertEqual(self.ecr_count(), 1)

    def test_a_cache_dir_that_cannot_be_created(self):
        blocker = write_file(os.path.join(self.home, "regular-file"), "not a directory")
        env = self.env(AWS_ECR_CACHE_DIR=os.path.join(blocker, "cache"))
        for attempt in (1, 2):
            self.assert_token(self.get(env=env))
            self.assertEqual(self.ecr_count(), attempt)  # no cache: every get asks ECR

    def test_a_read_only_cache_dir(self):
        os.makedirs(self.cache_dir, 0o700)
        os.chmod(self.cache_dir, 0o500)
        self.addCleanup(os.chmod, self.cache_dir, 0o700)
        self.assert_token(self.get())
        self.assertEqual(self.ecr_count(), 1)
        if os.geteuid() != 0:  # root writes anyway; the unwritable case is covered just above
            self.assertFalse(os.path.exists(self.cache_path()))
            self.assertEqual(tmp_files(self.cache_dir), [])

    def test_no_home_at_all(self):
        env = self.env(HOME=None)
        self.assertNotIn("HOME", env)
        self.assert_token(self.get(env=env))
        self.assert_token(self.get(PUBLIC, env=env), PUBLIC)
        self.assertEqual(self.run_main(["list"], env)[:2], (0, "{}\n"))
        code, out, err = self.run_main(["get-login-password", REGISTRY], env)
        self.assertEqual((code, err), (0, ""))
        self.assertIn(out.strip(), self.fake.minted)
        self.assertEqual(os.listdir(self.home), [])

    def test_an_expired_token_is_never_a_fallback(self):
        for name, requested_ago, expires_in in (("expired", 13 * HOUR, -HOUR),
                                                ("inside the expiry margin", 12 * HOUR, 200)):
            with self.subTest(entry=name):
                self.fake.clear()
                self.seed(self.static_key(), "stale-password-0001", requested_ago, expires_in)
                self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500)] * 3)
                result = self.get(AWS_MAX_ATTEMPTS=None)
                self.assert_not_found(result, "500")
                self.assertNotIn("stale-password-0001", result[1])
                self.assertEqual(self.ecr_count(), 3)

    def test_an_unexpired_private_token_is_served_when_the_refresh_fails(self):
        self.seed(self.static_key(), "stale-password-0002", 11 * HOUR, HOUR)  # past half-life
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500)] * 3)
        code, out, err = self.get(AWS_MAX_ATTEMPTS=None)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["Secret"], "stale-password-0002")
        self.assertEqual(self.ecr_count(), 3)
        self.assertIn("cached token", self.log_text())

    def test_ecr_public_serves_an_unexpired_cached_token_on_an_ecr_error(self):
        """As the Go helper does (and as for private registries); an expired one never."""
        key = self.static_key(PUBLIC)
        for name, requested_ago, expires_in, served in (("past half-life", 11 * HOUR, HOUR, True),
                                                        ("inside the expiry margin", 12 * HOUR, 200, False),
                                                        ("expired", 13 * HOUR, -HOUR, False)):
            with self.subTest(entry=name):
                self.fake.clear()
                self.seed(key, "stale-public-0003", requested_ago, expires_in, service="ecr-public",
                          endpoint="https://" + PUBLIC)
                self.fake.script("ecr-public", "GetAuthorizationToken", [Reply(status=503)] * 3)
                result = self.get(PUBLIC, AWS_MAX_ATTEMPTS=None)
                if served:
                    self.assertEqual(result[0], 0, result[2])
                    self.assertEqual(json.loads(result[1])["Secret"], "stale-public-0003")
                    self.assertIn("cached token", self.log_text())
                else:
                    self.assert_not_found(result, "503")
                    self.assertNotIn("stale-public-0003", result[1])
                self.assertEqual(self.fake.count("ecr-public"), 3)


# ==============================================================================================
# 5. Bad input
# ==============================================================================================


class BadInputTest(ReliabilityCase):
    def test_bad_server_urls_are_refused_fast_and_offline(self):
        cases = [
            (b"", NO_SERVER_URL),
            (b" \n\t\n", NO_SERVER_URL),
            (b"a" * (1024 * 1024), NOT_FOUND),
            ((REGISTRY + "\n").encode() * 40000, NOT_FOUND),
            (bytes(range(256)), NOT_FOUND),
            (b"\xff\xfe" + REGISTRY.encode(), NOT_FOUND),
            (REGISTRY.encode() + b"\xc3\x28", NOT_FOUND),
            (REGISTRY.encode() + b"\x00", NOT_FOUND),
            (b"\x00" * 10, NOT_FOUND),
            (("https://" + REGISTRY + "/" + "a" * 3000).encode(), NOT_FOUND),
            (b"1" * 3000, NOT_FOUND),
            (b"https://", NOT_FOUND),
            (b"http://", NOT_FOUND),
            (b":::", NOT_FOUND),
            (b"[::1]:5000", NOT_FOUND),
            (b"https://[::1]:5000/v2/", NOT_FOUND),
            (b"@", NOT_FOUND),
            (b"/", NOT_FOUND),
            (b"\x7f", NOT_FOUND),
            ((REGISTRY + " x").encode(), NOT_FOUND),
            ((REGISTRY + "\x1b[31m").encode(), NOT_FOUND),
        ]
        for port in ("", "99999", "65536", "abc", "-1", "+443", "0x50", "443443", "4 43", "\uff14\uff14\uff13",
                     "443:443", "1e3"):
            cases.append(((REGISTRY + ":" + port).encode("utf-8"), NOT_FOUND))
        env = self.env()
        for data, expected in cases:
            with self.subTest(data=data[:60]):
                code, out, err = self.run_main(["get"], env, data)
                self.assertEqual((code, out), (1, expected), err)
                self.assertNotIn("Traceback", err)
                self.assertLessEqual(err.count("\n"), 1, err)
                if expected == NOT_FOUND:
                    self.assert_one_line(err)
                    self.assertLess(len(err), 400, err)
        self.assertEqual(self.fake.count(), 0)  # nothing was asked: a bad input ends at once
        self.assertNotIn("Traceback", self.log_text())

    def test_broken_aws_files_are_named_in_a_one_line_error(self):
        config = os.path.join(self.home, ".aws", "config")
        credentials = os.path.join(self.home, ".aws", "credentials")
        cases = [
            (config, b"\x00\x01\x02[default]\nregion = us-west-2\n", "not a text file"),
            (config, b"[default]\nregion = us-west-2\xff\xfe\n", "UTF-8"),
            (config, b"[default\nregion = us-west-2\n", "line 1"),
            (config, b"region = us-west-2\n", "line 1"),
            (config, bytes(range(256)) * 8, "not a text file"),
            (credentials, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
            (credentials, b"[default]\naws_access_key_id = \xe9\n", "UTF-8"),
            (credentials, b"[default]\n  orphan continuation\n", "line 2"),
            (credentials, b"aws_access_key_id = AKIA\n", "line 1"),
        ]
        for path, data, reason in cases:
            with self.subTest(path=os.path.basename(path), reason=reason, data=data[:20]):
                for stale in (config, credentials):
                    if os.path.exists(stale):
                        os.unlink(stale)
                write_file(path, data)
                env = clean_env(self.home, self.fake)
                err = self.assert_not_found(self.get(env=env), path, reason)
                self.assertNotIn("no AWS credentials found", err)
        self.assertEqual(self.fake.count(), 0)

    def test_malformed_ecr_answers_give_a_clear_reason(self):
        big = b'{"authorizationData": [{"authorizationToken": "' + b"QUFB" * (512 * 1024) + b'"}]}'

        def data(**fields):
            entry = {"authorizationToken": token_of("pw"), "expiresAt": time.time() + 12 * HOUR,
                     "proxyEndpoint": "https://" + REGISTRY}
            entry.update(fields)
            for name in [name for name, value in entry.items() if value is None]:
                del entry[name]
            return {"authorizationData": [entry]}

        cases = [
            ("non-JSON", b"<html><body>Service Unavailable</body></html>", "authorizationData"),
            ("truncated JSON", b'{"authorizationData": [{"authorizationToken": "QVdT', "authorizationData"),
            ("empty list", {"authorizationData": []}, "authorizationData"),
            ("empty object", {}, "authorizationData"),
            ("JSON null", b"null", "authorizationData"),
            ("JSON array", b"[]", "authorizationData"),
            ("not UTF-8", b"\xff\xfe\x00{", "authorizationData"),
            ("deeply nested", b"[" * 100000, "authorizationData"),
            ("authorizationData a string", {"authorizationData": "x"}, "authorizationData"),
            ("authorizationData of strings", {"authorizationData": ["x"]}, "authorizationData"),
            ("token without a colon", data(authorizationToken=base64.b64encode(b"AWSpassword").decode()), "':'"),
            ("token not base64", data(authorizationToken="not*base64!"), "base64"),
            ("token of non-UTF-8 bytes", data(authorizationToken=base64.b64encode(b"AWS:\xff\xfe").decode()),
             "base64"),
            ("token a number", data(authorizationToken=12345), "authorizationToken"),
            ("token empty", data(authorizationToken=""), "authorizationToken"),
            ("token missing", data(authorizationToken=None), "authorizationToken"),
            ("expiresAt a string", data(expiresAt="2030-01-01T00:00:00Z"), "expiresAt"),
            ("expiresAt a boolean", data(expiresAt=True), "expiresAt"),
            ("expiresAt missing", data(expiresAt=None), "expiresAt"),
            ("expiresAt absurd", data(expiresAt=1e20), "expiresAt"),
            ("expiresAt infinite", b'{"authorizationData": [{"authorizationToken": "%s", "expiresAt": 1e999}]}'
             % token_of("pw").encode(), "expiresAt"),
            ("expiresAt a huge integer", b'{"authorizationData": [{"authorizationToken": "%s", "expiresAt": 1%s}]}'
             % (token_of("pw").encode(), b"0" * 400), "expiresAt"),
            ("expiresAt zero", data(expiresAt=0), "expiresAt"),
            ("expiresAt NaN", b'{"authorizationData": [{"authorizationToken": "%s", "expiresAt": NaN}]}'
             % token_of("pw").encode(), "authorizationData"),
            ("2 MB body", big, "larger than"),
            # The Go helper refuses these: "Invalid ProxyEndpoint returned by ECR".
            ("proxyEndpoint another host", data(proxyEndpoint="https://registry.evil.example"), "Invalid ProxyEndpoint"),
            ("proxyEndpoint an ECR look-alike", data(proxyEndpoint="https://123456789012.dkr.ecr.us-west-2.amazonaws"
                                                                   ".com.evil.example"), "Invalid ProxyEndpoint"),
            ("proxyEndpoint over http", data(proxyEndpoint="http://" + REGISTRY), "Invalid ProxyEndpoint"),
            ("proxyEndpoint with user info", data(proxyEndpoint="https://x@" + REGISTRY), "Invalid ProxyEndpoint"),
            ("proxyEndpoint with a path", data(proxyEndpoint="https://%s/../evil" % REGISTRY), "Invalid ProxyEndpoint"),
            ("proxyEndpoint ECR Public", data(proxyEndpoint="https://public.ecr.aws"), "Invalid ProxyEndpoint"),
            ("proxyEndpoint a number", data(proxyEndpoint=443), "Invalid ProxyEndpoint"),
        ]
        env = self.env(AWS_MAX_ATTEMPTS="1")
        for name, body, reason in cases:
            with self.subTest(answer=name):
                self.fake.clear()
                self.fake.script("ecr", "GetAuthorizationToken",
                                 [Reply(status=200, body=body, headers={"Content-Type": JSON_11})])
                err = self.assert_not_found(self.get(env=env), reason)
                self.assertLess(len(err), 800, err)
                self.assertEqual(self.ecr_count(), 1)
        self.assertFalse(os.path.exists(os.path.join(self.cache_dir, "cache.json")))
        self.assertNotIn("Traceback", self.log_text())


# ==============================================================================================
# 6. Fuzz (fixed seeds: a failure is reproducible)
# ==============================================================================================

URL_PIECES = ["123456789012", "12345678901", ".dkr.ecr.", ".dkr-ecr.", "dkr", "ecr", "-fips", "us-west-2",
              "cn-north-1", ".amazonaws.com", ".amazonaws.com.cn", ".on.aws", ".c2s.ic.gov", "public.ecr.aws",
              "ecr-public.aws.com", "https://", "http://", "HTTPS://", ":", "443", "99999", "/", "@", "?", "#",
              "\\", "[", "]", "::1", ".", "..", "-", "_", " ", "\t", "\n", "\x00", "\x7f", "\u00e9", "\u0661",
              "\uff10", "\udcff", "\U0001f600", "%2e", "localhost", "a" * 300]
PROFILE_PIECES = ["[", "]", "[default]", "[profile ", "profile", "default", "sso-session ", "[sso-session s]",
                  "=", " = ", " ", "\t", "#", ";", " #c", "\n", "\r\n", "\r", "key", "value", "region",
                  "aws_access_key_id", "s3 =", "\n  sub = x", "\n  ", "\ufeff", "\x00", "\u00e9", "\udcff",
                  "name with space", "a!b", "%"]
JSON_PIECES = ["{", "}", "[", "]", '"', '"a"', ":", ",", "0", "1", "-", ".", "e", "E", "+", "1e999", "-0",
               "NaN", "Infinity", "-Infinity", "true", "false", "null", "\\", "\\u", "\\ud800", "\\u0041",
               " ", "\n", "\x00", "\u00e9", '"AccessKeyId"', '"Expiration"', "9" * 400]
# Inputs json.loads reads in ways worth pinning down: escapes, surrogates (paired, lone, reversed),
# numbers at the edges of the grammar, whitespace, a BOM, duplicate keys, controls in strings.
JSON_EDGES = ['"\\ud83d\\ude00"', '"\\ud800"', '"\\ud800\\u0041"', '"\\udc00\\ud800"', '"\\ud800\\udc00x"',
              '"\\ud800\\u00zz"', '"\\u00zz"', '"\\u12"', '"\\U0041"',
              '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\x41"', '"\\', '"abc', '"\x1f"', '"\x7f\u00e9"', '"\t"', '""',
              "1e999", "-1e999", "-0", "-0.0", "0e0", "1E+2", "1e-2", "01", "-01", "1.", ".5", "1.e5", "1e", "1e+",
              "-", "--1", "+1", "0x10", "1_000", "\u0661", "[-]", "[1,]", "[,1]", "{,}", '{"a":1,}', '{"a" 1}',
              '{"a":1,"a":2}', '{"b":1,"a":2}', "{1:2}", "[1 2]", " \t\n\r[ 1 , { } ] \r\n\t ", "\u00a0[]", "\ufeff{}",
              " \ufeff{}", "", " ", "[", "]", "{", "nul", "truex", "true false", "NaN", "-Infinity", "[Infinity]",
              "null", "[true,false,null]", "123456789012345678901234567890", "1" * 400 + ".5"]
TIME_PIECES = ["2024", "0000", "9999", "-", "T", "t", " ", ":", "Z", "z", "+", ".", "0", "1", "2", "9", "12",
               "31", "23", "59", "60", "61", "00:00", "\u0663", "\uff11", "UTC", "+99:99", "-00:00", ".999999999"]
VALID_URLS = ["123456789012.dkr.ecr.us-west-2.amazonaws.com", "https://123456789012.dkr.ecr-fips.us-gov-west-1."
              "amazonaws.com:443/v2/", "210987654321.dkr-ecr.eu-west-1.on.aws", "public.ecr.aws",
              "user@123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/path?q#f"]
VALID_TIMES = ["2026-07-21T05:15:30Z", "2026-07-21T10:15:30.123456789-07:00", "2024-02-29t00:00:00+05:30"]
CREDENTIAL_KEYS = ["AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId", "Code", "Version"]
STS_XML = ("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
           "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>"
           "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
           "<SessionToken>t</SessionToken><Expiration>2026-07-21T05:15:30Z</Expiration></Credentials>"
           "</AssumeRoleResult></AssumeRoleResponse>").encode()
XML_PIECES = [b"<", b">", b"/", b"<a>", b"</a>", b"<?xml version='1.0'?>", b"<?xml version='1.0' encoding='bogus'?>",
              b"<?xml version='1.0' encoding='utf-16'?>", b"<!DOCTYPE a [<!ENTITY e 'x'>]>", b"&e;", b"&amp;",
              b"&#0;", b"&#xD800;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"\x00", b"\xff", b"\xef\xbb\xbf",
              b"xmlns:a='u'", b"<a:b>", b"=", b"'", b'"', b" "]


def mutate(rng, text, alphabet):
    """text with a few random insertions, deletions and replacements."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        where = rng.randint(0, len(chars))
        operation = rng.random()
        if operation < 0.4:
            chars[where:where] = list(rng.choice(alphabet))
        elif chars and operation < 0.7:
            del chars[min(where, len(chars) - 1)]
        elif chars:
            chars[min(where, len(chars) - 1)] = rng.choice(alphabet)[:1] or "x"
    return "".join(chars)


def pieces(rng, alphabet, most=12):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))


def random_value(rng, depth=0, strings=("", "x", "AKIA", "2026-07-21T05:15:30Z")):
    kind = rng.randint(0, 9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False))
    if kind == 2:
        return rng.choice((0, -1, 1, 10 ** 12, 2 ** 63, -(10 ** 400), 10 ** 400, rng.randint(-10 ** 9, 10 ** 13)))
    if kind == 3:
        return rng.choice((0.5, -1e300, 1e300, float("inf"), float("-inf"), float("nan"), rng.random() * 1e12))
    if kind in (4, 5, 6):
        choice = rng.choice(strings + tuple(VALID_TIMES))
        return mutate(rng, choice, TIME_PIECES) if rng.random() < 0.3 else choice
    if kind in (7, 8):
        return [random_value(rng, depth + 1, strings) for _ in range(rng.randint(0, 3))]
    return dict((rng.choice(CREDENTIAL_KEYS + ["image", "kind"]), random_value(rng, depth + 1, strings))
                for _ in range(rng.randint(0, 3)))


class FuzzTest(unittest.TestCase):
    def check(self, function, inputs, allowed):
        for value in inputs:
            try:
                function(value)
            except allowed:
                pass
            except Exception as error:
                self.fail("%s(%r) raised %s: %s" % (function.__name__, value, type(error).__name__, error))

    def test_parse_registry(self):
        rng = random.Random(1001)
        inputs = [pieces(rng, URL_PIECES) for _ in range(2500)]
        inputs += [mutate(rng, rng.choice(VALID_URLS), URL_PIECES) for _ in range(2500)]
        inputs += ["".join(chr(rng.randint(0, 0x2fff)) for _ in range(rng.randint(0, 30))) for _ in range(1000)]

        def parse(text):
            registry = ecr_login.parse_registry(text)
            self.assertIn(registry.service, ("ecr", "ecr-public"))
            if registry.service == "ecr":
                self.assertTrue(registry.account.isdigit() and len(registry.account) == 12, text)
                self.assertTrue(registry.region, text)

        self.check(parse, inputs, ecr_login.NotECRError)
        for url in VALID_URLS:
            parse(url)

    def test_parse_profile_file(self):
        rng = random.Random(1002)
        texts = [pieces(rng, PROFILE_PIECES, 30) for _ in range(2000)]
        valid = "[default]\nregion = us-west-2\n[profile p]\ns3 =\n  max = 1\n[sso-session s]\nsso_region = x\n"
        texts += [mutate(rng, valid, PROFILE_PIECES) for _ in range(2000)]
        for is_config in (True, False):
            self.check(lambda text: ecr_login.parse_profile_file(text, is_config), texts, ecr_login.ConfigError)

    def test_json_loads_agrees_with_json(self):
        """json_loads (the C scanner where there is one) and JSONReader (PyPy's path, tried here
        on any Python) give what json.loads gives, or a ValueError where it finds no JSON."""
        rng = random.Random(1003)
        inputs = [pieces(rng, JSON_PIECES, 20) for _ in range(1500)]
        inputs += [mutate(rng, '{"AccessKeyId": "a", "Expiration": "2026-07-21T05:15:30Z", "n": [1, 2.5e3]}',
                          JSON_PIECES) for _ in range(800)]
        inputs += [json.dumps(random_value(rng), ensure_ascii=rng.random() < 0.5, indent=rng.choice((None, 2)))
                   for _ in range(800)]
        inputs += JSON_EDGES + ["[" * 100 + "]" * 100]

        def constant(name):
            raise ValueError(name)

        def outcome(function, text):
            try:
                return repr(function(text))  # repr tells 1 from 1.0 and -0.0 from 0.0, and shows key order
            except ValueError:
                return "ValueError"

        readers = (ecr_login.json_loads, lambda text: ecr_login.JSONReader(text).document())
        valid = 0
        for text in inputs:
            expected = outcome(lambda text: json.loads(text, parse_constant=constant), text)
            valid += expected != "ValueError"
            for reader in readers:
                self.assertEqual(outcome(reader, text), expected, text)
        self.assertGreater(valid, 800)  # not only errors were compared

    def test_json_loads_says_value_error_for_anything_else(self):
        rng = random.Random(1008)
        self.check(ecr_login.json_loads, [bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 20)))
                                          for _ in range(1000)], ValueError)
        for data in (b'"\xff"', b"\xef\xbb\xbf{}"):  # not UTF-8; a BOM
            self.assertRaises(ValueError, ecr_login.json_loads, data)
        # Not JSON (RFC 8259), though PyPy's json.loads reads the \u ones: its int(digits, 16) allows them.
        for text in ('"\\u 123"', '"\\u1_23"', '"\\u+123"', '"\\u-123"',
                     "[" * 100000, "{\"a\":" * 100000, "[" * 100000 + "]" * 100000):
            self.assertRaises(ValueError, ecr_login.json_loads, text)
            self.assertRaises(ValueError, ecr_login.JSONReader(text).document)
        self.assertRaises(ValueError, ecr_login.JSONReader("[" * 101 + "]" * 101).document)  # its depth limit

    def test_json_string_agrees_with_json(self):
        """Strings are written as json.dumps writes them with UTF-8 kept, and <, > and & escaped as Go does."""
        rng = random.Random(1009)
        alphabet = [chr(code) for code in range(0x80)] + ["\u00e9", "\u2028", "\ud800", "\udfff", "\U0001f600"]
        for _ in range(2000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            expected = json.dumps(text, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
                .replace("&", "\\u0026")
            self.assertEqual(ecr_login.json_string(text), expected)
            self.assertEqual(json.loads(ecr_login.json_string(text)), text)

    def test_parse_credential_document(self):
        rng = random.Random(1004)
        documents = [random_value(rng) for _ in range(1500)]
        for _ in range(2500):
            document = dict((key, random_value(rng, 2)) for key in CREDENTIAL_KEYS if rng.random() < 0.6)
            if rng.random() < 0.5:
                document.update(AccessKeyId="ASIA", SecretAccessKey="secret")
            documents.append(document)

        def parse(document):
            credentials = ecr_login.parse_credential_document(document, "what")
            credentials.expiring()  # the expiry must be usable as a number

        self.check(parse, documents, ecr_login.CredentialsError)

    def test_xml_fields(self):
        rng = random.Random(1005)
        names = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Arn", "Code", "Message")
        bodies = [bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 40))) for _ in range(1500)]
        bodies += [b"".join(rng.choice(XML_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(1500)]
        for _ in range(1500):
            body = bytearray(STS_XML)
            for _ in range(rng.randint(1, 3)):
                where = rng.randint(0, len(body))
                body[where:where + rng.randint(0, 3)] = rng.choice(XML_PIECES)
            bodies.append(bytes(body))

        def parse(body):
            found = ecr_login.xml_fields(body, names)
            self.assertTrue(found is None or isinstance(found, dict))

        self.check(parse, bodies, ())
        self.assertEqual(ecr_login.xml_fields(STS_XML, names)["SessionToken"], "t")

    def test_parse_timestamp(self):
        rng = random.Random(1006)
        inputs = [pieces(rng, TIME_PIECES, 14) for _ in range(2500)]
        inputs += [mutate(rng, rng.choice(VALID_TIMES), TIME_PIECES) for _ in range(2500)]
        inputs += [None, 0, 1.5, b"2026-07-21T05:15:30Z", ["2026-07-21T05:15:30Z"], {}, True]

        def parse(text):
            value = ecr_login.parse_timestamp(text)
            self.assertIsInstance(value, (int, float))

        self.check(parse, inputs, ValueError)
        for text in VALID_TIMES:
            parse(text)

    def test_kubelet_response(self):
        home = make_home(self)
        env = clean_env(home, None, AWS_ECR_LOG_FILE="off", AWS_MAX_ATTEMPTS="1", AWS_ECR_HTTP_TIMEOUT="1",
                        AWS_ECR_TOTAL_TIMEOUT="1", AWS_ECR_CACHE_DIR=os.path.join(home, "cache"))
        self.assertEqual(env["AWS_ENDPOINT_URL_STS"], DEAD_ENDPOINT)
        self.assertNotIn("AWS_ACCESS_KEY_ID", env)
        ctx = ecr_login.Context(env)
        rng = random.Random(1007)
        strings = ("", " ", "x", REGISTRY, REGISTRY + "/repo:tag", "public.ecr.aws/docker/library/busybox",
                   "docker.io/library/busybox", "credentialprovider.kubelet.k8s.io/v1",
                   "credentialprovider.kubelet.k8s.io/v1beta1", "CredentialProviderRequest", ROLE_ARN, SA_TOKEN)
        valid = {"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
                 "image": REGISTRY + "/repo:tag", "serviceAccountToken": SA_TOKEN,
                 "serviceAccountAnnotations": {KUBELET_ROLE_ANNOTATION: ROLE_ARN}}
        documents = [random_value(rng, 0, strings) for _ in range(200)]
        for _ in range(800):
            document = dict(valid)
            for key in list(document):
                roll = rng.random()
                if roll < 0.1:
                    del document[key]
                elif roll < 0.25:
                    document[key] = random_value(rng, 1, strings)
            if rng.random() < 0.3:
                document["serviceAccountAnnotations"] = {KUBELET_ROLE_ANNOTATION: random_value(rng, 2, strings)}
            documents.append(document)

        def respond(document):
            ecr_login.kubelet_response(ctx, document)

        with helpers._NoProxyEnviron():
            self.check(respond, documents, ecr_login.HelperError)


# ==============================================================================================
# 7. Secrets
# ==============================================================================================


class SecretsTest(ReliabilityCase):
    def test_no_secret_outside_the_legitimate_outputs(self):
        fake = self.fake
        fake.add_credentials(AKID, SECRET, SESSION_TOKEN)
        fake.add_credentials(BASE_AKID, BASE_SECRET)
        inputs = set(self.write_role_profiles())
        cache_dir = tempfile.mkdtemp(prefix="ecr-login-reliability-cache-")
        self.addCleanup(shutil.rmtree, cache_dir, True)
        common = {"AWS_ECR_LOG_LEVEL": "debug", "AWS_ECR_CACHE_DIR": cache_dir}
        env = self.env(AWS_SESSION_TOKEN=SESSION_TOKEN, **common)
        role_env = self.role_env(**common)
        checked = []  # (what, text that must hold no secret)

        def run(label, args, run_env, stdin=b"", code=0, legit=None):
            result = run_main(args, run_env, stdin)
            self.assertEqual(result[0], code, "%s: %r" % (label, result))
            out = result[1]
            if legit is not None:
                value = legit(out)
                self.assertTrue(value, label)
                out = out.replace(value, "")
            checked.append((label + " stdout", out))
            checked.append((label + " stderr", result[2]))
            return result

        secret_of = lambda out: json.loads(out)["Secret"]  # noqa: E731
        run("get private", ["get"], env, REGISTRY, legit=secret_of)
        run("get public", ["get"], env, PUBLIC, legit=secret_of)
        fake.script("ecr", "GetAuthorizationToken", [json_error(
            "AccessDeniedException", "User: arn:aws:iam::210987654321:user/ci is not authorized", 403)])
        result = run("get denied", ["get"], env, REGISTRY_B, code=1)
        self.assertIn("AccessDeniedException", result[2])
        run("get via role", ["get"], role_env, REGISTRY_C, legit=secret_of)
        run("get via role, cached role credentials", ["get"], role_env, REGISTRY_B, legit=secret_of)
        run("list", ["list"], env)
        run("doctor", ["doctor", REGISTRY], env)
        run("doctor via role", ["doctor", REGISTRY_C], role_env)
        run("doctor without a registry", ["doctor"], env)
        run("get-login-password", ["get-login-password", REGISTRY_C], role_env, legit=lambda out: out.strip())
        request = {"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
                   "image": REGISTRY + "/app:1", "serviceAccountToken": SA_TOKEN,
                   "serviceAccountAnnotations": {KUBELET_ROLE_ANNOTATION: ROLE_ARN}}
        kubelet_password = lambda out: json.loads(out)["auth"][REGISTRY]["password"]  # noqa: E731
        run("kubelet web identity", ["kubelet"], env, json.dumps(request), legit=kubelet_password)
        del request["serviceAccountToken"]
        run("kubelet", ["kubelet"], env, json.dumps(request), legit=kubelet_password)
        self.assertGreaterEqual(fake.count("sts", "AssumeRole"), 1)
        self.assertEqual(fake.count("sts", "AssumeRoleWithWebIdentity"), 1)
        self.assertTrue(fake.minted)

        secrets = [SECRET, SESSION_TOKEN, BASE_SECRET, SA_TOKEN] + list(fake.minted)
        scanned = []
        for root in (self.home, cache_dir):
            for dirpath, _, filenames in os.walk(root):
                for name in filenames:
                    path = os.path.join(dirpath, name)
                    relative = os.path.relpath(path, cache_dir)
                    legitimate = relative == "cache.json" or (
                        os.path.dirname(relative) == "roles" and name.endswith(".json"))
                    if path in inputs or legitimate:
                        continue
                    scanned.append(path)
                    checked.append((path, read_text(path)))
        self.assertIn(os.path.join(cache_dir, "log", "ecr-login.log"), scanned)
        self.assertIn("AccessDeniedException", read_text(os.path.join(cache_dir, "log", "ecr-login.log")))
        for label, text in checked:
            leaked = [secret for secret in secrets if secret in text]
            self.assertEqual(leaked, [], "secret(s) found in %s" % label)

    def test_private_modes_of_everything_written(self):
        self.write_role_profiles()
        old_umask = os.umask(0)  # the helper must not rely on the umask
        try:
            self.assert_token(self.get(env=self.role_env()))
        finally:
            os.umask(old_umask)
        log_dir = os.path.join(self.cache_dir, "log")
        roles_dir = os.path.join(self.cache_dir, "roles")
        for directory in (self.cache_dir, log_dir, roles_dir):
            self.assertEqual(mode_of(directory), 0o700, directory)
        files = [os.path.join(self.cache_dir, "cache.json"), os.path.join(log_dir, "ecr-login.log"),
                 os.path.join(self.cache_dir, "cache.json.lock")]
        files += [os.path.join(roles_dir, name) for name in os.listdir(roles_dir)]
        self.assertEqual(len(files), 4, files)
        for path in files:
            self.assertEqual(mode_of(path), 0o600, path)


if __name__ == "__main__":
    unittest.main()
