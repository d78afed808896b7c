"""Cases taken from other projects' test suites, as data, each citing where it comes from.

The facts (inputs and expected outcomes) carry over; the tests are written here:
- the Go helper (awslabs/amazon-ecr-credential-helper): ecr-login/api/client_test.go
  TestExtractRegistry, ecr-login/cache/build_test.go (cache keys, GODEBUG FIPS mode),
  ecr-login/cache/credentials_test.go TestIsValid_* (the half-life rule);
- aws-sdk-go-v2: config/testdata/shared_config profiles with what config/shared_config_test.go
  and resolve_credentials_test.go resolve them to. Where the Go SDK and botocore disagree the
  helper follows botocore, and the divergence is asserted (DIVERGENCES) and listed in README.
"""

import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402
from tests.helpers import DEAD_ENDPOINT, clean_env, make_home, write_file  # noqa: E402

HOUR = 3600.0

# ecr-login/api/client_test.go TestExtractRegistry: server URL -> (service, account, region,
# FIPS) or None for "hasError".
EXTRACT_REGISTRY = {
    "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/blah/blah": ("ecr", "123456789012", "us-east-1", False),
    "123456789012.dkr.ecr.us-west-2.amazonaws.com": ("ecr", "123456789012", "us-west-2", False),
    "123456789012.dkr-ecr.us-west-2.on.aws": ("ecr", "123456789012", "us-west-2", False),
    "123456789012.dkr-ecr-fips.us-west-2.on.aws": ("ecr", "123456789012", "us-west-2", True),
    "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/foo": ("ecr", "210987654321", "cn-north-1", False),
    "210987654321.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn": ("ecr", "210987654321", "cn-north-1", False),
    "210987654321.dkr.ecr.us-iso-east-1.c2s.ic.gov": ("ecr", "210987654321", "us-iso-east-1", False),
    "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov": ("ecr", "123456789012", "us-isob-east-1", False),
    "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk": ("ecr", "123456789012", "eu-isoe-west-1", False),
    "123456789012.dkr.ecr.us-isof-east-1.csp.hci.ic.gov": ("ecr", "123456789012", "us-isof-east-1", False),
    "123456789012.dkr-ecr.us-gov-east-1.on.aws": ("ecr", "123456789012", "us-gov-east-1", False),
    "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com": ("ecr", "123456789012", "us-gov-west-1", True),
    "123456789012.dkr-ecr-fips.us-gov-east-1.on.aws": ("ecr", "123456789012", "us-gov-east-1", True),
    "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu": ("ecr", "123456789012", "eusc-de-east-1", False),
    "https://public.ecr.aws": ("ecr-public", "", "us-east-1", False),
    "https://ecr-public.aws.com": ("ecr-public", "", "us-east-1", False),
    "public.ecr.aws": ("ecr-public", "", "us-east-1", False),
    "ecr-public.aws.com": ("ecr-public", "", "us-east-1", False),
    "https://public.ecr.aws/amazonlinux": ("ecr-public", "", "us-east-1", False),
    "https://ecr-public.aws.com/amazonlinux": ("ecr-public", "", "us-east-1", False),
    ".dkr.ecr.not-real.amazonaws.com": None,
    "not.ecr.io": None,
    "https://123456789012.dkr.ecr.us-west-2.amazonaws.com.fake.example.com/image:latest": None,
    "123456789012.dkr.ecr.us-west-2.amazonaws.com.fake.example.com": None,
    "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com.fake.example.com": None,
    "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn.fake.example.com.cn": None,
    "210987654321.dkr.ecr.cn-north-1.on.aws.com.cn": None,
    "https://public.ecr.aws.fake.example.com": None,
    "public.ecr.aws.fake.example.com": None,
}

# ecr-login/cache/build_test.go: the key id "accessKey" hashes to these (SHA-256, and the
# legacy key id bytes + MD5 of nothing), in region "test-region".
GO_ACCESS_KEY = "accessKey"
GO_KEY_HASH = "xOV45/s/9aT8cbO8tDicjEV1KKkfpLdKrQs0ipPGgGc="
GO_LEGACY_KEY_HASH = "YWNjZXNzS2V51B2M2Y8AsgTpgAmY7PhCfg=="
# TestIsFipsMode: GODEBUG -> FIPS mode (legacy keys neither built nor read).
GO_FIPS_MODE = {"fips140=on": True, "fips140=only": True, "foo=bar,fips140=on,baz=qux": True, "": False,
                "foo=bar": False, "fips140=off": False}
