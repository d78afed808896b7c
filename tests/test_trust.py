"""Another local user attacks the helper through its cache directory: planted bytecode, tokens,
helper config, failure records, symlinks, FIFOs and a squatted lock.

The helper runs as root here (CI runs the suite as root), and every step of the attacker runs
as a real second user (uid 65534, through setpriv), so the kernel decides what that user can
do. Each attack checks what a user would notice: planted code never runs (the marker file it
would write stays absent), files outside the cache stay as they were, a planted token is not
served, and the get still answers correctly, uncached. The normal case keeps caching: a
user's own 0700 ~/.ecr still gets its token cache and its bytecode cache. Without root the
attacks cannot be staged: the tests skip, except under CI=true, where that is a failure.
"""

import base64
import fcntl
import importlib.util
import io
import json
import marshal
import os
import runpy
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import warnings
from unittest import mock

import build_zipapp
from tests.fakeaws import json_error
from tests.helpers import (
    CHILD_PYTHON, NOT_FOUND, PROGRAM, ROOT, SOURCE, SUBPROCESS_TIMEOUT, HelperCase, ecr_login, read_text,
    require_a_second_user, run_main, write_file, zipapp_path)

ATTACKER = 65534
AKID = "AKIATRUSTTESTKEY0001"
SECRET = "trust-test-static-secret-5d0c2e9a71"
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
EVIL_HOST = "registry.attacker.example"
PLANTED_PASSWORD = "planted-password-from-the-attacker"
VICTIM_TEXT = "export PATH=/usr/bin:/bin  # the victim's own file\n"
HOUR = 3600


def as_attacker(script, background=False):
    """Run a shell script as the attacker (uid and gid 65534, no groups)."""
    argv = ["setpriv", "--reuid=%d" % ATTACKER, "--regid=%d" % ATTACKER, "--clear-groups", "sh", "-ec", script]
    if background:  # its own process group, so that kill_group ends it and its children
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, timeout=SUBPROCESS_TIMEOUT)


def kill_group(process):
    try:
        os.killpg(process.pid, 9)
    except ProcessLookupError:
        pass
    process.wait()


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def snapshot(directory):
    """{relative path: (kind, content or link target)} of everything under directory."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, directory)] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, directory)] = ("file", handle.read())
            else:
                found[os.path.relpath(path, directory)] = ("other", stat.S_IFMT(info.st_mode))
    return found


class TrustCase(HelperCase):
    """A victim (root) with its own HOME, a loopback fake AWS, a world-writable sticky
    directory (like /tmp) where the attacker works, and a file of the victim's outside the cache."""

    env_keys = (AKID, SECRET)

    def setUp(self):
        require_a_second_user()
        super().setUp()
        self.base = tempfile.mkdtemp(prefix="ecr-login-trust-")
        self.addCleanup(shutil.rmtree, self.base, True)
        os.chmod(self.base, 0o755)
        self.public = os.path.join(self.base, "tmp")
        os.mkdir(self.public)
        os.chmod(self.public, 0o1777)
        self.home = os.path.join(self.base, "home")
        os.mkdir(self.home, 0o700)
        self.own_cache = os.path.join(self.home, ".ecr")
        self.victim_file = write_file(os.path.join(self.base, "victim-bashrc"), VICTIM_TEXT, 0o644)
        self.marker = os.path.join(self.base, "planted-code-ran")

    def attacker_dir(self, name="shared", mode="700"):
        """A directory the attacker made in the public directory."""
        path = os.path.join(self.public, name)
        as_attacker("mkdir -m %s %s" % (mode, path))
        return path

    def assert_fresh_token(self, result, server_url=REGISTRY):
        """The get answered with a token the fake ECR minted just now."""
        code, out, err = result
        self.assertEqual((code, err), (0, ""), "get failed: %r" % (result,))
        document = json.loads(out)
        self.assertEqual(document["ServerURL"], server_url)
        self.assertIn(document["Secret"], self.fake.minted)
        return document["Secret"]

    def assert_victim_untouched(self):
        self.assertEqual(read_text(self.victim_file), VICTIM_TEXT)
        self.assertFalse(os.path.exists(self.marker), "the attacker's code ran as the victim")

    def ecr_calls(self):
        return self.fake.count("ecr", "GetAuthorizationToken")

    def static_key(self):
        source = ecr_login.StaticSource(ecr_login.Credentials(AKID, SECRET), "test")
        return ecr_login.cache_keys(ecr_login.parse_registry(REGISTRY), source)[0]

    def cache_document(self, password):
        now = time.time()
        entry = {"AuthorizationToken": base64.b64encode(("AWS:" + password).encode()).decode(),
                 "RequestedAt": ecr_login.format_expiry(now - 60), "ExpiresAt": ecr_login.format_expiry(now + 11 * HOUR),
                 "ProxyEndpoint": "https://" + REGISTRY, "Service": "ecr"}
        return json.dumps({"Registries": {self.static_key(): entry}, "Version": "1.0"})

    def stage(self, name, text):
        """A world-readable file of the victim's that the attacker copies from."""
        return write_file(os.path.join(self.base, name), text, 0o644)


