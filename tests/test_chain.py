"""The credential chain end to end: every provider, through ``main([..., "get"])`` against the
loopback fake, checked by what a user would see (exit code, stdout, stderr) and by which
credentials signed the ECR call (the fake verifies every SigV4 signature).

Nothing here reaches 169.254.x.x or a real AWS host: every endpoint (and IMDS) points at the
fake on 127.0.0.1, and IMDS is off unless a test points it at the fake. Each test has its own
HOME, and its environment is built from nothing (tests.helpers.clean_env).
"""

import hashlib
import json
import os
import shlex
import socket
import sys
import time
import unittest
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.fakeaws import Reply, iso8601  # noqa: E402
from tests.helpers import (  # noqa: E402
    PROGRAM, HelperCase, SilentListener, clean_env, make_home, python_command, read_text, write_file)

REGION = "eu-central-1"
REGISTRY = "123456789012.dkr.ecr.%s.amazonaws.com" % REGION
ROLE_A = "arn:aws:iam::210987654321:role/role-a"
ROLE_B = "arn:aws:iam::210987654321:role/role-b"
ROLE_C = "arn:aws:iam::210987654321:role/role-c"
ENV_KEY, ENV_SECRET = "AKIDENVIRONMENT01", "env-secret-key-0001"
PROFILE_KEY, PROFILE_SECRET = "AKIDPROFILE000001", "profile-secret-0001"
BASE_KEY, BASE_SECRET = "AKIDBASE000000001", "base-secret-0001"
PROCESS_KEY = "AKIDPROCESS000001"

# A credential_process program: Version 1 JSON, or one of the ways such a program goes wrong.
PROCESS_SCRIPT = r'''
import json, sys, time
mode = sys.argv[1]
if mode == "ok":
    if sys.argv[2] != "two words":
        sys.stderr.write("argument not passed as one word: %r\n" % sys.argv[2:])
        sys.exit(7)
    document = {"Version": 1, "AccessKeyId": sys.argv[3], "SecretAccessKey": "process-secret-0001",
                "SessionToken": "process-token-0001"}
    if len(sys.argv) > 4:
        document["Expiration"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + float(sys.argv[4])))
    print(json.dumps(document))
elif mode == "fail":
    sys.stderr.write("first line: the vault is sealed\nsecond line: details\n")
    sys.exit(3)
elif mode == "sleep":
    time.sleep(10)
elif mode == "badjson":
    print("this is not JSON")
elif mode == "v2":
    print(json.dumps({"Version": 2, "AccessKeyId": "AKIDV2", "SecretAccessKey": "s"}))
'''


class ChainTestCase(HelperCase):
    """The harness at debug log level (the most the log ever says, for the leak checks)."""

    log_level = "debug"
    registry = REGISTRY

    def aws_file(self, name, text):
        return write_file(os.path.join(self.home, ".aws", name), text)

    def assert_ok(self, result, signer=None):
        """get succeeded with a password the fake issued; signer is the key id that must have
        signed the ECR call."""
        code, out, err = result
        self.assertEqual(code, 0, "get failed: %s%s" % (out, err))
        answer = json.loads(out)
        self.assertEqual(answer["Username"], "AWS")
        self.assertIn(answer["Secret"], self.fake.minted)
        if signer is not None:
            self.assertEqual(self.ecr_signer(), signer)
        self.assertTrue(self.checks and all(reason is None for _, reason in self.checks), self.checks)
        return answer

    def ecr_signer(self):
        rec = self.fake.last("ecr")
        self.assertIsNotNone(rec, "ECR was not called")
        return rec.auth["access_key_id"]

    def plan(self, env, host=REGISTRY):
        ctx = ecr_login.Request(ecr_login.Context(env), ecr_login.parse_registry(host))
        return ctx, ecr_login.plan_credentials(ctx)


# ============================================================================================
# Environment keys and profile selection
# ============================================================================================