# ecr-login/cache/credentials_test.go TestIsValid_*: (requested, expires, checked at) relative to
# now in hours -> valid. The entry of file_test.go (requested 5 h ago, 7 h left) is valid too.
GO_IS_VALID = {
    "NewEntry": (0, 12, 0, True),
    "OldEntry": (-12, 0, 0, False),
    "BeforeRefreshTime": (-6, 6, -1.0 / 3600, True),
    "AtRefreshTime": (-6, 6, 0, False),
    "AfterRefreshTime": (-6, 6, 1.0 / 3600, False),
    "file_test testAuthEntry": (-5, 7, 0, True),
}

# aws-sdk-go-v2 config/testdata/shared_config, the profiles these cases use (values as there).
GO_SDK_CONFIG = """\
[profile exampleProfile]
region = us-west-2
aws_access_key_id = AKID
aws_secret_access_key = SECRET

[profile partial_creds]
aws_access_key_id = partial_creds_akid

[profile complete_creds]
aws_access_key_id = complete_creds_akid
aws_secret_access_key = complete_creds_secret

[profile complete_creds_with_token]
aws_access_key_id = complete_creds_with_token_akid
aws_secret_access_key = complete_creds_with_token_secret
aws_session_token = complete_creds_with_token_token

[profile merged_profiles]
role_arn = config_profile_arn
sso_start_url = https://my-sso-config-profile-role.awsapps.com/start
sso_region = us-east-1
sso_account_id = 1234567890
sso_role_name = ConfigProfileRole

[profile partial_assume_role]
role_arn = partial_assume_role_role_arn

[profile assume_role]
role_arn = assume_role_role_arn
source_profile = complete_creds

[profile assume_role_invalid_source_profile]
role_arn = assume_role_invalid_source_profile_role_arn
source_profile = profile_not_exists

[profile assume_role_w_creds]
role_arn = assume_role_w_creds_role_arn
source_profile = assume_role_w_creds
external_id = 1234
role_session_name = assume_role_w_creds_session_name
aws_access_key_id = assume_role_w_creds_akid
aws_secret_access_key = assume_role_w_creds_secret

[profile assume_role_wo_creds]
role_arn = assume_role_wo_creds_role_arn
source_profile = assume_role_wo_creds

[profile with_mixed_case_keys]
aWs_AcCeSs_kEy_ID = accessKey
aWs_SecrEt_AccEsS_kEY = secret

[profile assume_role_with_credential_source]
role_arn = assume_role_with_credential_source_role_arn
credential_source = Ec2InstanceMetadata

[profile multiple_assume_role]
role_arn = multiple_assume_role_role_arn
source_profile = assume_role

[profile multiple_assume_role_with_credential_source]
role_arn = multiple_assume_role_with_credential_source_role_arn
source_profile = assume_role_with_credential_source

[profile multiple_assume_role_with_credential_source2]
role_arn = multiple_assume_role_with_credential_source2_role_arn
source_profile = multiple_assume_role_with_credential_source

[profile sso_creds]
sso_account_id = 012345678901
sso_region = us-west-2
sso_role_name = TestRole
sso_start_url = https://127.0.0.1/start

[profile source_sso_creds]
role_arn = source_sso_creds_arn
source_profile = sso_creds

[profile sso_and_static]
aws_access_key_id = sso_and_static_akid
aws_secret_access_key = sso_and_static_secret
aws_session_token = sso_and_static_token
sso_account_id = 012345678901
sso_region = us-west-2
sso_role_name = TestRole
sso_start_url = https://THIS_SHOULD_NOT_BE_IN_TESTDATA_CACHE/start

[profile sso_and_assume]
sso_account_id = 012345678901
sso_region = us-west-2
sso_role_name = TestRole
sso_start_url = https://127.0.0.1/start
role_arn = sso_with_assume_role_arn
source_profile = multiple_assume_role_with_credential_source

[profile source_sso_and_assume]
role_arn = source_sso_and_assume_arn
source_profile = sso_and_assume

[profile sso_mixed_credproc]
sso_account_id = 012345678901
sso_region = us-west-2
sso_role_name = TestRole
sso_start_url = https://127.0.0.1/start
credential_process = /path/to/process

[profile sso-session-success]
sso_session = sso-session-success-dev
sso_account_id = 123456789012
sso_role_name = testRole

[sso-session sso-session-success-dev]
sso_region = us-east-1
sso_start_url = https://d-123456789a.awsapps.com/start

[profile DoNotNormalize]
aws_access_key_id = DoNotNormalize_config_akid
aws_secret_access_key = DoNotNormalize_config_secret
aws_session_token = DoNotNormalize_config_session_token

[profile donotnormalize]
aws_access_key_id = donotnormalize_config_akid
aws_secret_access_key = donotnormalize_config_secret
aws_session_token = donotnormalize_config_session_token

[profile DoNotNormalize]
region = us-west-2

[profile AssumeWithDoNotNormalize]
role_arn = AssumeWithDoNotNormalize_role_arn
source_profile = DoNotNormalize
"""