# ==============================================================================================
# 1. Planted bytecode (the zipapp's bootstrap)
# ==============================================================================================


class PlantedBytecodeTest(TrustCase):
    """The bootstrap executes <cache dir>/pycache/ecr_login-<hash>-<magic>.pyc: a file another
    user could have written must never be loaded."""

    def setUp(self):
        TrustCase.setUp(self)
        self.app = zipapp_path()
        with open(SOURCE, "rb") as handle:
            source_hash = build_zipapp.source_hash(handle.read())
        self.pyc_name = "ecr_login-%s-%s.pyc" % (source_hash, importlib.util.MAGIC_NUMBER.hex())
        code = compile("with open(%r, 'w') as f:\n    f.write('ran')\n\ndef main():\n    return 0\n" % self.marker,
                       "planted", "exec")
        self.payload = self.stage("payload.pyc", importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))

    def plant_as_attacker(self, cache_dir):
        as_attacker("mkdir -p %s/pycache && cp %s %s/pycache/%s" % (cache_dir, self.payload, cache_dir, self.pyc_name))

    def run_app(self, env, cwd=ROOT, preexec_fn=None):
        proc = subprocess.run(CHILD_PYTHON + [self.app, "get"], input=(REGISTRY + "\n").encode(), env=env, cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=SUBPROCESS_TIMEOUT,
                              preexec_fn=preexec_fn)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    def assert_planted_code_does_not_run(self, env, cwd=ROOT):
        self.assert_fresh_token(self.run_app(env, cwd))
        self.assert_victim_untouched()

    def test_cache_dir_made_by_another_user(self):
        shared = self.attacker_dir()
        self.plant_as_attacker(shared)
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR=shared))
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR=shared))
        self.assertEqual(self.ecr_calls(), 2, "an untrusted cache directory must not cache tokens")

    def test_world_writable_cache_dir_of_the_victim(self):
        shared = os.path.join(self.public, "ecr-cache")
        os.mkdir(shared)
        os.chmod(shared, 0o777)  # e.g. made by a provisioning script
        self.plant_as_attacker(shared)
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR=shared))

    def test_private_cache_dir_swapped_in_a_world_writable_parent(self):
        parent = os.path.join(self.base, "wide")
        os.mkdir(parent)
        os.chmod(parent, 0o777)  # writable by all, not sticky: entries can be renamed by anyone
        cache = os.path.join(parent, "cache")
        os.mkdir(cache, 0o700)
        as_attacker("mv %s %s/old && mkdir -m 700 %s" % (cache, parent, cache))
        self.plant_as_attacker(cache)
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR=cache))

    def test_shared_home(self):
        home = self.attacker_dir("home", "777")
        self.plant_as_attacker(os.path.join(home, ".ecr"))
        self.assert_planted_code_does_not_run(self.env(HOME=home))

    def test_relative_cache_dir_from_an_untrusted_checkout(self):
        checkout = self.attacker_dir("checkout", "755")
        self.plant_as_attacker(os.path.join(checkout, "cache"))
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR="cache"), cwd=checkout)

    def test_relative_cache_dir_is_refused_even_when_it_is_ours(self):
        checkout = os.path.join(self.home, "checkout")
        shutil.copy(self.payload, write_file(os.path.join(checkout, "cache", "pycache", self.pyc_name), ""))
        os.chmod(os.path.join(checkout, "cache"), 0o700)
        self.assert_planted_code_does_not_run(self.env(AWS_ECR_CACHE_DIR="cache"), cwd=checkout)

    def test_symlinked_pycache_directory(self):
        os.mkdir(self.own_cache, 0o700)
        shared = self.attacker_dir()
        self.plant_as_attacker(shared)
        os.symlink(os.path.join(shared, "pycache"), os.path.join(self.own_cache, "pycache"))
        self.assert_planted_code_does_not_run(self.env())

    def test_bytecode_symlinked_to_a_fifo_or_a_device_is_not_read(self):
        pycache = os.path.join(self.own_cache, "pycache")
        os.makedirs(pycache, 0o700)
        os.chmod(self.own_cache, 0o700)
        fifo = os.path.join(self.base, "fifo")
        os.mkfifo(fifo)
        for target in (fifo, "/dev/zero"):
            with self.subTest(target=target):
                path = os.path.join(pycache, self.pyc_name)
                if os.path.lexists(path):
                    os.unlink(path)
                os.symlink(target, path)
                self.assert_fresh_token(self.run_app(self.env()))
                self.assertTrue(stat.S_ISREG(os.lstat(path).st_mode), "the symlink was not replaced by bytecode")
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))

    def test_umask_000_still_makes_every_missing_level_private(self):
        cache = os.path.join(self.home, "a", "b", "cache")
        self.assert_fresh_token(self.run_app(self.env(AWS_ECR_CACHE_DIR=cache), preexec_fn=lambda: os.umask(0)))
        for path in (os.path.join(self.home, "a"), os.path.join(self.home, "a", "b"), cache,
                     os.path.join(cache, "pycache")):
            self.assertEqual(mode_of(path), 0o700, path)
        self.assertEqual(mode_of(os.path.join(cache, "pycache", self.pyc_name)), 0o600)