class EnvironmentTest(ChainTestCase):
    def test_environment_keys_sign_the_ecr_call(self):
        self.add_keys(ENV_KEY, ENV_SECRET)
        self.assert_ok(self.get(env=self.env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET)), ENV_KEY)
        rec = self.fake.last("ecr")
        self.assertEqual((rec.auth["region"], rec.auth["service"]), (REGION, "ecr"))
        self.assertNotIn("x-amz-security-token", rec.headers)

    def test_environment_session_token_is_sent(self):
        self.add_keys(ENV_KEY, ENV_SECRET, "env-session-token-0001")
        self.assert_ok(self.get(env=self.env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET,
                                         AWS_SESSION_TOKEN="env-session-token-0001")), ENV_KEY)
        self.assertEqual(self.fake.last("ecr").headers["x-amz-security-token"], "env-session-token-0001")

    def test_environment_beats_aws_profile(self):
        self.add_keys(ENV_KEY, ENV_SECRET)
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("credentials", "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            PROFILE_KEY, PROFILE_SECRET))
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev", AWS_ACCESS_KEY_ID=ENV_KEY,
                                         AWS_SECRET_ACCESS_KEY=ENV_SECRET)), ENV_KEY)

    def test_aws_profile_selects_its_keys(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("credentials", "[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n"
                      "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (PROFILE_KEY, PROFILE_SECRET))
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev")), PROFILE_KEY)

    def test_missing_aws_profile_is_not_found_naming_it(self):
        self.aws_file("config", "[profile other]\nregion = us-east-1\n")
        for extra in ({}, {"AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET}):
            with self.subTest(env_keys=bool(extra)):
                result = self.get(env=self.env(AWS_PROFILE="no-such-profile", **extra))
                self.assert_not_found(result, "no-such-profile")
        self.assertEqual(self.fake.requests, [])

    def test_access_key_without_secret_is_an_error(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("credentials", "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            PROFILE_KEY, PROFILE_SECRET))
        # botocore raises PartialCredentialsError rather than falling through to the profile.
        result = self.get(env=self.env(AWS_ACCESS_KEY_ID=ENV_KEY))
        self.assert_not_found(result, "AWS_SECRET_ACCESS_KEY")
        self.assertEqual(self.fake.requests, [])

    def test_secret_without_access_key_is_ignored(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("credentials", "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            PROFILE_KEY, PROFILE_SECRET))
        self.assert_ok(self.get(env=self.env(AWS_SECRET_ACCESS_KEY=ENV_SECRET)), PROFILE_KEY)

    def test_no_credentials_at_all(self):
        result = self.get(env=self.env())
        self.assert_not_found(result, "no AWS credentials found")
        self.assertEqual(self.fake.requests, [])


# ============================================================================================
# Assume role (source_profile, chains, loops, credential_source, STS parameters)
# ============================================================================================


class AssumeRoleTest(ChainTestCase):
    def base_credentials(self):
        self.add_keys(BASE_KEY, BASE_SECRET)
        self.aws_file("credentials", "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            BASE_KEY, BASE_SECRET))

    def sts_calls(self):
        return self.fake.find("sts", "AssumeRole")

    def test_source_profile_with_static_keys(self):
        self.base_credentials()
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev")))
        (sts,) = self.sts_calls()
        self.assertEqual(sts.auth["access_key_id"], BASE_KEY)
        self.assertEqual((sts.auth["region"], sts.auth["service"]), (REGION, "sts"))
        self.assertEqual(sts.form["RoleArn"], ROLE_A)
        self.assertTrue(sts.form["RoleSessionName"])
        # Like botocore: no DurationSeconds or ExternalId unless the profile sets them.
        self.assertNotIn("DurationSeconds", sts.form)
        self.assertNotIn("ExternalId", sts.form)
        # ECR is signed with the role's temporary credentials, token included.
        role_key = self.fake.access_key_ids[0]
        self.assertEqual(self.ecr_signer(), role_key)
        self.assertEqual(self.fake.last("ecr").headers["x-amz-security-token"], self.fake.credentials[role_key][1])

    def test_role_parameters_reach_sts(self):
        self.base_credentials()
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\nrole_session_name = "
                      "build-42\nexternal_id = ext id/1\nduration_seconds = 1800\n" % ROLE_A)
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev")))
        (sts,) = self.sts_calls()
        self.assertEqual(sts.form["Action"], "AssumeRole")
        self.assertEqual(sts.form["Version"], "2011-06-15")
        self.assertEqual(sts.form["RoleSessionName"], "build-42")
        self.assertEqual(sts.form["ExternalId"], "ext id/1")
        self.assertEqual(sts.form["DurationSeconds"], "1800")

    def test_signed_at_the_registry_region(self):
        self.base_credentials()
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\nregion = us-east-1\n" % ROLE_A)
        host = "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com"
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev"), server_url=host))
        (sts,) = self.sts_calls()
        self.assertEqual(sts.auth["region"], "ap-southeast-2")
        self.assertEqual(self.fake.last("ecr").auth["region"], "ap-southeast-2")

    def test_chain_three_roles_deep(self):
        self.add_keys(BASE_KEY, BASE_SECRET)
        self.aws_file("config", "[profile a]\nrole_arn = %s\nsource_profile = b\n"
                      "[profile b]\nrole_arn = %s\nsource_profile = c\n"
                      "[profile c]\nrole_arn = %s\nsource_profile = d\n"
                      "[profile d]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
                          ROLE_A, ROLE_B, ROLE_C, BASE_KEY, BASE_SECRET))
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="a")))
        calls = self.sts_calls()
        self.assertEqual([call.form["RoleArn"] for call in calls], [ROLE_C, ROLE_B, ROLE_A])
        minted = self.fake.access_key_ids
        self.assertEqual([call.auth["access_key_id"] for call in calls], [BASE_KEY, minted[0], minted[1]])
        self.assertEqual(self.ecr_signer(), minted[2])

    def test_chain_two_deep_source_keys_win_over_its_role(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("config", "[profile a]\nrole_arn = %s\nsource_profile = b\n"
                      "[profile b]\nrole_arn = %s\nsource_profile = c\naws_access_key_id = %s\n"
                      "aws_secret_access_key = %s\n[profile c]\naws_access_key_id = AKIDUNUSED\n"
                      "aws_secret_access_key = unused\n" % (ROLE_A, ROLE_B, PROFILE_KEY, PROFILE_SECRET))
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="a")))
        (sts,) = self.sts_calls()
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (ROLE_A, PROFILE_KEY))

    def test_self_sourcing_profile_with_static_keys(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        self.aws_file("credentials", "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            PROFILE_KEY, PROFILE_SECRET))
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = dev\n" % ROLE_A)
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev")))
        (sts,) = self.sts_calls()
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (ROLE_A, PROFILE_KEY))

    def test_self_sourcing_profile_without_keys_is_an_error(self):
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = dev\n" % ROLE_A)
        result = self.get(env=self.env(AWS_PROFILE="dev"))
        self.assert_not_found(result, "dev", "source_profile")
        self.assertEqual(self.fake.requests, [])

    def test_cycle_is_an_error_naming_the_loop(self):
        self.aws_file("config", "[profile a]\nrole_arn = %s\nsource_profile = b\n"
                      "[profile b]\nrole_arn = %s\nsource_profile = c\n"
                      "[profile c]\nrole_arn = %s\nsource_profile = a\n" % (ROLE_A, ROLE_B, ROLE_C))
        result = self.get(env=self.env(AWS_PROFILE="a"))
        self.assert_not_found(result, "infinite loop", "a -> b -> c -> a")
        self.assertEqual(self.fake.requests, [])

    def test_missing_source_profile_is_an_error(self):
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = ghost\n" % ROLE_A)
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="dev")), "ghost")
        self.assertEqual(self.fake.requests, [])

    def test_credential_source_environment(self):
        self.add_keys(ENV_KEY, ENV_SECRET)
        self.aws_file("config", "[profile envrole]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE_A)
        env = self.env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET)
        # A helper installed as docker-credential-ecr-login-<profile> selects the profile the way
        # botocore's Session(profile=...) does: the role is assumed with the environment's keys.
        self.assert_ok(self.get(env=env, program=PROGRAM + "-envrole"))
        (sts,) = self.sts_calls()
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (ROLE_A, ENV_KEY))
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[0])

    def test_credential_source_environment_under_aws_profile_uses_the_keys(self):
        # As in botocore: with AWS_PROFILE, environment keys come first in the chain, so the
        # keys themselves sign and the role is not assumed.
        self.add_keys(ENV_KEY, ENV_SECRET)
        self.aws_file("config", "[profile envrole]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE_A)
        env = self.env(AWS_PROFILE="envrole", AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET)
        self.assert_ok(self.get(env=env), ENV_KEY)
        self.assertEqual(self.sts_calls(), [])

    def test_credential_source_environment_without_keys(self):
        self.aws_file("config", "[profile envrole]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE_A)
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="envrole")), "credential_source", "Environment")
        self.assertEqual(self.fake.requests, [])

    def test_credential_source_is_case_sensitive(self):
        self.aws_file("config", "[profile envrole]\nrole_arn = %s\ncredential_source = environment\n" % ROLE_A)
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="envrole")), "environment")

    def test_credential_source_ecs_container(self):
        self.aws_file("config", "[profile ecs]\nrole_arn = %s\ncredential_source = EcsContainer\n" % ROLE_A)
        env = self.env(AWS_PROFILE="ecs", AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url)
        self.assert_ok(self.get(env=env))
        self.assertEqual(self.fake.count("container"), 1)
        container_key = self.fake.access_key_ids[0]
        (sts,) = self.sts_calls()
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (ROLE_A, container_key))
        self.assertEqual(sts.headers["x-amz-security-token"], self.fake.credentials[container_key][1])
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[1])

    def test_credential_source_ec2_instance_metadata(self):
        self.aws_file("config", "[profile ec2]\nrole_arn = %s\ncredential_source = Ec2InstanceMetadata\n" % ROLE_A)
        env = self.env(AWS_PROFILE="ec2", AWS_EC2_METADATA_DISABLED=None)
        self.assert_ok(self.get(env=env))
        self.assertEqual(self.fake.count("imds", "imds-creds"), 1)
        imds_key = self.fake.access_key_ids[0]
        (sts,) = self.sts_calls()
        self.assertEqual((sts.form["RoleArn"], sts.auth["access_key_id"]), (ROLE_A, imds_key))
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[1])

    def test_the_log_tells_what_happened_without_secrets(self):
        self.base_credentials()
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=503)])
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="dev")))
        log = self.log_text()
        self.assertIn(ROLE_A, log)
        self.assertIn("attempt 1 failed", log)  # and no secret: the harness checks every log
        self.assertTrue(self.fake.minted)

    def test_sts_error_is_reported(self):
        from tests.fakeaws import sts_error

        self.base_credentials()
        self.aws_file("config", "[profile dev]\nrole_arn = %s\nsource_profile = base\n" % ROLE_A)
        self.fake.script("sts", "AssumeRole", [sts_error("AccessDenied", "not authorized to assume", 403)])
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="dev")), "AccessDenied")
        self.assertEqual(self.fake.count("ecr"), 0)


