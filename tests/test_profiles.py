"""~/.aws/config and ~/.aws/credentials: the cross-SDK parser and file-location suites, how
SharedConfig reads real files, and a fuzz test that only ConfigError ever escapes the parser.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.vectors import vectors_dir  # noqa: E402

TEST_DATA = ("smithy-rs-aws-config", "aws", "rust-runtime", "aws-runtime", "test-data")
PARSER_CASES = 65


def load_json(*parts):
    with open(vectors_dir(*parts), "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def parse_inputs(test_input):
    """(config ProfileFile, credentials ProfileFile) of a parser test's input."""
    config = ecr_login.ProfileFile()
    credentials = ecr_login.ProfileFile()
    if "configFile" in test_input:
        config = ecr_login.parse_profile_file(test_input["configFile"], True, "config file")
    if "credentialsFile" in test_input:
        credentials = ecr_login.parse_profile_file(test_input["credentialsFile"], False, "credentials file")
    return config, credentials


# Cases of the cross-SDK parser suite where the helper reads profile names as botocore does
# (botocore/configloader.py: a config header is split like shlex.split and must be exactly
# "profile NAME", any NAME; a credentials-file header is the name as it is). name -> (what
# the helper parses, why). README lists them.
PARSER_DIVERGENCES = {
    "Profile names support alphanumeric characters and - / . % @ _ : +": (
        {"some-thing:long/the_one%only.foo@bar+": {}, "foo!bar": {}},
        "botocore accepts any one-word name, so [profile foo!bar] is a profile"),
    "Invalid profile names are ignored.": (
        {"in valid 2": {"name2": "value2"}},
        "botocore takes a credentials-file header as the name, spaces and all"),
    "Credentials profiles with prefix are ignored.": (
        {"profile foo": {"name": "value"}},
        "botocore: [profile foo] in the credentials file is the profile named 'profile foo'"),
    "profile name with extra whitespace in credentials": (
        {"foo": {"name": "value"}, "profile bar": {}},
        "as the previous case for [profile bar]; the spaces around [   foo    ] are dropped, as the suite says"),
}


class ProfileParserSuiteTest(unittest.TestCase):
    """smithy-rs' copy of the cross-SDK profile-parser-tests.json, every case (PARSER_DIVERGENCES
    asserted to differ from the suite, as botocore does)."""

    def test_every_case(self):
        tests = load_json(*(TEST_DATA + ("profile-parser-tests.json",)))["tests"]
        self.assertEqual(len(tests), PARSER_CASES)
        for case in tests:
            with self.subTest(case=case["name"]):
                output = case["output"]
                if "errorContaining" in output:
                    with self.assertRaises(ecr_login.ConfigError) as caught:
                        parse_inputs(case["input"])
                    self.assertIn(output["errorContaining"], str(caught.exception))
                    self.assertNotIn("\n", str(caught.exception))
                elif case["name"] in PARSER_DIVERGENCES:
                    config, credentials = parse_inputs(case["input"])
                    ours = ecr_login.merge_profile_files(config, credentials)
                    self.assertNotEqual(ours, output["config"]["profiles"], "agrees with the suite now")
                    self.assertEqual(ours, PARSER_DIVERGENCES[case["name"]][0])
                else:
                    config, credentials = parse_inputs(case["input"])
                    expected = output["config"]
                    self.assertEqual(ecr_login.merge_profile_files(config, credentials), expected["profiles"])
                    self.assertEqual(config.sso_sessions, expected.get("sso_sessions", {}))


# The Rust SDK reads HOME first on Windows too; botocore (os.path.expanduser), the Go SDK and
# the Docker CLI read USERPROFILE there, and so does the helper (README: suite divergences).
WINDOWS_HOME_DIVERGENCE = {
    "User home is loaded from $HOME with highest priority on windows platforms.":
        ("ignored\\.aws\\config", "ignored\\.aws\\credentials"),
}


class FileLocationSuiteTest(unittest.TestCase):
    """smithy-rs' file-location-tests.json: which files are read and which profile is used."""

    def test_every_case(self):
        tests = load_json(*(TEST_DATA + ("file-location-tests.json",)))["tests"]
        self.assertGreaterEqual(len(tests), 9)
        for case in tests:
            with self.subTest(case=case["name"], platform=case["platform"]):
                env = case["environment"]
                paths = ecr_login.shared_file_paths(env, windows=case["platform"] == "windows")
                expected = WINDOWS_HOME_DIVERGENCE.get(case["name"], (case["configLocation"], case["credentialsLocation"]))
                self.assertEqual(paths, expected)
                if "profile" in case:
                    self.assertEqual(ecr_login.selected_profile_name(env)[0], case["profile"])