IMDS = ("imds",)
# profile -> what it resolves to: ("keys", key id, token), ("role", [role ARNs, outermost
# first], what the innermost role is sourced from), ("sso", account, role), ("process",),
# ("imds",), or ("error",).
GO_SDK_PROFILES = {
    "exampleProfile": ("keys", "AKID", None),
    "complete_creds_with_token": ("keys", "complete_creds_with_token_akid", "complete_creds_with_token_token"),
    "partial_creds": ("error",),
    "merged_profiles": ("error",),  # a role with neither source_profile nor credential_source
    "partial_assume_role": ("error",),
    "assume_role": ("role", ["assume_role_role_arn"], ("keys", "complete_creds_akid", None)),
    "assume_role_invalid_source_profile": ("error",),
    "assume_role_w_creds": ("role", ["assume_role_w_creds_role_arn"], ("keys", "assume_role_w_creds_akid", None)),
    "assume_role_wo_creds": ("error",),
    "with_mixed_case_keys": ("keys", "accessKey", None),
    "assume_role_with_credential_source": ("role", ["assume_role_with_credential_source_role_arn"], IMDS),
    "multiple_assume_role": ("role", ["multiple_assume_role_role_arn", "assume_role_role_arn"],
                             ("keys", "complete_creds_akid", None)),
    "multiple_assume_role_with_credential_source2": ("role", [
        "multiple_assume_role_with_credential_source2_role_arn", "multiple_assume_role_with_credential_source_role_arn",
        "assume_role_with_credential_source_role_arn"], IMDS),
    "sso_creds": ("sso", "012345678901", "TestRole"),
    "source_sso_creds": ("role", ["source_sso_creds_arn"], ("sso", "012345678901", "TestRole")),
    "sso_and_assume": ("role", ["sso_with_assume_role_arn", "multiple_assume_role_with_credential_source_role_arn",
                                "assume_role_with_credential_source_role_arn"], IMDS),
    "source_sso_and_assume": ("role", ["source_sso_and_assume_arn", "sso_with_assume_role_arn",
                                       "multiple_assume_role_with_credential_source_role_arn",
                                       "assume_role_with_credential_source_role_arn"], IMDS),
    "sso_mixed_credproc": ("sso", "012345678901", "TestRole"),
    "sso-session-success": ("sso", "123456789012", "testRole"),
    "DoNotNormalize": ("keys", "DoNotNormalize_config_akid", "DoNotNormalize_config_session_token"),
    "donotnormalize": ("keys", "donotnormalize_config_akid", "donotnormalize_config_session_token"),
    "AssumeWithDoNotNormalize": ("role", ["AssumeWithDoNotNormalize_role_arn"],
                                 ("keys", "DoNotNormalize_config_akid", "DoNotNormalize_config_session_token")),
}
# Where aws-sdk-go-v2 resolves differently and the helper follows botocore instead:
# profile -> (the Go SDK's answer, why).
DIVERGENCES = {
    "sso_and_static": (("keys", "sso_and_static_akid", "sso_and_static_token"),
                       "botocore's profile providers try SSO before a profile's static keys; the Go SDK the reverse"),
}
HELPER_PICKS = {"sso_and_static": ("sso", "012345678901", "TestRole")}