# ==============================================================================================
# 2. Everything else in a cache directory another user can change
# ==============================================================================================


class PlantedCacheFilesTest(TrustCase):
    """The cache directory is the attacker's: nothing in it is read, nothing is written to it."""

    def setUp(self):
        TrustCase.setUp(self)
        self.shared = self.attacker_dir()

    def plant(self, relative, text):
        staged = self.stage("staged-" + os.path.basename(relative), text)
        target = os.path.join(self.shared, relative)
        as_attacker("mkdir -p %s && cp %s %s" % (os.path.dirname(target), staged, target))

    def assert_untouched_uncached_get(self, **extra):
        before, calls = snapshot(self.shared), self.ecr_calls()
        for attempt in (1, 2):
            self.assert_fresh_token(self.get(AWS_ECR_CACHE_DIR=self.shared, **extra))
        self.assertEqual(self.ecr_calls(), calls + 2, "an untrusted cache directory must not cache tokens")
        self.assertEqual(snapshot(self.shared), before, "the helper wrote into another user's directory")
        self.assert_victim_untouched()

    def test_planted_token_is_not_served(self):
        self.plant("cache.json", self.cache_document(PLANTED_PASSWORD))
        self.assert_untouched_uncached_get()

    def test_planted_helper_config_cannot_send_our_password_to_another_host(self):
        self.plant("config.json", json.dumps({"registries": {EVIL_HOST: {"registry": REGISTRY}}}))
        code, out, err = self.get(EVIL_HOST, AWS_ECR_CACHE_DIR=self.shared)
        self.assertEqual((code, out), (1, NOT_FOUND), err)
        self.assertEqual(self.fake.count(), 0)
        self.assert_untouched_uncached_get()

    def test_planted_failure_record_does_not_fail_gets(self):
        self.plant("cache.json.failure", json.dumps(
            {"Key": self.static_key(), "At": time.time() + 10 * 365 * 24 * HOUR, "Reason": "planted failure"}))
        self.assert_untouched_uncached_get()

    def test_log_symlink_does_not_write_to_the_victims_file(self):
        as_attacker("mkdir -p %s/log && ln -s %s %s/log/ecr-login.log" % (self.shared, self.victim_file, self.shared))
        self.fake.script("ecr", "GetAuthorizationToken", [json_error("AccessDeniedException", "denied", 403)])
        code, out, err = self.get(AWS_ECR_CACHE_DIR=self.shared, AWS_ECR_LOG_LEVEL="debug")
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assert_untouched_uncached_get(AWS_ECR_LOG_LEVEL="debug")

    def test_dangling_lock_symlink_creates_nothing(self):
        created = os.path.join(self.base, "etc-ld.so.preload")
        as_attacker("ln -s %s %s/cache.json.lock" % (created, self.shared))
        self.assert_untouched_uncached_get()
        self.assertFalse(os.path.lexists(created))

    def test_squatted_lock_does_not_make_gets_wait(self):
        own_log = os.path.join(self.home, "own.log")
        lock = os.path.join(self.shared, "cache.json.lock")
        holder = as_attacker("exec flock %s sleep 600" % lock, background=True)
        self.addCleanup(kill_group, holder)
        self.wait_until_locked(lock, holder)
        self.assert_untouched_uncached_get(AWS_ECR_LOCK_TIMEOUT="2", AWS_ECR_LOG_FILE=own_log, AWS_ECR_LOG_LEVEL="debug")
        self.assertNotIn("cache lock", read_text(own_log))

    def wait_until_locked(self, path, holder):
        while True:
            self.assertIsNone(holder.poll(), "the attacker's flock ended early")
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.01)
                continue
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            except BlockingIOError:
                return
            finally:
                os.close(descriptor)
            time.sleep(0.01)


