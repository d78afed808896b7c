"""Which endpoint the helper calls for ECR, ECR Public and STS: configured endpoint URLs
(AWS_ENDPOINT_URL[_<SERVICE>], a [services] section, a profile's endpoint_url) with their
precedence and the ignore switches, FIPS and dual-stack settings from the environment or the
profile, and the partition's DNS suffixes.

The precedence cases are data (CASES), written from botocore's documented order. Each case is
checked against the helper and, in one child process for the whole table, against botocore
itself (this interpreter if it has botocore, else $ECR_LOGIN_REFERENCE_PYTHON; neither: skip,
or fail under CI=true). The partition matrix is compared with botocore's endpoint rules the
same way. botocore never sends anything: a before-send hook records the URL and stops.
One end-to-end test runs get through the fake AWS, which records the path each call arrived on.
"""

import json
import os
import subprocess
import tempfile
import unittest

from tests.fakeaws import FakeAWS
from tests.helpers import NOT_FOUND, clean_env, ecr_login, make_home, run_main, sigv4_verifier, write_file
from tests.test_botocore_chain import reference_python
from tests.vectors import skip_or_fail

REFERENCE_TIMEOUT = 120
KEYS = ("AKIAENDPOINTS0001234", "endpointsSecretKey000000000000000000000")
ROLE = "arn:aws:iam::123456789012:role/puller"