class SelectedProfileTest(unittest.TestCase):

    def test_order(self):
        self.assertEqual(ecr_login.selected_profile_name({}), ("default", False))
        self.assertEqual(ecr_login.selected_profile_name({"AWS_DEFAULT_PROFILE": "legacy"}), ("legacy", True))
        self.assertEqual(ecr_login.selected_profile_name({"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "legacy"}),
                         ("dev", True))
        self.assertEqual(ecr_login.selected_profile_name({"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "legacy"}),
                         ("legacy", True))
        self.assertEqual(ecr_login.selected_profile_name({"AWS_PROFILE": "  "}), ("default", False))


class SharedConfigTest(unittest.TestCase):
    """SharedConfig on real files in a private temporary home."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="ecr-login-profiles-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.env = {"HOME": self.home}

    def write(self, relative, data):
        path = os.path.join(self.home, relative)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory)
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def shared(self, **env):
        merged = dict(self.env)
        merged.update(env)
        return ecr_login.SharedConfig(merged)

    def assertConfigError(self, path, **env):
        with self.assertRaises(ecr_login.ConfigError) as caught:
            self.shared(**env)
        message = str(caught.exception)
        self.assertIn(path, message)
        self.assertNotIn("\n", message)
        return message

    def test_default_locations_under_home(self):
        self.write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n")
        self.write(".aws/credentials", "[default]\naws_access_key_id = AKIDDEFAULT\n")
        shared = self.shared()
        self.assertEqual(shared.config_path, os.path.join(self.home, ".aws", "config"))
        self.assertEqual(shared.credentials_path, os.path.join(self.home, ".aws", "credentials"))
        self.assertEqual(shared.profile_name, "default")
        self.assertEqual(shared.setting("region"), "eu-west-1")
        self.assertEqual(shared.setting("aws_access_key_id"), "AKIDDEFAULT")
        self.assertEqual(shared.profile("dev"), {"region": "us-east-2"})

    def test_environment_names_the_files(self):
        self.write(".aws/config", "[default]\nregion = from-home\n")
        config = self.write("elsewhere/my config", "[default]\nregion = from-env\n")
        credentials = self.write("other/creds", "[default]\naws_access_key_id = AKIDENV\n")
        shared = self.shared(AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE=credentials)
        self.assertEqual((shared.config_path, shared.credentials_path), (config, credentials))
        self.assertEqual(shared.profile(), {"region": "from-env", "aws_access_key_id": "AKIDENV"})

    def test_tilde_in_environment_paths(self):
        self.write("custom/config", "[profile dev]\nregion = ap-south-1\n")
        shared = self.shared(AWS_CONFIG_FILE="~/custom/config", AWS_PROFILE="dev")
        self.assertEqual(shared.setting("region"), "ap-south-1")

    def test_profile_prefix_in_config_only(self):
        self.write(".aws/config", "[profile dev]\nregion = us-east-2\n[ops]\nregion = ignored\n"
                                  "[profile default]\nregion = eu-north-1\n")
        self.write(".aws/credentials", "[ops]\naws_access_key_id = AKIDOPS\n[profile qa]\naws_access_key_id = X\n")
        shared = self.shared()
        # config: [profile dev] is "dev", a bare [ops] is not a profile; credentials: [ops] is
        # "ops" and "[profile qa]" is the profile "profile qa", as botocore reads it.
        self.assertEqual(shared.profile("dev"), {"region": "us-east-2"})
        self.assertEqual(shared.profile("ops"), {"aws_access_key_id": "AKIDOPS"})
        self.assertNotIn("qa", shared.profiles)
        self.assertEqual(shared.profile("profile qa"), {"aws_access_key_id": "X"})
        self.assertEqual(shared.profile("default"), {"region": "eu-north-1"})

    def test_profile_default_beats_plain_default(self):
        self.write(".aws/config", "[profile default]\nregion = us-west-1\n[default]\nregion = us-west-2\n")
        self.assertEqual(self.shared().setting("region"), "us-west-1")

    def test_credentials_file_wins_key_by_key(self):
        self.write(".aws/config", "[profile dev]\nregion = us-east-2\naws_access_key_id = AKIDCONFIG\n"
                                  "aws_secret_access_key = config-secret\n")
        self.write(".aws/credentials", "[dev]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = creds-secret\n")
        profile = self.shared(AWS_PROFILE="dev").profile()
        self.assertEqual(profile, {"region": "us-east-2", "aws_access_key_id": "AKIDCREDS",
                                   "aws_secret_access_key": "creds-secret"})

    def test_aws_profile_then_aws_default_profile(self):
        self.write(".aws/config", "[default]\nregion = r-default\n[profile a]\nregion = r-a\n[profile b]\nregion = r-b\n")
        self.assertEqual(self.shared(AWS_PROFILE="a", AWS_DEFAULT_PROFILE="b").setting("region"), "r-a")
        self.assertEqual(self.shared(AWS_DEFAULT_PROFILE="b").setting("region"), "r-b")
        self.assertEqual(self.shared().setting("region"), "r-default")

    def test_missing_files_are_empty(self):
        shared = self.shared(AWS_CONFIG_FILE=os.path.join(self.home, "nope", "config"))
        self.assertEqual(shared.profiles, {})
        self.assertEqual(shared.sso_sessions, {})
        self.assertEqual(shared.profile(), {})
        self.assertIsNone(shared.setting("region"))
        shared.check_selected_profile()  # "default" was not asked for by name

    def test_a_directory_where_the_file_should_be_is_empty(self):
        os.makedirs(os.path.join(self.home, ".aws", "config"))
        self.assertEqual(self.shared().profiles, {})

    @unittest.skipIf(os.name == "nt", "HOME is not the only home on Windows")
    def test_no_home_at_all(self):
        shared = ecr_login.SharedConfig({})
        self.assertEqual((shared.config_path, shared.credentials_path), (None, None))
        self.assertEqual(shared.profiles, {})

    def test_utf8_bom_and_crlf(self):
        self.write(".aws/config", b"\xef\xbb\xbf[default]\r\nregion = eu-west-3\r\n[profile x]\r\nregion = caf\xc3\xa9\r\n")
        shared = self.shared()
        self.assertEqual(shared.setting("region"), "eu-west-3")
        self.assertEqual(shared.profile("x"), {"region": "caf\u00e9"})

    def test_binary_config_file(self):
        path = self.write(".aws/config", b"\x7fELF\x02\x01\x01\x00\x00\x00[default]\n")
        self.assertIn("not a text file", self.assertConfigError(path))

    def test_nul_in_credentials_file(self):
        path = self.write(".aws/credentials", b"[default]\naws_access_key_id = AKID\x00\n")
        self.assertConfigError(path)

    def test_non_utf8_files(self):
        path = self.write(".aws/config", b"[default]\nregion = caf\xe9\n")
        self.assertIn("UTF-8", self.assertConfigError(path))
        os.remove(path)
        path = self.write("creds-latin1", b"[default]\n# \xff\xfe comment\n")
        self.assertConfigError(path, AWS_SHARED_CREDENTIALS_FILE=path)

    def test_huge_file_is_refused(self):
        path = self.write(".aws/config", b"#" * (ecr_login.MAX_CONFIG_FILE_BYTES + 1))
        self.assertConfigError(path)

    def test_syntax_error_names_file_and_line(self):
        path = self.write(".aws/config", "[default]\nregion = us-east-1\n[profile broken\n")
        message = self.assertConfigError(path)
        self.assertIn("line 3", message)

    def test_missing_selected_profile(self):
        self.write(".aws/config", "[default]\nregion = us-east-1\n")
        self.write(".aws/credentials", "[creds-only]\naws_access_key_id = AKID\n")
        for env in ({"AWS_PROFILE": "nope"}, {"AWS_DEFAULT_PROFILE": "nope"}):
            with self.subTest(env=env):
                shared = self.shared(**env)
                with self.assertRaises(ecr_login.ConfigError) as caught:
                    shared.check_selected_profile()
                self.assertIn("nope", str(caught.exception))
        self.shared(AWS_PROFILE="creds-only").check_selected_profile()
        self.shared(AWS_PROFILE="default").check_selected_profile()
        self.shared().check_selected_profile()

    def test_implicit_default_may_be_missing(self):
        self.write(".aws/config", "[profile other]\nregion = us-east-1\n")
        shared = self.shared()
        shared.check_selected_profile()
        self.assertEqual(shared.profile(), {})


# ------------------------------------------------------------------------------------------
# Fuzz: whatever a config file holds, the parser answers with profiles or a ConfigError.
# ------------------------------------------------------------------------------------------

FUZZ_SEED = 424242
FUZZ_TEXTS = 3000
FUZZ_LINES = (
    "[default]", "[profile dev]", "[profile  spaced  ]", "[sso-session s]", "[sso-session]", "[profile]", "[",
    "]", "[]", "[ default ]", "[profile a b]", "[profile caf\u00e9]", "[x] # comment", "[x] junk", "[[x]]",
    "region = us-east-1", "region=us-east-1", "region =", "= value", "=", "==", "a = b = c", "key", "key ; x",
    "s3 =", "  max_concurrent_requests = 20", "  = nothing", "  no-equals", "\tcontinued", " ", "\t",
    "# comment", "; comment", "  # indented comment", "value # trailing", "value;not-comment", "x = y #c ;d",
    "aws_access_key_id = AKID\u00e9", "\u65e5\u672c = \u8a9e", "\U0001F600", "\x00", "a\x00b = c", "\r", "\x0b",
    "\x0c", "\u2028", "\u00a0region = x", "[profile \x00]", "key = \\", "key = 'quoted'", 'key = "quoted"',
    "[profile " + "x" * 300 + "]", "k" * 200 + " = v",
)
FUZZ_PIECES = ("[", "]", "=", " ", "\t", "#", ";", "\r", "\x00", "a", "Z", "9", "profile", "sso-session", "-",
               "\u00e9", "\U0001F600", "\\", "\n", "\n ", "\n\t", "default", ".")


def fuzz_text(rng):
    # Most texts open with a section header, so the generator gets past the first line.
    lines = [rng.choice(("[default]", "[profile dev]", "[sso-session s]", "[dev]"))] if rng.random() < 0.7 else []
    for _ in range(rng.randint(0, 10)):
        roll = rng.random()
        if roll < 0.8:
            line = rng.choice(FUZZ_LINES)
        elif roll < 0.95:
            line = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 12)))
        else:
            line = "".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.2:
            line = rng.choice((" ", "\t", "  ")) + line
        lines.append(line)
    return rng.choice(("\n", "\r\n", "\n\n")).join(lines) + rng.choice(("", "\n", "\r\n", "\r"))


class BotocoreProfileNamesTest(unittest.TestCase):
    """Profile names botocore accepts (botocore/configloader.py _parse_section: shlex.split of
    the header must give exactly "profile" and the name) select their profile here too."""

    CONFIG = ('[profile "personal"]\nregion = eu-west-1\n[profile "my name"]\nregion = eu-west-2\n'
              "[profile pr\u00f8d]\nregion = eu-west-3\n[profile 'single quoted']\nregion = eu-north-1\n"
              "[profile a b]\nregion = ignored\n[profile \"open]\nregion = ignored\n")
    NAMES = {"personal": "eu-west-1", "my name": "eu-west-2", "pr\u00f8d": "eu-west-3",
             "single quoted": "eu-north-1"}

    def test_quoted_spaced_and_non_ascii_names(self):
        config = ecr_login.parse_profile_file(self.CONFIG, True)
        self.assertEqual(dict((name, values["region"]) for name, values in config.profiles.items()), self.NAMES)

    def test_credentials_file_names_with_spaces_and_non_ascii(self):
        credentials = ecr_login.parse_profile_file("[my name]\naws_access_key_id = AKIDSPACE\n"
                                                   "[pr\u00f8d]\naws_access_key_id = AKIDPROD\n", False)
        self.assertEqual(sorted(credentials.profiles), ["my name", "pr\u00f8d"])

    def test_shell_words_splits_as_shlex(self):
        import shlex

        rng = random.Random(FUZZ_SEED)
        pieces = ["profile", " ", "\t", '"', "'", "\\", "a", "b c", "\u00f8", 'x"y', "'z'", '\\"', "#"]
        for _ in range(3000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
            try:
                expected = shlex.split(text)
            except ValueError:
                expected = None
            self.assertEqual(ecr_login.shell_words(text), expected, repr(text))


class ParserFuzzTest(unittest.TestCase):

    def test_only_config_errors_escape(self):
        rng = random.Random(FUZZ_SEED)
        outcomes = {"parsed": 0, "error": 0}
        for number in range(FUZZ_TEXTS):
            text = fuzz_text(rng)
            is_config = rng.random() < 0.6
            try:
                parsed = ecr_login.parse_profile_file(text, is_config, "fuzz file")
            except ecr_login.ConfigError as error:
                outcomes["error"] += 1
                message = str(error)
                self.assertTrue(message.startswith("fuzz file line "), (text, message))
                self.assertNotIn("\n", message, repr(text))
                continue
            except Exception as error:  # noqa: BLE001 - the point of the test
                self.fail("text #%d %r (is_config=%s) raised %s: %s" % (number, text, is_config,
                                                                          type(error).__name__, error))
            outcomes["parsed"] += 1
            for table in (parsed.profiles, parsed.sso_sessions):
                self.assertIsInstance(table, dict)
                for name, values in table.items():
                    self.assertIsInstance(name, str)
                    self.assertTrue(name, repr(name))
                    for key, value in values.items():
                        self.assertIsInstance(key, str)
                        self.assertIsInstance(value, str)
                        self.assertEqual(key, key.lower())
            merged = ecr_login.merge_profile_files(parsed, ecr_login.ProfileFile())
            self.assertEqual(set(merged), set(parsed.profiles))
        # The generator reaches both outcomes often, or the test would prove little.
        self.assertGreater(outcomes["parsed"], FUZZ_TEXTS // 10, outcomes)
        self.assertGreater(outcomes["error"], FUZZ_TEXTS // 10, outcomes)


if __name__ == "__main__":
    unittest.main()