class StsEndpointTest(unittest.TestCase):
    """AWS_STS_REGIONAL_ENDPOINTS / sts_regional_endpoints, checked without any network."""

    def endpoint(self, host=REGISTRY, config=None, **extra):
        home = make_home(self)
        if config is not None:
            write_file(os.path.join(home, ".aws", "config"), config)
        settings = {"AWS_ENDPOINT_URL": None, "AWS_ENDPOINT_URL_STS": None}
        settings.update(extra)
        env = clean_env(home, **settings)
        ctx = ecr_login.Request(ecr_login.Context(env), ecr_login.parse_registry(host))
        return ecr_login.sts_endpoint(ctx)

    def test_regional_by_default(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.us-west-2.amazonaws.com"),
                         ("https://sts.us-west-2.amazonaws.com", "us-west-2"))

    def test_legacy_uses_the_global_endpoint_for_legacy_regions(self):
        for region in ("us-west-2", "us-east-1", "eu-west-1", "ap-southeast-2"):
            with self.subTest(region=region):
                self.assertEqual(self.endpoint("123456789012.dkr.ecr.%s.amazonaws.com" % region,
                                               AWS_STS_REGIONAL_ENDPOINTS="legacy"),
                                 ("https://sts.amazonaws.com", "us-east-1"))

    def test_legacy_stays_regional_for_newer_regions(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.ap-east-1.amazonaws.com",
                                       AWS_STS_REGIONAL_ENDPOINTS="legacy"),
                         ("https://sts.ap-east-1.amazonaws.com", "ap-east-1"))

    def test_regional_setting(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.us-west-2.amazonaws.com",
                                       AWS_STS_REGIONAL_ENDPOINTS="regional"),
                         ("https://sts.us-west-2.amazonaws.com", "us-west-2"))

    def test_legacy_from_the_config_file(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.us-west-2.amazonaws.com",
                                       config="[default]\nsts_regional_endpoints = legacy\n"),
                         ("https://sts.amazonaws.com", "us-east-1"))

    def test_environment_beats_the_config_file(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.us-west-2.amazonaws.com",
                                       config="[default]\nsts_regional_endpoints = legacy\n",
                                       AWS_STS_REGIONAL_ENDPOINTS="regional"),
                         ("https://sts.us-west-2.amazonaws.com", "us-west-2"))

    def test_china_partition(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
                         ("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"))

    def test_invalid_setting(self):
        with self.assertRaises(ecr_login.ConfigError):
            self.endpoint(AWS_STS_REGIONAL_ENDPOINTS="sometimes")

    def test_endpoint_override_wins(self):
        self.assertEqual(self.endpoint("123456789012.dkr.ecr.us-west-2.amazonaws.com",
                                       AWS_STS_REGIONAL_ENDPOINTS="legacy",
                                       AWS_ENDPOINT_URL_STS="http://127.0.0.1:9/"),
                         ("http://127.0.0.1:9", "us-west-2"))


