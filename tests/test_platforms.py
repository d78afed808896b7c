"""The Pythons and systems people really have: PyPy's json module, a Python without parts of
the standard library (Debian's python3-minimal), closed or broken standard streams, bytes
that are not UTF-8, 32-bit clocks, and Windows paths and commands.

In-process where the condition can be made here (a module made unimportable, a clock that
overflows); child processes where it takes real file descriptors (closed, broken pipes).
"""

import calendar
import json
import os
import subprocess
import sys
import unittest
from unittest import mock

from tests.helpers import (
    NOT_FOUND, ROOT, SOURCE, HelperCase, ecr_login, make_home, read_text, run_main, write_file)

AKID = "AKIAPLATFORMSTATIC01"
SECRET = "platform-static-secret-0c1d2e3f4a5b"
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
DOCKER_HUB = "https://index.docker.io/v1/"
CHILD_TIMEOUT = 30.0


class FakeCase(HelperCase):
    env_keys = (AKID, SECRET)


class PyPyJSONTest(FakeCase):
    """PyPy has no _json (the C scanner and encoder), and the json package costs a warm get its
    re import: the helper reads and writes JSON without either."""

    def test_get_and_its_log_work_without_the_c_module_and_the_package(self):
        with mock.patch.dict(sys.modules, {"_json": None, "json": None}), \
                mock.patch.object(ecr_login, "C_JSON_SCANNER", []):
            self.assert_token(run_main(["get"], self.env(AWS_ECR_LOG_LEVEL="debug"), REGISTRY))
            self.assert_token(run_main(["get"], self.env(AWS_ECR_LOG_LEVEL="debug"), REGISTRY))  # from the cache
            code, out, _ = run_main(["get"], self.env(AWS_ECR_LOG_LEVEL="debug"), DOCKER_HUB)  # logged at debug
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertEqual(self.fake.count("ecr"), 1)
        log = read_text(os.path.join(self.home, ".ecr", "log", "ecr-login.log"))
        self.assertIn("index.docker.io", log)
        self.assertNotIn(SECRET, log)


class MissingModuleTest(FakeCase):
    """Debian's python3-minimal has no json, hmac, http.client, xml or shlex (a cold static get
    needs none of them now)."""

    def run_without(self, modules, args, stdin=""):
        with mock.patch.dict(sys.modules, dict((name, None) for name in modules)):
            return run_main(args, self.env(), stdin)

    # What python3-minimal lacks, and urllib and hashlib, which such a get does without too.
    UNUSED_BY_A_GET = ["json", "_json", "hmac", "http", "http.client", "xml", "shlex", "termios", "difflib",
                       "urllib", "urllib.request", "hashlib"]

    def test_a_cold_get_with_keys_or_through_a_role_needs_none_of_them(self):
        self.assert_token(self.run_without(self.UNUSED_BY_A_GET, ["get"], REGISTRY))
        write_file(os.path.join(self.home, ".aws", "config"), "[profile dev]\nrole_arn = "
                   "arn:aws:iam::123456789012:role/minimal\nsource_profile = base\n")
        write_file(os.path.join(self.home, ".aws", "credentials"), "[base]\naws_access_key_id = %s\n"
                   "aws_secret_access_key = %s\n" % (AKID, SECRET))
        with mock.patch.dict(sys.modules, dict((name, None) for name in self.UNUSED_BY_A_GET)):
            self.assert_token(run_main(["get"], self.env(AWS_PROFILE="dev", AWS_ACCESS_KEY_ID=None,
                                                         AWS_SECRET_ACCESS_KEY=None), REGISTRY))
        self.assertEqual(self.fake.count("sts", "AssumeRole"), 1)

    def test_configure_and_doctor_need_none_of_them_nor_shutil(self):
        code, out, err = self.run_without(self.UNUSED_BY_A_GET + ["shutil"], ["configure", REGISTRY])
        self.assertEqual(code, 0, err)
        with open(os.path.join(self.home, ".docker", "config.json")) as handle:
            self.assertEqual(json.load(handle), {"credHelpers": {REGISTRY: "ecr-login"}})
        bin_directory = os.path.join(self.home, "bin")
        write_file(os.path.join(bin_directory, "docker-credential-ecr-login"), "#!/bin/sh\n", mode=0o755)
        with mock.patch.dict(sys.modules, dict((name, None) for name in self.UNUSED_BY_A_GET + ["shutil"])):
            code, out, err = run_main(["doctor", REGISTRY], self.env(PATH=bin_directory))
        self.assertIn("first docker-credential-ecr-login on PATH: %s/docker-credential-ecr-login\n" % bin_directory, out)
        self.assertNotIn("lacks", out + err)

    def test_get_names_the_module_and_still_answers_not_found(self):
        # socket stands in for any module a Python may lack: every network call needs it.
        code, out, err = self.run_without(["socket"], ["get"], REGISTRY)
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertEqual(err.count("\n"), 1, err)
        self.assertRegex(err, r"lacks the standard-library module socket\b.*python3-minimal")
        self.assertNotIn("internal error", err)
        self.assertEqual(self.fake.count(), 0)

    def test_other_commands_give_one_line(self):
        code, out, err = self.run_without(["socket"], ["get-login-password", REGISTRY])
        self.assertEqual((code, out), (1, ""))
        self.assertIn("lacks the standard-library module socket;", err)
        self.assertEqual(err.count("\n"), 1, err)

    def test_a_mistyped_action_is_still_named_without_difflib(self):
        code, out, err = self.run_without(["difflib"], ["gett"])
        self.assertEqual((code, out), (1, "docker-credential-ecr-login: unknown action: gett\n"))  # as the Go helper
        self.assertEqual(err, "docker-credential-ecr-login: run 'docker-credential-ecr-login --help' for the commands\n")

    def test_any_internal_error_in_get_answers_not_found(self):
        with mock.patch.object(ecr_login, "token_for_source", side_effect=KeyError("bug")):
            code, out, err = run_main(["get"], self.env(), REGISTRY)
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn("internal error: KeyError", err)