def pick(source):
    """A planned source in the comparable form of GO_SDK_PROFILES."""
    if isinstance(source, ecr_login.StaticSource):
        return ("keys", source.credentials.access_key, source.credentials.token)
    if isinstance(source, ecr_login.AssumeRoleSource):
        roles = []
        while isinstance(source, ecr_login.AssumeRoleSource):
            roles.append(source.role_arn)
            source = source.source
        return ("role", roles, pick(source))
    if isinstance(source, ecr_login.SSOSource):
        return ("sso", source.account_id, source.role_name)
    if isinstance(source, ecr_login.ProcessSource):
        return ("process",)
    if isinstance(source, ecr_login.IMDSSource):
        return IMDS
    return (type(source).__name__,)


class GoHelperCasesTest(unittest.TestCase):
    def test_extract_registry(self):
        for server_url, expected in sorted(EXTRACT_REGISTRY.items()):
            with self.subTest(server_url):
                if expected is None:
                    with self.assertRaises(ecr_login.NotECRError):
                        ecr_login.parse_registry(server_url)
                    continue
                registry = ecr_login.parse_registry(server_url)
                self.assertEqual((registry.service, registry.account, registry.region, registry.fips), expected)

    def test_cache_keys_of_the_go_helper(self):
        source = ecr_login.StaticSource(ecr_login.Credentials(GO_ACCESS_KEY, "secretKey", "token"), "test")
        private = ecr_login.Registry("123456789012.dkr.ecr.test-region.amazonaws.com", "ecr", "123456789012",
                                     "test-region", False, False)
        public = ecr_login.parse_registry("public.ecr.aws")
        self.assertEqual(ecr_login.cache_keys(private, source), [
            "test-region-%s-123456789012" % GO_KEY_HASH, "test-region-%s-123456789012" % GO_LEGACY_KEY_HASH])
        self.assertEqual(ecr_login.cache_keys(public, source), [
            "ecr-public-" + GO_KEY_HASH, "ecr-public-" + GO_LEGACY_KEY_HASH])
        self.assertEqual(ecr_login.cache_keys(public, source, legacy=False), ["ecr-public-" + GO_KEY_HASH])

    def test_godebug_fips_mode(self):
        for godebug, fips in sorted(GO_FIPS_MODE.items()):
            with self.subTest(godebug=godebug):
                self.assertEqual(ecr_login.go_fips_mode({"GODEBUG": godebug} if godebug else {}), fips)

    def test_half_life_rule(self):
        now = 1800000000.0
        for name, (requested, expires, at, valid) in sorted(GO_IS_VALID.items()):
            with self.subTest(name):
                requested_at, expires_at = now + requested * HOUR, now + expires * HOUR
                fresh_until = ecr_login.fresh_until(requested_at, expires_at, expires_at)
                self.assertEqual(now + at * HOUR < fresh_until, valid)


class GoSDKSharedConfigTest(unittest.TestCase):
    def plan(self, profile):
        home = make_home(self)
        write_file(os.path.join(home, ".aws", "config"), GO_SDK_CONFIG)
        # IMDS stays planned but unreachable: credential_source Ec2InstanceMetadata needs it on.
        env = clean_env(home, None, AWS_PROFILE=profile, AWS_EC2_METADATA_DISABLED=None,
                        AWS_EC2_METADATA_SERVICE_ENDPOINT=DEAD_ENDPOINT)
        try:
            return pick(ecr_login.plan_credentials(ecr_login.Request(ecr_login.Context(env))))
        except ecr_login.HelperError:
            return ("error",)

    def test_profiles_resolve_as_the_go_sdk_resolves_them(self):
        for profile, expected in sorted(GO_SDK_PROFILES.items()):
            with self.subTest(profile):
                self.assertEqual(self.plan(profile), expected)

    def test_divergences_from_the_go_sdk(self):
        for profile, (go_sdk, reason) in sorted(DIVERGENCES.items()):
            with self.subTest(profile, why=reason):
                ours = self.plan(profile)
                self.assertNotEqual(ours, go_sdk, "agrees with the Go SDK now: drop it from DIVERGENCES and README")
                self.assertEqual(ours, HELPER_PICKS[profile])


if __name__ == "__main__":
    unittest.main()