# ============================================================================================
# Web identity
# ============================================================================================


class WebIdentityTest(ChainTestCase):
    TOKEN = "eyJhbGciOiJIUzI1NiJ9.test-web-identity-token.sig"

    def setUp(self):
        ChainTestCase.setUp(self)
        self.secrets.append(self.TOKEN)

    def token_file(self, text=None):
        return write_file(os.path.join(self.home, "token.jwt"), (self.TOKEN + "\n") if text is None else text)

    def check_unsigned_call(self, role_arn, session_name=None):
        (sts,) = self.fake.find("sts", "AssumeRoleWithWebIdentity")
        self.assertFalse(sts.signed, "AssumeRoleWithWebIdentity must be unsigned")
        self.assertNotIn("x-amz-security-token", sts.headers)
        self.assertEqual(sts.form["RoleArn"], role_arn)
        self.assertEqual(sts.form["WebIdentityToken"], self.TOKEN)
        if session_name is not None:
            self.assertEqual(sts.form["RoleSessionName"], session_name)
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[0])

    def test_from_the_environment(self):
        self.fake.web_identity_tokens = [self.TOKEN]
        env = self.env(AWS_ROLE_ARN=ROLE_A, AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file(),
                       AWS_ROLE_SESSION_NAME="pod-session")
        self.assert_ok(self.get(env=env))
        self.check_unsigned_call(ROLE_A, "pod-session")

    def test_from_a_profile(self):
        self.fake.web_identity_tokens = [self.TOKEN]
        self.aws_file("config", "[profile wi]\nrole_arn = %s\nweb_identity_token_file = %s\n"
                      "role_session_name = profile-session\n" % (ROLE_B, self.token_file()))
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="wi")))
        self.check_unsigned_call(ROLE_B, "profile-session")

    def test_token_file_without_role_arn_is_an_error(self):
        self.assert_not_found(self.get(env=self.env(AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file())), "role")
        self.assertEqual(self.fake.requests, [])

    def test_token_file_that_is_a_directory(self):
        directory = os.path.join(self.home, "token-dir")
        os.mkdir(directory)
        err = self.assert_not_found(self.get(env=self.env(AWS_ROLE_ARN=ROLE_A, AWS_WEB_IDENTITY_TOKEN_FILE=directory)),
                                    "cannot read", directory)
        self.assertIn("web identity token file", err)
        self.assertEqual(self.fake.requests, [])

    def test_missing_token_file(self):
        path = os.path.join(self.home, "absent.jwt")
        self.assert_not_found(self.get(env=self.env(AWS_ROLE_ARN=ROLE_A, AWS_WEB_IDENTITY_TOKEN_FILE=path)),
                              "cannot read", path)
        self.assertEqual(self.fake.requests, [])

    @unittest.skipIf(os.name != "posix", "file modes are POSIX")
    def test_unreadable_token_file(self):
        if os.geteuid() == 0:
            # root reads a 0000 file anyway; the directory and missing-file tests above cover
            # the "cannot read" error for root.
            return
        path = self.token_file()
        os.chmod(path, 0)
        self.assert_not_found(self.get(env=self.env(AWS_ROLE_ARN=ROLE_A, AWS_WEB_IDENTITY_TOKEN_FILE=path)),
                              "cannot read", path, "uid %d" % os.getuid())

    def test_rejected_token(self):
        self.fake.web_identity_tokens = ["some-other-token"]
        env = self.env(AWS_ROLE_ARN=ROLE_A, AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file())
        err = self.assert_not_found(self.get(env=env), "InvalidIdentityToken")
        self.assertNotIn(self.TOKEN, err)