def run_child(args, env, stdin=b"", redirections="", stdout_reader_closes=False):
    """The helper from the source tree as a child with real descriptors; redirections are
    shell ones applied to it (">&-" closes stdout). (exit code, stdout bytes, stderr bytes)."""
    command = 'exec "$@" %s' % redirections
    stdout = subprocess.PIPE
    if stdout_reader_closes:
        reader, stdout = os.pipe()
        os.close(reader)
    proc = subprocess.Popen(["sh", "-c", command, "sh", sys.executable, SOURCE] + list(args), env=env, cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE)
    if stdout_reader_closes:
        os.close(stdout)
    try:
        out, err = proc.communicate(stdin, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out or b"", err


@unittest.skipIf(os.name == "nt", "on Windows path_lookup is shutil.which itself")
class PathLookupTest(unittest.TestCase):
    """doctor and configure find programs on PATH without shutil (python3-minimal lacks it),
    and find what shutil.which finds."""

    def test_agrees_with_shutil_which(self):
        import shutil

        home = make_home(self)
        write_file(os.path.join(home, "tool"), "#!/bin/sh\n", mode=0o755)
        write_file(os.path.join(home, "plain"), "not executable\n", mode=0o644)
        os.mkdir(os.path.join(home, "folder"))
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(home)  # an empty PATH entry is the current directory
        for path in ("", home, "/nonexistent:" + home, ":/usr/bin", "/usr/bin:/bin"):
            for name in ("tool", "plain", "folder", "sh", "absent"):
                with self.subTest(path=path, name=name):
                    self.assertEqual(ecr_login.path_lookup({"PATH": path}, name), shutil.which(name, path=path))


class ClosedStreamsTest(FakeCase):
    def assert_clean_failure(self, err):
        text = err.decode("utf-8", "replace")
        self.assertNotIn("Traceback", text)
        self.assertNotIn("Exception ignored", text)
        self.assertTrue(text.endswith("\n"), text)

    def test_closed_stderr_still_serves_a_get(self):
        code, out, err = run_child(["get"], self.env(), REGISTRY.encode(), "2>&-")
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out.decode())["ServerURL"], REGISTRY)

    def test_closed_stdout(self):
        for args, stdin in ((["get"], DOCKER_HUB.encode()), (["version"], b""), (["list"], b"")):
            code, out, err = run_child(args, self.env(), stdin, ">&-")
            self.assertEqual(code, 1, args)
            self.assert_clean_failure(err)
            self.assertIn(b"standard output is closed", err)

    def test_stdout_whose_reader_is_gone(self):
        code, _, err = run_child(["--help"], self.env(), b"", stdout_reader_closes=True)
        self.assertEqual(code, 1)
        self.assert_clean_failure(err)
        self.assertIn(b"cannot write to standard output", err)

    def test_closed_stdin(self):
        code, out, err = run_child(["get"], self.env(), b"", "<&-")
        self.assertEqual((code, out, err), (1, b"no credentials server URL\n", b""))