class UntrustedCacheReportTest(TrustCase):
    def test_doctor_says_once_why_the_cache_is_not_used(self):
        shared = self.attacker_dir()
        code, out, err = run_main(["doctor", REGISTRY], self.env(AWS_ECR_CACHE_DIR=shared))
        self.assertEqual(code, 0, out + err)
        lines = [line for line in out.splitlines() if "not used" in line]
        self.assertEqual(len(lines), 1, out)
        self.assertIn("%s belongs to uid %d" % (shared, ATTACKER), lines[0])
        self.assertIn("AWS_ECR_CACHE_DIR", out)
        self.assertIn("log: off", out)
        self.assertIn("token: OK", out)

    def test_doctor_names_a_relative_cache_dir(self):
        code, out, err = run_main(["doctor"], self.env(AWS_ECR_CACHE_DIR="relative/cache"))
        self.assertIn("not used: relative/cache is not an absolute path", out)

    def test_the_normal_cache_is_not_reported(self):
        code, out, err = run_main(["doctor", REGISTRY], self.env())
        self.assertEqual(code, 0, out + err)
        self.assertNotIn("not used", out)
        self.assertIn("token cache: %s" % os.path.join(self.own_cache, "cache.json"), out)


# ==============================================================================================
# 3. Our own cache directory, with odd things in it: never followed, never a hang
# ==============================================================================================


class OwnCacheOddFilesTest(TrustCase):
    def setUp(self):
        TrustCase.setUp(self)
        os.mkdir(self.own_cache, 0o700)

    def test_log_symlink_is_replaced_not_followed(self):
        os.mkdir(os.path.join(self.own_cache, "log"), 0o700)
        log = os.path.join(self.own_cache, "log", "ecr-login.log")
        os.symlink(self.victim_file, log)
        self.assert_fresh_token(self.get())
        self.assert_victim_untouched()
        self.assertTrue(stat.S_ISREG(os.lstat(log).st_mode))
        self.assertIn("fetched a token", read_text(log))

    def test_symlinked_log_directory_is_not_written_through(self):
        elsewhere = os.path.join(self.base, "elsewhere")
        os.mkdir(elsewhere, 0o700)
        os.symlink(elsewhere, os.path.join(self.own_cache, "log"))
        self.assert_fresh_token(self.get())
        self.assertEqual(os.listdir(elsewhere), [])

    def test_dangling_lock_symlink_creates_nothing(self):
        created = os.path.join(self.base, "created-through-the-lock")
        os.symlink(created, os.path.join(self.own_cache, "cache.json.lock"))
        self.assert_fresh_token(self.get())
        self.assertFalse(os.path.lexists(created))

    def test_fifos_in_place_of_every_file_do_not_hang_the_helper(self):
        os.mkdir(os.path.join(self.own_cache, "log"), 0o700)
        for name in ("cache.json", "config.json", "cache.json.lock", "cache.json.failure",
                     os.path.join("log", "ecr-login.log")):
            os.mkfifo(os.path.join(self.own_cache, name))
        env = self.env()
        for attempt in (1, 2):  # the first replaces what it writes; the second meets the rest
            proc = subprocess.run(CHILD_PYTHON + [SOURCE, "get"], input=(REGISTRY + "\n").encode(), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=SUBPROCESS_TIMEOUT)
            self.assert_fresh_token((proc.returncode, proc.stdout.decode(), proc.stderr.decode()))

    def test_planted_hard_link_is_not_appended_to(self):
        os.mkdir(os.path.join(self.own_cache, "log"), 0o700)
        os.link(self.victim_file, os.path.join(self.own_cache, "log", "ecr-login.log"))
        self.assert_fresh_token(self.get())
        self.assert_victim_untouched()