# ============================================================================================
# SSO
# ============================================================================================


class SSOTest(ChainTestCase):
    START_URL = "https://d-1234567890.awsapps.com/start"
    ACCOUNT = "111122223333"

    def cache_file(self, key, document):
        self.secrets.extend(document.get(field) for field in ("accessToken", "refreshToken", "clientSecret")
                            if document.get(field))
        name = hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json"
        return write_file(os.path.join(self.home, ".aws", "sso", "cache", name), json.dumps(document))

    def session_config(self):
        self.aws_file("config", "[profile sso]\nsso_session = my-sso\nsso_account_id = %s\nsso_role_name = "
                      "Deployer\n\n[sso-session my-sso]\nsso_region = us-east-2\nsso_start_url = %s\n" % (
                          self.ACCOUNT, self.START_URL))

    def check_role_call(self, token):
        (call,) = self.fake.find("sso", "GetRoleCredentials")
        self.assertEqual(call.method, "GET")
        self.assertFalse(call.signed, "GetRoleCredentials must be unsigned")
        self.assertEqual(call.headers["x-amz-sso_bearer_token"], token)
        self.assertEqual((call.query["account_id"], call.query["role_name"]), (self.ACCOUNT, "Deployer"))
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[-1])

    def test_sso_session_profile(self):
        self.session_config()
        self.cache_file("my-sso", {"accessToken": "sso-token-0001", "expiresAt": iso8601(time.time() + 3600)})
        self.fake.sso_tokens = ["sso-token-0001"]
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="sso")))
        self.check_role_call("sso-token-0001")

    def test_legacy_profile(self):
        self.aws_file("config", "[profile sso]\nsso_start_url = %s\nsso_region = us-east-2\nsso_account_id = %s\n"
                      "sso_role_name = Deployer\n" % (self.START_URL, self.ACCOUNT))
        self.cache_file(self.START_URL, {"accessToken": "sso-token-0002", "expiresAt": iso8601(time.time() + 3600)})
        self.fake.sso_tokens = ["sso-token-0002"]
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="sso")))
        self.check_role_call("sso-token-0002")

    def test_expired_token_is_refreshed_and_saved(self):
        self.session_config()
        path = self.cache_file("my-sso", {
            "accessToken": "sso-token-old", "expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "refresh-0001",
            "clientId": "client-0001", "clientSecret": "client-secret-0001",
            "registrationExpiresAt": iso8601(time.time() + 86400), "region": "us-east-2",
            "startUrl": self.START_URL})
        self.fake.sso_tokens = []  # only tokens the fake's OIDC mints are accepted
        self.assert_ok(self.get(env=self.env(AWS_PROFILE="sso")))
        (create,) = self.fake.find("oidc", "CreateToken")
        self.assertFalse(create.signed)
        self.assertEqual(create.json, {"grantType": "refresh_token", "clientId": "client-0001",
                                       "clientSecret": "client-secret-0001", "refreshToken": "refresh-0001"})
        minted_access = [value for value in self.fake.minted if "sso-access-token" in value]
        minted_refresh = [value for value in self.fake.minted if "sso-refresh-token" in value]
        self.check_role_call(minted_access[0])
        saved = json.loads(read_text(path))
        self.assertEqual(saved["accessToken"], minted_access[0])
        self.assertEqual(saved["refreshToken"], minted_refresh[0])
        self.assertEqual(saved["clientId"], "client-0001")
        self.assertGreater(ecr_login.parse_timestamp(saved["expiresAt"]), time.time() + 600)

    def test_refresh_refused_by_oidc(self):
        from tests.fakeaws import oidc_error

        self.session_config()
        self.cache_file("my-sso", {
            "accessToken": "sso-token-old", "expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "refresh-0001",
            "clientId": "client-0001", "clientSecret": "client-secret-0001"})
        self.fake.script("oidc", "CreateToken", [oidc_error("invalid_grant", "refresh token expired")])
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "could not be refreshed", "aws sso login")
        self.assertEqual(self.fake.count("sso"), 0)

    def test_expired_token_without_refresh_data(self):
        self.session_config()
        self.cache_file("my-sso", {"accessToken": "sso-token-old", "expiresAt": "2020-01-01T00:00:00Z"})
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "aws sso login")
        self.assertEqual(self.fake.requests, [])

    def test_legacy_profile_never_refreshes(self):
        self.aws_file("config", "[profile sso]\nsso_start_url = %s\nsso_region = us-east-2\nsso_account_id = %s\n"
                      "sso_role_name = Deployer\n" % (self.START_URL, self.ACCOUNT))
        self.cache_file(self.START_URL, {
            "accessToken": "sso-token-old", "expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "refresh-0001",
            "clientId": "client-0001", "clientSecret": "client-secret-0001"})
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "aws sso login")
        self.assertEqual(self.fake.requests, [])

    def test_no_cached_token(self):
        self.session_config()
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "aws sso login")
        self.assertEqual(self.fake.requests, [])

    def test_sso_error_names_sso(self):
        from tests.fakeaws import json_error

        self.session_config()
        self.cache_file("my-sso", {"accessToken": "sso-token-0004", "expiresAt": iso8601(time.time() + 3600)})
        self.fake.script("sso", "GetRoleCredentials", [json_error("InvalidRequestException", "no such role", 400)])
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "SSO", "InvalidRequestException", "no such role")

    def test_token_refused_by_sso(self):
        self.session_config()
        self.cache_file("my-sso", {"accessToken": "sso-token-0003", "expiresAt": iso8601(time.time() + 3600)})
        self.fake.sso_tokens = ["a-different-token"]
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="sso")), "aws sso login")