@unittest.skipIf(os.name == "nt", "bytes paths in the environment are POSIX")
class NonUTF8PathTest(FakeCase):
    """A home directory whose name is not UTF-8 is printed as its own bytes, under the C
    locale too (where Python 3.6 and PyPy 3.9 decode the environment as ASCII)."""

    def test_doctor_and_configure_print_the_path(self):
        home = os.fsencode(self.home) + b"/h\xe9me"
        os.mkdir(home, 0o700)
        for locale in ("C.UTF-8", "C"):
            env = dict((name.encode(), value.encode()) for name, value in self.env(LANG=locale).items())
            env[b"HOME"] = home
            env[b"LC_ALL"] = locale.encode()
            code, out, err = run_child(["configure", REGISTRY], env)
            self.assertEqual(code, 0, err)
            self.assertIn(home + b"/.docker/config.json", out + err)
            with open(home + b"/.docker/config.json", "rb") as handle:
                self.assertEqual(json.loads(handle.read().decode())["credHelpers"], {REGISTRY: "ecr-login"})
            code, out, err = run_child(["doctor"], env)
            self.assertNotIn(b"Traceback", err)
            self.assertNotIn(b"internal error", err)
            self.assertIn(home, out)


class UTCFormattingTest(unittest.TestCase):
    """Expiries after 2038-01-19 are written right where time.gmtime overflows (32-bit time_t)."""

    def test_against_calendar(self):
        for text in ("1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2038-01-19T03:14:08Z",
                     "2100-03-01T00:00:00Z", "2400-02-29T12:00:00Z", "1969-12-31T23:59:59Z"):
            epoch = calendar.timegm((int(text[0:4]), int(text[5:7]), int(text[8:10]),
                                     int(text[11:13]), int(text[14:16]), int(text[17:19])))
            self.assertEqual(ecr_login.format_go_time(epoch * 10 ** 9, utc=True), text)

    def test_without_gmtime(self):
        def gmtime_32(seconds=None):
            if seconds is not None and not -2 ** 31 <= seconds < 2 ** 31:
                raise OverflowError("timestamp out of range for platform time_t")
            return ORIGINAL_GMTIME(seconds)

        with mock.patch.object(ecr_login.time, "gmtime", gmtime_32):
            self.assertEqual(ecr_login.format_expiry(4102444800.25), "2100-01-01T00:00:00.25Z")
            headers = ecr_login.sign_request("POST", "https://ecr.us-west-2.amazonaws.com/", {}, b"",
                                             ecr_login.Credentials(AKID, SECRET), "us-west-2", "ecr",
                                             now=4102444800)
        self.assertEqual(dict((k.lower(), v) for k, v in headers.items())["x-amz-date"], "21000101T000000Z")


class WindowsHomeTest(unittest.TestCase):
    """On Windows ~ is %USERPROFILE%, as for botocore, the Go SDK and the Docker CLI, even when
    Git Bash has set HOME."""

    GIT_BASH = {"HOME": "/c/Users/ana", "USERPROFILE": "C:\\Users\\ana", "HOMEDRIVE": "D:", "HOMEPATH": "\\x"}

    def test_userprofile_beats_home(self):
        self.assertEqual(ecr_login.home_directory(self.GIT_BASH, windows=True), "C:\\Users\\ana")
        self.assertEqual(ecr_login.shared_file_paths(self.GIT_BASH, windows=True),
                         ("C:\\Users\\ana\\.aws\\config", "C:\\Users\\ana\\.aws\\credentials"))
        self.assertEqual(ecr_login.expand_home("~\\.ecr", self.GIT_BASH, windows=True), "C:\\Users\\ana\\.ecr")

    def test_then_homedrive_then_home(self):
        self.assertEqual(ecr_login.home_directory({"HOME": "/c/u", "HOMEDRIVE": "D:", "HOMEPATH": "\\u"}, True),
                         "D:\\u")
        self.assertEqual(ecr_login.home_directory({"HOME": "/c/u"}, True), "/c/u")

    def test_home_elsewhere(self):
        self.assertEqual(ecr_login.home_directory(self.GIT_BASH, windows=False), "/c/Users/ana")