# ==============================================================================================
# 4. Failure records
# ==============================================================================================


class FailureRecordTest(TrustCase):
    def failure_path(self):
        return os.path.join(self.own_cache, "cache.json.failure")

    def test_a_record_from_a_clock_that_ran_ahead_does_not_block_gets(self):
        write_file(self.failure_path(), json.dumps(
            {"Key": self.static_key(), "At": time.time() + 2 * HOUR, "Reason": "ECR answered ThrottlingException"}))
        self.assert_fresh_token(self.get())

    def test_a_successful_fetch_removes_the_record(self):
        self.fake.script("ecr", "GetAuthorizationToken", [json_error("AccessDeniedException", "denied", 403)])
        self.assertEqual(self.get()[:2], (1, NOT_FOUND))
        self.assertTrue(os.path.exists(self.failure_path()))
        self.assert_fresh_token(self.get())
        self.assertFalse(os.path.exists(self.failure_path()))


# ==============================================================================================
# 5. Smaller findings: temp files, log quoting, URL user info, role chains, locks
# ==============================================================================================


class StaleTempFileTest(TrustCase):
    def test_a_killed_writers_temp_file_is_removed_by_the_next_write(self):
        os.mkdir(self.own_cache, 0o700)
        stale = write_file(os.path.join(self.own_cache, "cache.json.4242.17.tmp"), self.cache_document("left-over"))
        recent = write_file(os.path.join(self.own_cache, "cache.json.4343.18.tmp"), self.cache_document("in-flight"))
        old = time.time() - 3600
        os.utime(stale, (old, old))
        self.assert_fresh_token(self.get())
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(recent), "a temp file another helper is writing right now was removed")