# ============================================================================================
# credential_process
# ============================================================================================


class ProcessTest(ChainTestCase):
    def setUp(self):
        ChainTestCase.setUp(self)
        self.secrets.extend(["process-secret-0001", "process-token-0001"])
        # A folder with a space in its name: the command must be quoted the shlex way.
        self.script = write_file(os.path.join(self.home, "my scripts", "creds.py"), PROCESS_SCRIPT)

    def command(self, *args):
        return python_command(self.script, *args)

    def profile(self, *args):
        self.aws_file("config", "[profile proc]\ncredential_process = %s\n" % self.command(*args))
        return self.env(AWS_PROFILE="proc")

    def test_version_1_output_signs_the_call(self):
        self.add_keys(PROCESS_KEY, "process-secret-0001", "process-token-0001")
        self.assert_ok(self.get(env=self.profile("ok", "two words", PROCESS_KEY)), PROCESS_KEY)
        self.assertEqual(self.fake.last("ecr").headers["x-amz-security-token"], "process-token-0001")

    def test_non_zero_exit(self):
        err = self.assert_not_found(self.get(env=self.profile("fail")), "status 3", "first line: the vault is sealed")
        self.assertNotIn("second line", err)
        self.assertEqual(self.fake.requests, [])

    def test_timeout(self):
        env = self.profile("sleep")
        env["AWS_ECR_PROCESS_TIMEOUT"] = "0.2"
        self.assert_not_found(self.get(env=env), "did not finish within 0.2 seconds (AWS_ECR_PROCESS_TIMEOUT)")

    def test_output_that_is_not_json(self):
        self.assert_not_found(self.get(env=self.profile("badjson")), "JSON")

    def test_unsupported_version(self):
        self.assert_not_found(self.get(env=self.profile("v2")), "Version")

    def test_program_that_does_not_exist(self):
        self.aws_file("config", "[profile proc]\ncredential_process = %s\n" % shlex.quote(
            os.path.join(self.home, "no-such-program")))
        self.assert_not_found(self.get(env=self.env(AWS_PROFILE="proc")), "could not be started")

    def test_expiration_is_read(self):
        env = self.profile("ok", "two words", PROCESS_KEY, "3600")
        ctx, source = self.plan(env)
        self.assertIsInstance(source, ecr_login.ProcessSource)
        before = time.time()
        credentials = source.fetch(ctx)
        self.assertEqual(credentials.access_key, PROCESS_KEY)
        self.assertAlmostEqual(credentials.expiry, before + 3600, delta=5)

    def test_credentials_about_to_expire_are_refused(self):
        self.add_keys(PROCESS_KEY, "process-secret-0001", "process-token-0001")
        self.assert_not_found(self.get(env=self.profile("ok", "two words", PROCESS_KEY, "60")), "expire within")
        self.assertEqual(self.fake.requests, [])

    def test_static_keys_in_the_credentials_file_win(self):
        self.add_keys(PROFILE_KEY, PROFILE_SECRET)
        env = self.profile("ok", "two words", PROCESS_KEY)
        self.aws_file("credentials", "[proc]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            PROFILE_KEY, PROFILE_SECRET))
        self.assert_ok(self.get(env=env), PROFILE_KEY)


# ============================================================================================
# Container (ECS / EKS Pod Identity)
# ============================================================================================


class ContainerTest(ChainTestCase):
    def setUp(self):
        ChainTestCase.setUp(self)
        self.secrets.extend(["token-from-env", "file token", "Bearer abc"])

    def test_full_uri_with_token(self):
        self.fake.container_token = "Bearer token-from-env"
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer token-from-env")
        self.assert_ok(self.get(env=env))
        (call,) = self.fake.find("container")
        self.assertEqual(call.headers["authorization"], "Bearer token-from-env")
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[0])

    def test_token_file_wins_and_is_sent_verbatim(self):
        path = write_file(os.path.join(self.home, "eks-token"), "eyJ  file token %20")
        self.fake.container_token = "eyJ  file token %20"
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url + "/v1?x=1",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer token-from-env",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=path)
        self.assert_ok(self.get(env=env))
        (call,) = self.fake.find("container")
        self.assertEqual(call.headers["authorization"], "eyJ  file token %20")
        self.assertEqual(call.path, self.fake.container_path + "/v1?x=1")

    def test_disallowed_hosts_are_refused_before_any_connection(self):
        attempts = []

        def refuse(*args, **kwargs):
            attempts.append(args)
            raise OSError("no connections in this test")

        for url in ("http://192.0.2.1/creds", "http://example.com/", "http://169.254.170.3/creds"):
            with self.subTest(url=url):
                env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=url)
                with mock.patch.object(socket, "create_connection", refuse), \
                        mock.patch.object(socket, "getaddrinfo", refuse):
                    with self.assertRaises(ecr_login.ConfigError) as raised:
                        self.plan(env)
                    self.assertIn("Unsupported host", str(raised.exception))
                    self.assert_not_found(self.get(env=env), "Unsupported host")
            self.assertEqual(attempts, [])
        self.assertEqual(self.fake.requests, [])

    def test_token_with_a_line_break_is_an_error(self):
        path = write_file(os.path.join(self.home, "token-with-newline"), "Bearer abc\n")
        for extra in ({"AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer abc\r\nX-Injected: 1"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": path}):
            with self.subTest(extra=sorted(extra)):
                env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url, **extra)
                self.assert_not_found(self.get(env=env), "line break")
        self.assertEqual(self.fake.count("container"), 0)

    def test_endpoint_failure_does_not_fall_through(self):
        self.fake.script("container", "container", [Reply(status=500)] * 3)
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.container_url)
        self.assert_not_found(self.get(env=env), "HTTP 500")
        self.assertEqual(self.fake.count("container"), 3)
        self.assertEqual(self.fake.count("ecr"), 0)