class WindowsCommandSplitTest(unittest.TestCase):
    """credential_process on Windows is split by the C runtime's rules (Microsoft's "Parsing C++
    command-line arguments" table), as botocore does there; shlex would eat the backslashes."""

    CASES = (
        ('"C:\\Program Files\\Vault\\vault.exe" export --format=json dev',
         ["C:\\Program Files\\Vault\\vault.exe", "export", "--format=json", "dev"]),
        ('"abc" d e', ["abc", "d", "e"]),
        ('a\\\\b d"e f"g h', ["a\\\\b", "de fg", "h"]),
        ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
        ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
        ('C:\\tools\\creds.exe  \t "" end\\', ["C:\\tools\\creds.exe", "", "end\\"]),
    )

    def test_cases(self):
        for command, words in self.CASES:
            self.assertEqual(ecr_login.split_command(command, windows=True), words, command)

    def test_unclosed_quote(self):
        with self.assertRaises(ValueError):
            ecr_login.split_command('"C:\\Program Files\\x.exe', windows=True)

    def test_posix_is_shlex(self):
        self.assertEqual(ecr_login.split_command("'/opt/my tool' --x \"a b\"", windows=False),
                         ["/opt/my tool", "--x", "a b"])


class WindowsReplaceTest(unittest.TestCase):
    """Windows refuses to rename over a file another process has open (a reader of cache.json,
    a virus scanner): the helper retries for a moment instead of losing the write."""

    def test_retried_while_the_target_is_held(self):
        home = make_home(self)
        source, target = os.path.join(home, "new"), os.path.join(home, "cache.json")
        for path in (source, target):
            with open(path, "w") as handle:
                handle.write(path)
        real_replace, refusals = os.replace, []

        def held_twice(a, b):
            if len(refusals) < 2:
                refusals.append(a)
                raise PermissionError(13, "The process cannot access the file because it is being used")
            return real_replace(a, b)

        with mock.patch.object(ecr_login.os, "replace", held_twice):
            with self.assertRaises(PermissionError):
                ecr_login.replace_file(source, target, windows=False)
            del refusals[:]
            ecr_login.replace_file(source, target, windows=True)
        self.assertEqual(len(refusals), 2)
        self.assertEqual(read_text(target), source)
        self.assertFalse(os.path.exists(source))


class WindowsCacheTest(FakeCase):
    """Python on Windows shows every writable file as 0666 and every directory as 0777, and
    files have no POSIX owner: there the token cache is still served (the profile's ACLs keep
    other users out), where on POSIX the same modes mean another user could have written it."""

    def test_a_cache_that_looks_open_to_all_is_served_where_files_have_no_owner(self):
        self.assert_token(run_main(["get"], self.env(), REGISTRY))
        for top, directories, files in os.walk(os.path.join(self.home, ".ecr")):
            os.chmod(top, 0o777)
            for name in files:
                os.chmod(os.path.join(top, name), 0o666)
        with mock.patch.object(ecr_login, "effective_uid", lambda: None):
            self.assert_token(run_main(["get"], self.env(), REGISTRY))
        self.assertEqual(self.fake.count("ecr"), 1)
        self.assert_token(run_main(["get"], self.env(), REGISTRY))  # POSIX: not trusted, fetched anew
        self.assertEqual(self.fake.count("ecr"), 2)


class WindowsMFATest(unittest.TestCase):
    def test_no_console_is_said_clearly(self):
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(make_home(self))  # no file named CONIN$ here: as on Windows without a console
        with self.assertRaises(ecr_login.CredentialsError) as caught:
            ecr_login.read_mfa_code(None, "arn:aws:iam::123456789012:mfa/ana", "dev", windows=True)
        self.assertIn("no terminal or console to ask on", str(caught.exception))


ORIGINAL_GMTIME = ecr_login.time.gmtime

if __name__ == "__main__":
    unittest.main()