class LogQuotingTest(TrustCase):
    def test_a_hostile_answer_in_the_log_stays_inert_as_shell(self):
        ran = os.path.join(self.base, "shell-ran")
        message = "denied $(touch %s) `touch %s` ${HOME}" % (ran, ran)
        self.fake.script("ecr", "GetAuthorizationToken", [json_error("AccessDeniedException", message, 403)])
        self.assertEqual(self.get()[:2], (1, NOT_FOUND))
        log = os.path.join(self.own_cache, "log", "ecr-login.log")
        self.assertIn("AccessDeniedException", read_text(log))
        subprocess.run(["sh", "-c", ". %s" % log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=SUBPROCESS_TIMEOUT)
        self.assertFalse(os.path.exists(ran), "sourcing the log ran a command from an endpoint's answer")
        line = [line for line in read_text(log).splitlines() if "AccessDeniedException" in line][0]
        decoded = json.loads(line.split(" msg=", 1)[1])
        self.assertIn(message, decoded, "the message must still read as it was sent")


class EndpointUserInfoTest(TrustCase):
    def test_user_info_of_an_endpoint_url_is_never_shown(self):
        password = "endpoint-url-password-6b1f"
        dead = "http://admin:%s@127.0.0.1:9/" % password
        env = self.env(AWS_ENDPOINT_URL_ECR=dead, AWS_ECR_LOG_LEVEL="debug", AWS_MAX_ATTEMPTS="1")
        results = [run_main(["get"], env, REGISTRY + "\n"), run_main(["doctor", REGISTRY], env),
                   run_main(["get-login-password", REGISTRY], env)]
        self.assertEqual(results[0][:2], (1, NOT_FOUND))
        self.assertIn("127.0.0.1:9", results[0][2])
        shown = [text for result in results for text in result[1:]]
        shown.append(read_text(os.path.join(self.own_cache, "log", "ecr-login.log")))
        for text in shown:
            self.assertNotIn(password, text)
        self.assertIn("http://****@127.0.0.1:9", results[1][1])


class RoleChainDepthTest(TrustCase):
    def test_a_very_deep_source_profile_chain_is_a_clear_error(self):
        profiles = ["[profile p%d]\nrole_arn = arn:aws:iam::123456789012:role/r%d\nsource_profile = p%d\n" % (
            index, index, index + 1) for index in range(2000)]
        profiles.append("[profile p2000]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (AKID, SECRET))
        write_file(os.path.join(self.home, ".aws", "config"), "".join(profiles))
        code, out, err = self.get(AWS_PROFILE="p0", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        self.assertEqual((code, out), (1, NOT_FOUND), err)
        self.assertIn("too deep", err)
        self.assertNotIn("RecursionError", err)
        self.assertEqual(self.fake.count(), 0)


class UnsupportedLockTest(TrustCase):
    def test_a_file_system_without_locks_means_no_lock_not_busy(self):
        import errno

        def no_locks(descriptor, operation):
            raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

        with mock.patch.object(fcntl, "flock", no_locks):
            self.assert_fresh_token(self.get(AWS_ECR_LOCK_TIMEOUT="1", AWS_ECR_LOG_LEVEL="debug"))
        log = read_text(os.path.join(self.own_cache, "log", "ecr-login.log"))
        self.assertIn("working without the cache lock", log)
        self.assertNotIn("gave up waiting", log)


# ==============================================================================================
# 6. The rule itself, and the normal case: a user's own private cache keeps caching
# ==============================================================================================


class TrustRuleTest(TrustCase):
    def problem(self, path, create=False):
        return ecr_login.directory_problem(path, create)

    def test_a_private_directory_on_a_safe_path(self):
        os.mkdir(self.own_cache, 0o700)
        self.assertIsNone(self.problem(self.own_cache))

    def test_a_private_directory_inside_a_sticky_public_one(self):
        path = os.path.join(self.public, "mine")
        os.mkdir(path, 0o700)
        self.assertIsNone(self.problem(path))

    def test_refusals(self):
        group_writable = os.path.join(self.base, "group")
        os.mkdir(group_writable)
        os.chmod(group_writable, 0o770)
        os.mkdir(os.path.join(group_writable, "cache"), 0o700)
        readable = os.path.join(self.home, "readable")
        os.mkdir(readable)
        os.chmod(readable, 0o755)
        theirs = self.attacker_dir()
        their_link = os.path.join(self.public, "their-link")
        os.mkdir(self.own_cache, 0o700)
        as_attacker("ln -s %s %s" % (self.own_cache, their_link))
        a_file = write_file(os.path.join(self.home, "a-file"), "")
        cases = {
            "relative": ("relative/cache", "is not an absolute path"),
            "group-writable parent": (os.path.join(group_writable, "cache"), "is writable by other users"),
            "readable by others": (readable, "is open to other users (mode 0755"),
            "another user's": (theirs, "belongs to uid %d" % ATTACKER),
            "another user's symlink": (their_link, "is a symlink of uid %d" % ATTACKER),
            "not a directory": (a_file, "is not a directory"),
        }
        for label, (path, expected) in sorted(cases.items()):
            with self.subTest(label):
                self.assertIn(expected, self.problem(path) or "")

    def test_symlinks_of_ours_are_followed_and_checked_at_their_target(self):
        os.mkdir(self.own_cache, 0o700)
        link = os.path.join(self.home, "link")
        os.symlink(".ecr", link)
        self.assertIsNone(self.problem(link))
        as_attacker("mkdir -m 700 %s/target" % self.public)
        os.symlink(os.path.join(self.public, "target"), os.path.join(self.home, "to-theirs"))
        self.assertIn("belongs to uid %d" % ATTACKER, self.problem(os.path.join(self.home, "to-theirs")))

    def test_a_symlink_loop_is_refused(self):
        os.symlink("loop-b", os.path.join(self.home, "loop-a"))
        os.symlink("loop-a", os.path.join(self.home, "loop-b"))
        self.assertIn("loop-a is a symlink of uid 0 (only yours or root's are followed, 40 at most)",
                      self.problem(os.path.join(self.home, "loop-a")))

    def test_missing_levels_are_made_private_whatever_the_umask(self):
        path = os.path.join(self.home, "x", "y")
        old = os.umask(0o077 ^ 0o777)  # the umask cannot even leave the owner's bits
        try:
            self.assertIsNone(self.problem(path, create=True))
        finally:
            os.umask(old)
        self.assertEqual([mode_of(os.path.join(self.home, "x")), mode_of(path)], [0o700, 0o700])


class NormalCaseTest(TrustCase):
    """A user other than root, with their own 0700 ~/.ecr: tokens and bytecode are cached."""

    def setUp(self):
        TrustCase.setUp(self)
        # The child drops to a uid that cannot read this interpreter's library (under /root):
        # one cold get first, here, loads every module the helper imports lazily.
        import encodings.cp437  # noqa: F401  (zipimport reads the zipapp's names with it)
        import pkgutil  # noqa: F401  (runpy imports it when the child runs the zipapp)

        scratch = os.path.join(self.base, "scratch")
        os.mkdir(scratch, 0o700)
        self.assert_fresh_token(run_main(["get"], self.env(HOME=scratch), REGISTRY + "\n"))
        self.fake.clear()

    def run_as_user(self, function):
        """function() in a forked child running as the second user; its JSON-able result."""
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # a multi-threaded fork: the child only runs the helper
            pid = os.fork()
        if pid == 0:
            status = 70
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(ATTACKER)
                os.setuid(ATTACKER)
                os.write(write_end, json.dumps(function()).encode())
                status = 0
            except BaseException as error:  # report, never return into the test runner
                os.write(2, ("child failed: %r\n" % (error,)).encode())
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as handle:
            output = handle.read()
        self.assertEqual(os.waitpid(pid, 0)[1], 0)
        return json.loads(output.decode())

    def user_home(self):
        home = os.path.join(self.base, "user-home")
        os.mkdir(home, 0o700)
        os.chown(home, ATTACKER, ATTACKER)
        return home

    def test_tokens_are_cached_in_the_users_own_cache(self):
        env = self.env(HOME=self.user_home())
        results = self.run_as_user(lambda: [run_main(["get"], env, REGISTRY + "\n") for _ in range(3)])
        passwords = set(self.assert_fresh_token(result) for result in results)
        self.assertEqual(len(passwords), 1)
        self.assertEqual(self.ecr_calls(), 1)
        cache = os.path.join(env["HOME"], ".ecr", "cache.json")
        self.assertEqual((os.stat(cache).st_uid, mode_of(cache)), (ATTACKER, 0o600))

    def test_bytecode_is_cached_in_the_users_own_cache(self):
        app = os.path.join(self.base, PROGRAM)
        shutil.copy(zipapp_path(), app)
        os.chmod(app, 0o755)
        env = self.env(HOME=self.user_home())
        pycache = os.path.join(env["HOME"], ".ecr", "pycache")

        def version():
            saved = sys.argv, sys.stdout, os.environ.copy()
            sys.argv = [app, "version"]
            sys.stdout = io.TextIOWrapper(io.BytesIO())
            os.environ.clear()
            os.environ.update(env)
            try:
                runpy.run_path(app, run_name="__main__")
            except SystemExit as exit:
                code = exit.code
            finally:
                sys.stdout.flush()
                output = sys.stdout.buffer.getvalue().decode()
                sys.argv, sys.stdout = saved[0], saved[1]
            return [code, output, sorted(os.listdir(pycache))]

        code, output, files = self.run_as_user(version)
        self.assertEqual(code, 0, output)
        self.assertEqual(len(files), 1, files)
        path = os.path.join(pycache, files[0])
        self.assertEqual((os.stat(path).st_uid, mode_of(path)), (ATTACKER, 0o600))
        with open(path, "r+b") as handle:
            header = handle.read(16)
            handle.seek(0)
            handle.truncate()  # the user's own code object, swapped to prove it is the one that runs
            handle.write(header + marshal.dumps(compile("def main():\n    print('from cached bytecode')\n    return 0\n",
                                                        "fake", "exec")))
        self.assertEqual(self.run_as_user(version)[:2], [0, "from cached bytecode\n"])


if __name__ == "__main__":
    unittest.main()