# ============================================================================================
# EC2 instance metadata (IMDS)
# ============================================================================================


class IMDSTest(ChainTestCase):
    def imds_env(self, **extra):
        return self.env(AWS_EC2_METADATA_DISABLED=None, **extra)

    def test_v2_token_then_role_then_credentials(self):
        self.fake.imds_require_token = True
        self.assert_ok(self.get(env=self.imds_env()))
        put, role, creds = [rec for rec in self.fake.requests if rec.service == "imds"]
        self.assertEqual((put.method, put.action), ("PUT", "imds-token"))
        self.assertEqual(put.headers["x-aws-ec2-metadata-token-ttl-seconds"], "21600")
        token = self.fake.minted[0]
        self.assertEqual((role.method, role.action, role.headers["x-aws-ec2-metadata-token"]),
                         ("GET", "imds-role", token))
        self.assertEqual(creds.path, "/latest/meta-data/iam/security-credentials/fake-imds-role")
        self.assertEqual(creds.headers["x-aws-ec2-metadata-token"], token)
        self.assertEqual(self.ecr_signer(), self.fake.access_key_ids[0])

    def test_v1_fallback_when_the_token_is_refused(self):
        for status in (403, 404, 405):
            with self.subTest(status=status):
                self.new_home()
                self.fake.clear()
                self.fake.script("imds", "imds-token", [Reply(status=status)])
                self.assert_ok(self.get(env=self.imds_env()))
                calls = self.fake.find("imds")
                self.assertEqual([rec.action for rec in calls], ["imds-token", "imds-role", "imds-creds"])
                self.assertFalse(any("x-aws-ec2-metadata-token" in rec.headers for rec in calls[1:]))

    def test_v1_fallback_when_the_token_request_times_out(self):
        # A container on EC2 with an IMDSv2 hop limit of 1: the PUT's answer never arrives, the
        # GETs work. botocore treats a read timeout on the token as "no token" and uses IMDSv1.
        self.fake.script("imds", "imds-token", [Reply(delay=2.0)])
        self.assert_ok(self.get(env=self.imds_env(AWS_METADATA_SERVICE_TIMEOUT="0.3")))
        calls = self.fake.find("imds")
        self.assertEqual([rec.action for rec in calls], ["imds-token", "imds-role", "imds-creds"])
        self.assertFalse(any("x-aws-ec2-metadata-token" in rec.headers for rec in calls[1:]))

    def test_token_timeout_with_v1_disabled(self):
        self.fake.script("imds", "imds-token", [Reply(delay=2.0)])
        env = self.imds_env(AWS_METADATA_SERVICE_TIMEOUT="0.3", AWS_EC2_METADATA_V1_DISABLED="true")
        self.assert_not_found(self.get(env=env), "did not answer")
        self.assertEqual([rec.action for rec in self.fake.requests], ["imds-token"])

    def test_no_fallback_when_v1_is_disabled(self):
        self.fake.script("imds", "imds-token", [Reply(status=403)])
        self.assert_not_found(self.get(env=self.imds_env(AWS_EC2_METADATA_V1_DISABLED="true")), "403")
        self.assertEqual([rec.action for rec in self.fake.requests], ["imds-token"])

    def test_no_role_attached(self):
        self.fake.imds_role = None
        self.assert_not_found(self.get(env=self.imds_env()), "no IAM role")
        self.assertEqual(self.fake.count("ecr"), 0)

    def test_silent_endpoint_gives_up_after_one_try_of_each_version(self):
        listener = SilentListener()
        self.addCleanup(listener.close)
        # botocore's defaults: 1 s, 1 attempt. The token PUT times out, IMDSv1 is tried (as in
        # botocore) and times out too: two connections, each given the timeout once.
        self.assertEqual((ecr_login.SETTINGS["imds_timeout"][3], ecr_login.SETTINGS["imds_attempts"][3]), (1.0, 1))
        env = self.imds_env(AWS_EC2_METADATA_SERVICE_ENDPOINT=listener.url, AWS_METADATA_SERVICE_TIMEOUT="0.2",
                            AWS_METADATA_SERVICE_NUM_ATTEMPTS=None)
        self.assert_not_found(self.get(env=env), "did not answer", "(0.2s per request")
        self.assertEqual(listener.connections(), 2)
        self.assertEqual(self.fake.requests, [])

    def test_disabled_imds_is_not_called(self):
        self.assert_not_found(self.get(env=self.env(AWS_EC2_METADATA_DISABLED="TRUE")), "no AWS credentials")
        self.assertEqual(self.fake.requests, [])