# (name, lines of [profile p], lines of [services s], environment,
#  expected ECR URL, expected STS URL, expected ECR Public URL) for region us-west-2 unless the
# profile says otherwise; "error" when the configuration is refused.
CASES = [
    ("nothing configured", [], [], {},
     "https://api.ecr.us-west-2.amazonaws.com", "https://sts.us-west-2.amazonaws.com",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("endpoint_url in the profile", ["endpoint_url = http://global.example"], [], {},
     "http://global.example", "http://global.example", "http://global.example"),
    ("a [services] entry beats the profile's endpoint_url",
     ["services = s", "endpoint_url = http://global.example"],
     ["ecr =", "  endpoint_url = http://ecr.services.example", "ecr_public =",
      "  endpoint_url = http://public.services.example"], {},
     "http://ecr.services.example", "http://global.example", "http://public.services.example"),
    ("a [services] entry for sts only", ["services = s"], ["sts =", "  endpoint_url = http://sts.services.example/"],
     {}, "https://api.ecr.us-west-2.amazonaws.com", "http://sts.services.example",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("AWS_ENDPOINT_URL beats the config file", ["services = s", "endpoint_url = http://global.example"],
     ["ecr =", "  endpoint_url = http://ecr.services.example"], {"AWS_ENDPOINT_URL": "http://env.example"},
     "http://env.example", "http://env.example", "http://env.example"),
    ("AWS_ENDPOINT_URL_<SERVICE> beats AWS_ENDPOINT_URL", [], [],
     {"AWS_ENDPOINT_URL": "http://env.example", "AWS_ENDPOINT_URL_ECR": "http://ecr-env.example",
      "AWS_ENDPOINT_URL_STS": "http://sts-env.example"},
     "http://ecr-env.example", "http://sts-env.example", "http://env.example"),
    ("ignore_configured_endpoint_urls in the profile ignores them all",
     ["ignore_configured_endpoint_urls = true", "endpoint_url = http://global.example"], [],
     {"AWS_ENDPOINT_URL_ECR": "http://ecr-env.example"},
     "https://api.ecr.us-west-2.amazonaws.com", "https://sts.us-west-2.amazonaws.com",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", ["endpoint_url = http://global.example"], [],
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
     "https://api.ecr.us-west-2.amazonaws.com", "https://sts.us-west-2.amazonaws.com",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats the profile's true",
     ["ignore_configured_endpoint_urls = true", "endpoint_url = http://global.example"], [],
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
     "http://global.example", "http://global.example", "http://global.example"),
    ("use_fips_endpoint in the profile", ["use_fips_endpoint = true"], [], {},
     "https://api.ecr-fips.us-west-2.amazonaws.com", "https://sts-fips.us-west-2.amazonaws.com",
     "https://api.ecr-public-fips.us-east-1.amazonaws.com"),
    ("AWS_USE_FIPS_ENDPOINT=false beats the profile's true", ["use_fips_endpoint = true"], [],
     {"AWS_USE_FIPS_ENDPOINT": "false"},
     "https://api.ecr.us-west-2.amazonaws.com", "https://sts.us-west-2.amazonaws.com",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("use_dualstack_endpoint in the profile", ["use_dualstack_endpoint = true"], [], {},
     "https://ecr.us-west-2.api.aws", "https://sts.us-west-2.api.aws", "https://ecr-public.us-east-1.api.aws"),
    ("FIPS and dual-stack from the environment", [], [],
     {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
     "https://ecr-fips.us-west-2.api.aws", "https://sts-fips.us-west-2.api.aws",
     "https://api.ecr-public-fips.us-east-1.api.aws"),
    ("FIPS in GovCloud", ["region = us-gov-west-1", "use_fips_endpoint = true"], [], {},
     "https://api.ecr-fips.us-gov-west-1.amazonaws.com", "https://sts.us-gov-west-1.amazonaws.com",
     "https://api.ecr-public-fips.us-east-1.amazonaws.com"),
    ("dual-stack in China", ["region = cn-north-1", "use_dualstack_endpoint = true"], [], {},
     "https://ecr.cn-north-1.api.amazonwebservices.com.cn", "https://sts.cn-north-1.api.amazonwebservices.com.cn",
     "https://ecr-public.us-east-1.api.aws"),
    ("the ISO partition's DNS suffix", ["region = us-iso-east-1"], [], {},
     "https://api.ecr.us-iso-east-1.c2s.ic.gov", "https://sts.us-iso-east-1.c2s.ic.gov",
     "https://api.ecr-public.us-east-1.amazonaws.com"),
    ("a services section that does not exist", ["services = missing"], [], {}, "error", "error", "error"),
]

REGIONS = ("us-west-2", "us-east-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1",
           "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
           "ap-southeast-7", "mx-central-1")
# botocore client name -> the helper's service key
SERVICES = {"ecr": "ecr", "ecr-public": "ecr_public", "sts": "sts", "sso": "sso", "sso-oidc": "sso_oidc",
            "signin": "signin"}

# Runs in the botocore interpreter: reads {"cases": [...], "matrix": [...]} on stdin.
REFERENCE_SCRIPT = r"""
import json, os, sys
import botocore.session
from botocore.endpoint_provider import EndpointProvider

class Stop(Exception):
    pass

def url_of(session, service, region):
    client = session.create_client(service, region_name=region)
    seen = []
    def record(request, **kwargs):
        seen.append(request.url)
        raise Stop()
    client.meta.events.register("before-send", record)
    try:
        if service == "sts":
            client.get_caller_identity()
        else:
            client.get_authorization_token()
    except Stop:
        return seen[0].rstrip("/")
    except Exception as error:
        return "error"
    return "error"

job = json.load(sys.stdin)
base_env = dict(os.environ)
results = {"cases": {}, "matrix": []}
loader = botocore.session.Session().get_component("data_loader")  # one, so models are read once
for case in job["cases"]:
    os.environ.clear()
    os.environ.update(base_env)
    os.environ.update(case["env"])
    try:
        session = botocore.session.Session()
        session.register_component("data_loader", loader)
        region = session.get_config_variable("region")
        results["cases"][case["name"]] = [url_of(session, "ecr", region), url_of(session, "sts", region),
                                          url_of(session, "ecr-public", "us-east-1")]
    except Exception as error:
        results["cases"][case["name"]] = ["error", "error", "error"]
partitions = loader.load_data("partitions")
providers = {}
for service, region, fips, dualstack in job["matrix"]:
    if service not in providers:
        providers[service] = EndpointProvider(loader.load_service_model(service, "endpoint-rule-set-1"), partitions)
    endpoint = providers[service].resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dualstack)
    results["matrix"].append(endpoint.url.rstrip("/"))
json.dump(results, sys.stdout)
"""


def config_text(profile_lines, services_lines):
    """The config file of a case: [profile p] (in us-west-2 unless it names a region) and [services s]."""
    has_region = any(line.startswith("region") for line in profile_lines)
    lines = ["[profile p]"] + ([] if has_region else ["region = us-west-2"]) + profile_lines
    if services_lines:
        lines += ["", "[services s]"] + services_lines
    return "\n".join(lines) + "\n"


class EndpointSettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ecr-login-endpoints-")
        cls.envs = {}
        for index, (name, profile, services, env, _, _, _) in enumerate(CASES):
            path = os.path.join(cls.root, "config-%d" % index)
            with open(path, "w") as handle:
                handle.write(config_text(profile, services))
            cls.envs[name] = dict(env, AWS_CONFIG_FILE=path, AWS_SHARED_CREDENTIALS_FILE=os.path.join(cls.root, "none"),
                                  AWS_PROFILE="p", AWS_ACCESS_KEY_ID=KEYS[0], AWS_SECRET_ACCESS_KEY=KEYS[1],
                                  AWS_EC2_METADATA_DISABLED="true", HOME=cls.root)
        cls.matrix = [[service, region, fips, dualstack] for service in sorted(SERVICES) for region in REGIONS
                      for fips in (False, True) for dualstack in (False, True)]
        cls.reference = None
        python = reference_python()
        if python is not None:
            cases = [{"name": name, "env": cls.envs[name]} for name in cls.envs]
            process = subprocess.Popen([python, "-c", REFERENCE_SCRIPT], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"})
            out, err = process.communicate(json.dumps({"cases": cases, "matrix": cls.matrix}).encode("utf-8"),
                                           timeout=REFERENCE_TIMEOUT)
            if process.returncode != 0:
                raise AssertionError("the botocore reference failed: %s" % err.decode("utf-8", "replace"))
            cls.reference = json.loads(out.decode("utf-8"))

    @classmethod
    def tearDownClass(cls):
        import shutil

        shutil.rmtree(cls.root, True)

    def require_reference(self):
        if self.reference is None:
            skip_or_fail("botocore is not importable and ECR_LOGIN_REFERENCE_PYTHON is not set")

    def helper_urls(self, env):
        """[ECR URL, STS URL, ECR Public URL] the helper would call, or "error" for each."""
        urls = []
        for kind in ("ecr", "sts", "ecr-public"):
            ctx = ecr_login.Context(dict(env))
            try:
                region = ctx.shared_config().setting("region")
                registry = ecr_login.parse_registry("public.ecr.aws") if kind == "ecr-public" else \
                    ecr_login.caller_registry(region, "test")
                request = ecr_login.Request(ctx, registry)
                urls.append(ecr_login.sts_endpoint(request)[0] if kind == "sts" else ecr_login.ecr_endpoint(request))
            except ecr_login.ConfigError:
                urls.append("error")
        return urls

    def test_the_helper_follows_the_table(self):
        for name, _, _, _, ecr, sts, public in CASES:
            with self.subTest(name):
                self.assertEqual(self.helper_urls(self.envs[name]), [ecr, sts, public])

    def test_botocore_follows_the_table(self):
        """The table's oracle is botocore: a case it disagrees with is a wrong case."""
        self.require_reference()
        for name, _, _, _, ecr, sts, public in CASES:
            with self.subTest(name):
                self.assertEqual(self.reference["cases"][name], [ecr, sts, public])

    def test_partition_matrix_agrees_with_botocores_endpoint_rules(self):
        self.require_reference()
        self.assertEqual(len(self.reference["matrix"]), len(self.matrix))
        for (service, region, fips, dualstack), expected in zip(self.matrix, self.reference["matrix"]):
            if service == "signin" and not fips and not dualstack and ecr_login.region_partition(region)[0] not in (
                    "", "cn-", "us-gov-") or service == "signin" and fips and region.startswith("us-gov-"):
                continue  # botocore before 1.44 had older sign-in rules here; CI's pinned reference has today's
            with self.subTest(service=service, region=region, fips=fips, dualstack=dualstack):
                endpoint = ecr_login.signin_endpoint if service == "signin" else \
                    lambda *args: ecr_login.service_endpoint(SERVICES[service], *args)
                self.assertEqual(endpoint(region, fips, dualstack), expected)


class EndpointsEndToEndTest(unittest.TestCase):
    """get through the fake: the [services] section and the profile's endpoint_url decide the
    path each call arrives on."""

    def test_services_section_and_profile_endpoint_url_route_ecr_and_sts(self):
        home = make_home(self)
        fake = FakeAWS()
        self.addCleanup(fake.close)
        fake.verifier = sigv4_verifier(fake)
        fake.add_credentials(*KEYS)
        write_file(os.path.join(home, ".aws", "credentials"), "[base]\naws_access_key_id = %s\n"
                   "aws_secret_access_key = %s\n" % KEYS)
        write_file(os.path.join(home, ".aws", "config"), (
            "[profile p]\nrole_arn = %s\nsource_profile = base\nservices = s\nendpoint_url = %s/from-profile\n\n"
            "[services s]\necr =\n  endpoint_url = %s/from-services\n") % (ROLE, fake.url, fake.url))
        unset = dict((name, None) for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_STS"))
        env = clean_env(home, fake, AWS_PROFILE="p", **unset)
        host = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
        code, out, err = run_main(["get"], env, host)
        self.assertEqual((code, err), (0, ""), out)
        self.assertEqual(fake.last("sts", "AssumeRole").path_only, "/from-profile")
        self.assertEqual(fake.last("ecr").path_only, "/from-services")
        fake.clear()
        os.unlink(os.path.join(home, ".ecr", "cache.json"))
        code, out, err = run_main(["get"], dict(env, AWS_ENDPOINT_URL_ECR=fake.url + "/from-env"), host)
        self.assertEqual(code, 0, err)
        self.assertEqual(fake.last("ecr").path_only, "/from-env", "the environment beats the config file")
        write_file(os.path.join(home, ".aws", "config"), "[profile p]\nservices = missing\n")
        code, out, err = run_main(["get"], dict(env, AWS_ACCESS_KEY_ID=KEYS[0], AWS_SECRET_ACCESS_KEY=KEYS[1]), host)
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn('"missing"', err)


if __name__ == "__main__":
    unittest.main()