# ============================================================================================
# Credentials that are about to expire
# ============================================================================================


class ExpiringCredentialsTest(ChainTestCase):
    def test_refused_from_every_temporary_source(self):
        self.add_keys(BASE_KEY, BASE_SECRET)
        token_file = write_file(os.path.join(self.home, "token.jwt"), "a-token")
        setups = {
            "sts": ("sts_lifetime", {"AWS_PROFILE": "role"}),
            "web identity": ("sts_lifetime", {"AWS_ROLE_ARN": ROLE_A,
                                              "AWS_WEB_IDENTITY_TOKEN_FILE": token_file}),
            "container": ("container_lifetime", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.fake.container_url}),
            "imds": ("imds_lifetime", {"AWS_EC2_METADATA_DISABLED": None}),
            "sso": ("sso_lifetime", {"AWS_PROFILE": "sso"}),
        }
        for name, (setting, extra) in sorted(setups.items()):
            with self.subTest(source=name):
                home = self.home
                self.aws_file("config", "[profile role]\nrole_arn = %s\nsource_profile = base\n"
                              "[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                              "[profile sso]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
                              "sso_account_id = 111122223333\nsso_role_name = R\n" % (ROLE_A, BASE_KEY, BASE_SECRET))
                name_hash = hashlib.sha1(b"https://x.awsapps.com/start").hexdigest()
                write_file(os.path.join(home, ".aws", "sso", "cache", name_hash + ".json"),
                           json.dumps({"accessToken": "t0k3n", "expiresAt": iso8601(time.time() + 3600)}))
                self.fake.clear()
                for other in ("sts_lifetime", "container_lifetime", "imds_lifetime", "sso_lifetime"):
                    setattr(self.fake, other, 3600)
                setattr(self.fake, setting, 60)
                self.assert_not_found(self.get(env=self.env(**extra)), "expire within")
                self.assertEqual(self.fake.count("ecr"), 0)
                self.new_home()


if __name__ == "__main__":
    unittest.main()
