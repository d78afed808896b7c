"""Registry names (which server URLs are ECR), the ECR API endpoint each one uses, and the
time stamps of the token cache.

A registry the helper wrongly accepts makes Docker send an ECR token to someone else's host; one
it wrongly rejects makes every pull anonymous. The Go helper's regex is the oracle for which
private hosts are ECR.
"""

import calendar
import os
import random
import re
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ecr_login  # noqa: E402

# The Go helper's pattern, copied from go-helper.md section 2 (api.ExtractRegistry).
GO_ECR_PATTERN = (r"^(\d{12})\.dkr[\.\-]ecr(\-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(amazonaws\.(?:com(?:\.cn)?|eu)"
                  r"|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk"
                  r"|csp\.hci\.ic\.gov)$")
GO_ECR_REGEX = re.compile(GO_ECR_PATTERN, re.ASCII)
PUBLIC_HOSTS = ("public.ecr.aws", "ecr-public.aws.com")
PUBLIC_ENDPOINT = "https://api.ecr-public.us-east-1.amazonaws.com"
PUBLIC_DUALSTACK_ENDPOINT = "https://ecr-public.us-east-1.api.aws"  # for ecr-public.aws.com, the dual-stack host

# host -> (account, region, fips, dual-stack host, default endpoint: the SDKs' endpoint rules for the
# region, FIPS for -fips hosts, dual-stack for dual-stack hosts)
PRIVATE_HOSTS = {
    "123456789012.dkr.ecr.us-west-2.amazonaws.com":
        ("123456789012", "us-west-2", False, False, "https://api.ecr.us-west-2.amazonaws.com"),
    "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com":
        ("123456789012", "us-gov-west-1", True, False, "https://api.ecr-fips.us-gov-west-1.amazonaws.com"),
    "123456789012.dkr.ecr.us-gov-east-1.amazonaws.com":
        ("123456789012", "us-gov-east-1", False, False, "https://api.ecr.us-gov-east-1.amazonaws.com"),
    "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn":
        ("210987654321", "cn-north-1", False, False, "https://api.ecr.cn-north-1.amazonaws.com.cn"),
    "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu":
        ("123456789012", "eusc-de-east-1", False, False, "https://api.ecr.eusc-de-east-1.amazonaws.eu"),
    "123456789012.dkr-ecr.us-west-2.on.aws":
        ("123456789012", "us-west-2", False, True, "https://ecr.us-west-2.api.aws"),
    "123456789012.dkr-ecr-fips.us-gov-east-1.on.aws":
        ("123456789012", "us-gov-east-1", True, True, "https://ecr-fips.us-gov-east-1.api.aws"),
    "210987654321.dkr.ecr.cn-north-1.on.amazonwebservices.com.cn":
        ("210987654321", "cn-north-1", False, True, "https://ecr.cn-north-1.api.amazonwebservices.com.cn"),
    "210987654321.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn":
        ("210987654321", "cn-northwest-1", False, True, "https://ecr.cn-northwest-1.api.amazonwebservices.com.cn"),
    "210987654321.dkr.ecr.us-iso-east-1.c2s.ic.gov":
        ("210987654321", "us-iso-east-1", False, False, "https://api.ecr.us-iso-east-1.c2s.ic.gov"),
    "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov":
        ("123456789012", "us-isob-east-1", False, False, "https://api.ecr.us-isob-east-1.sc2s.sgov.gov"),
    "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk":
        ("123456789012", "eu-isoe-west-1", False, False, "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk"),
    "123456789012.dkr.ecr.us-isof-east-1.csp.hci.ic.gov":
        ("123456789012", "us-isof-east-1", False, False, "https://api.ecr.us-isof-east-1.csp.hci.ic.gov"),
    # The Go regex matches separator and suffix independently; so does the helper.
    "000000000000.dkr-ecr.eu-west-1.amazonaws.com":
        ("000000000000", "eu-west-1", False, False, "https://api.ecr.eu-west-1.amazonaws.com"),
    "123456789012.dkr.ecr.my_region-9.amazonaws.com":
        ("123456789012", "my_region-9", False, False, "https://api.ecr.my_region-9.amazonaws.com"),
}
# Which registry suffixes are dual-stack (IPv6) hosts.
DUALSTACK_OF_GO_SUFFIX = {
    "amazonaws.com": False, "amazonaws.com.cn": False, "amazonaws.eu": False, "on.aws": True,
    "on.amazonwebservices.com.cn": True, "c2s.ic.gov": False, "sc2s.sgov.gov": False, "cloud.adc-e.uk": False,
    "csp.hci.ic.gov": False,
}
ECR_HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com"

REJECTED = (
    # not ECR
    "https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io", "ghcr.io", "quay.io",
    "not.ecr.io", "localhost:5000", "[::1]:5000", "127.0.0.1", "amazonaws.com", "dkr.ecr.us-west-2.amazonaws.com",
    # look-alikes
    ECR_HOST + ".evil.example", ECR_HOST + "@evil.example", "https://" + ECR_HOST + "@evil.example/v2/",
    "https://" + ECR_HOST + ":pw@evil.example", ECR_HOST + ".", ECR_HOST + "x", "x" + ECR_HOST,
    "public.ecr.aws.fake.example.com", "public.ecr.aws@evil.example", "evil.public.ecr.aws", "public.ecr.aws.",
    "public-ecr.aws", "ecr-public.aws.com.evil.example", "https://public.ecr.aws@evil.example/",
    "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn.fake.example.com.cn",
    "210987654321.dkr.ecr.cn-north-1.on.aws.com.cn",
    # account ids
    "12345.dkr.ecr.us-west-2.amazonaws.com", "1234567890123.dkr.ecr.us-west-2.amazonaws.com",
    "12345678901.dkr.ecr.us-west-2.amazonaws.com", "12345678901a.dkr.ecr.us-west-2.amazonaws.com",
    "\uff11\uff12\uff13456789012.dkr.ecr.us-west-2.amazonaws.com", ".dkr.ecr.not-real.amazonaws.com",
    # labels
    "123456789012.dkr.ecr..amazonaws.com", "123456789012.dkr.ecr.-us-west-2.amazonaws.com",
    "123456789012.dkr.ecr._us.amazonaws.com", "123456789012.dkr.ecr.us.west.2.amazonaws.com",
    "123456789012.dkr_ecr.us-west-2.amazonaws.com", "123456789012.dkrecr.us-west-2.amazonaws.com",
    "123456789012.dkr.ecr_fips.us-west-2.amazonaws.com", "123456789012.dkr.ecr-fips-x.us-west-2.amazonaws.com",
    "123456789012.dkr-ecr.fips.us-west-2.amazonaws.com", "123456789012.ecr.dkr.us-west-2.amazonaws.com",
    "123456789012.dkr.ecr.us-west-2.amazonaws.co", "123456789012.dkr.ecr.us-west-2.amazonaws.eu.com",
    "123456789012.dkr.ecr.us-west-2.ic.gov", "123456789012.dkr.ecr.us-west-2.on.amazonwebservices.com",
    "123456789012.dkr.ecr.us-west-\u00e9.amazonaws.com",
    # ports
    ECR_HOST + ":abc", ECR_HOST + ":99999", ECR_HOST + ":65536", ECR_HOST + ":", ECR_HOST + ":-1",
    ECR_HOST + ":443:443", ECR_HOST + ":1234567", "https://" + ECR_HOST + ":x/v2/",
    # empty, spaces, control characters
    "", " ", "\n", "https://", "http://", "https:///v2/", ":443", "/v2/", "@" + ECR_HOST[:0],
    "123456789012.dkr.ecr.us-west-2 .amazonaws.com", ECR_HOST + " evil.example", "https://" + ECR_HOST + " /v2/",
    ECR_HOST + "\x00.evil.example", ECR_HOST + "\x00", "\x00" + ECR_HOST, ECR_HOST[:20] + "\t" + ECR_HOST[20:],
    ECR_HOST + "\x1b[31m", ECR_HOST[:10] + "\x7f" + ECR_HOST[10:], ECR_HOST + "\r\nHost: evil.example",
    # overlong
    ECR_HOST + "/" + "a" * 3000, "1" * 5000 + ".dkr.ecr.us-west-2.amazonaws.com",
)


class ParseRegistryTest(unittest.TestCase):

    def assertPrivate(self, server_url, host):
        registry = ecr_login.parse_registry(server_url)
        account, region, fips, dualstack, _ = PRIVATE_HOSTS[host]
        self.assertEqual((registry.host, registry.service, registry.account, registry.region, registry.fips,
                          registry.dualstack), (host, "ecr", account, region, fips, dualstack))
        self.assertFalse(registry.is_public)
        return registry

    def test_every_partition(self):
        for host in PRIVATE_HOSTS:
            with self.subTest(host=host):
                self.assertPrivate(host, host)

    def test_ecr_public(self):
        for server_url, host in (("public.ecr.aws", "public.ecr.aws"), ("ecr-public.aws.com", "ecr-public.aws.com"),
                                 ("https://public.ecr.aws", "public.ecr.aws"),
                                 ("public.ecr.aws/amazonlinux/amazonlinux", "public.ecr.aws"),
                                 ("https://public.ecr.aws/v2/", "public.ecr.aws"),
                                 ("https://ecr-public.aws.com/v2/nginx/nginx", "ecr-public.aws.com"),
                                 ("Public.ECR.aws", "public.ecr.aws")):
            with self.subTest(server_url=server_url):
                registry = ecr_login.parse_registry(server_url)
                self.assertEqual((registry.host, registry.service, registry.account, registry.region,
                                  registry.fips), (host, "ecr-public", "", "us-east-1", False))
                self.assertTrue(registry.is_public)

    def test_server_url_forms(self):
        host = "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
        for server_url in (host, "https://" + host, "http://" + host, "https://" + host + "/",
                           "https://" + host + "/v2/blah/blah", host + "/v2/", host + ":443",
                           "https://" + host + ":5000/v2/", host.upper(), "HTTPS://" + host.upper() + "/V2/",
                           "https://AWS@" + host + "/v2/", host + "?x=1", host + "#frag", "  " + host + "\n"):
            with self.subTest(server_url=server_url):
                self.assertPrivate(server_url, host)

    def test_rejects(self):
        for server_url in REJECTED:
            with self.subTest(server_url=server_url[:120]):
                with self.assertRaises(ecr_login.NotECRError) as caught:
                    ecr_login.parse_registry(server_url)
                message = str(caught.exception)
                # the reason goes to stderr and the log on one line, short, without raw controls
                self.assertNotIn("\n", message)
                self.assertLess(len(message), 400)
                self.assertFalse(any(char < " " or char == "\x7f" for char in message), repr(message))

    def test_not_ecr_is_a_helper_error(self):
        self.assertTrue(issubclass(ecr_login.NotECRError, ecr_login.HelperError))


class EndpointTest(unittest.TestCase):

    def endpoint(self, server_url, **env):
        return ecr_login.ecr_endpoint(ecr_login.Request(ecr_login.Context(env), ecr_login.parse_registry(server_url)))

    def test_default_endpoint_per_partition(self):
        for host, expected in PRIVATE_HOSTS.items():
            with self.subTest(host=host):
                self.assertEqual(self.endpoint(host), expected[4])

    def test_public_endpoint(self):
        for host, endpoint in zip(PUBLIC_HOSTS, (PUBLIC_ENDPOINT, PUBLIC_DUALSTACK_ENDPOINT)):
            with self.subTest(host=host):
                self.assertEqual(self.endpoint(host), endpoint)
                self.assertEqual(self.endpoint(host, AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="ap-south-1"),
                                 endpoint)

    def test_use_fips_endpoint(self):
        for value in ("true", "TRUE", "True", " true "):
            with self.subTest(value=value):
                self.assertEqual(self.endpoint(ECR_HOST, AWS_USE_FIPS_ENDPOINT=value),
                                 "https://api.ecr-fips.us-west-2.amazonaws.com")
        self.assertEqual(self.endpoint("123456789012.dkr-ecr.us-east-1.on.aws", AWS_USE_FIPS_ENDPOINT="true"),
                         "https://ecr-fips.us-east-1.api.aws")
        self.assertEqual(self.endpoint("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn", AWS_USE_FIPS_ENDPOINT="true"),
                         "https://api.ecr-fips.cn-north-1.amazonaws.com.cn")
        for value in ("false", "", "1", "yes"):
            with self.subTest(value=value):
                self.assertEqual(self.endpoint(ECR_HOST, AWS_USE_FIPS_ENDPOINT=value),
                                 "https://api.ecr.us-west-2.amazonaws.com")

    def test_endpoint_url_precedence(self):
        fips_host = "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
        everything = {"AWS_ENDPOINT_URL": "http://localhost:4566",
                      "AWS_ENDPOINT_URL_ECR": "https://ecr.internal.example:8443/",
                      "AWS_ENDPOINT_URL_ECR_PUBLIC": "https://ecr-public.internal.example"}
        self.assertEqual(self.endpoint(ECR_HOST, **everything), "https://ecr.internal.example:8443")
        self.assertEqual(self.endpoint(fips_host, **everything), "https://ecr.internal.example:8443")
        self.assertEqual(self.endpoint("public.ecr.aws", **everything), "https://ecr-public.internal.example")
        general = {"AWS_ENDPOINT_URL": "http://localhost:4566/"}
        self.assertEqual(self.endpoint(ECR_HOST, **general), "http://localhost:4566")
        self.assertEqual(self.endpoint("public.ecr.aws", **general), "http://localhost:4566")
        self.assertEqual(self.endpoint(ECR_HOST, AWS_ENDPOINT_URL_ECR_PUBLIC="https://pub.example"),
                         "https://api.ecr.us-west-2.amazonaws.com")
        self.assertEqual(self.endpoint("ecr-public.aws.com", AWS_ENDPOINT_URL_ECR="https://ecr.example"),
                         PUBLIC_DUALSTACK_ENDPOINT)
        self.assertEqual(self.endpoint(ECR_HOST, AWS_ENDPOINT_URL_ECR="", AWS_ENDPOINT_URL="http://127.0.0.1:9"),
                         "http://127.0.0.1:9")
        self.assertEqual(self.endpoint(ECR_HOST, AWS_ENDPOINT_URL_ECR="http://a.example", AWS_USE_FIPS_ENDPOINT="true"),
                         "http://a.example")

    def test_ignore_configured_endpoint_urls(self):
        everything = {"AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_ECR": "https://ecr.example",
                      "AWS_ENDPOINT_URL_ECR_PUBLIC": "https://pub.example"}
        for value in ("true", "TRUE"):
            with self.subTest(value=value):
                self.assertEqual(self.endpoint(ECR_HOST, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=value, **everything),
                                 "https://api.ecr.us-west-2.amazonaws.com")
                self.assertEqual(self.endpoint("public.ecr.aws", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=value,
                                               **everything), PUBLIC_ENDPOINT)
        self.assertEqual(self.endpoint(ECR_HOST, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="false", **everything),
                         "https://ecr.example")


# ------------------------------------------------------------------------------------------
# Property test: the Go regex decides which hosts are ECR.
# ------------------------------------------------------------------------------------------

PROPERTY_SEED = 1729
PROPERTY_COUNT = 5000
# Characters with no meaning in a URL, so the generated text is the host name itself. The
# non-ASCII ones lower-case to ASCII (KELVIN SIGN -> k), to nothing ASCII, or are digits in
# another script.
HOST_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + "....----____" + "!$~+'*"
                 + "\u212a\u0130\u0131\uff11\u0661\u00e9\u017f")
SUFFIXES = tuple(DUALSTACK_OF_GO_SUFFIX) + ("amazonaws.co", "amazonaws.com.c", "com.cn", "aws", "on.aws.com.cn",
                                             "c2s.ic.gov.evil", "amazonaws.eu.", "hci.ic.gov", "example.com")


def random_host(rng):
    roll = rng.random()
    if roll < 0.1:
        host = rng.choice(PUBLIC_HOSTS)
    elif roll < 0.55:
        host = rng.choice(tuple(PRIVATE_HOSTS))
    else:  # assemble one from parts, valid or nearly so
        account = "".join(rng.choice("0123456789") for _ in range(rng.choice((12, 12, 12, 11, 13, 0, 5, 14))))
        separator = rng.choice(("dkr.ecr", "dkr.ecr", "dkr-ecr", "dkr_ecr", "dkrecr", "dkr..ecr", "DKR.ECR", "dkr.ECR"))
        fips = rng.choice(("", "", "-fips", "_fips", "-FIPS", "fips", "-fips-fips"))
        region = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_-") for _ in range(rng.randint(0, 16)))
        if rng.random() < 0.7:
            region = rng.choice(("us-east-1", "cn-north-1", "us-iso-east-1", "eusc-de-east-1")) + region[:2]
        host = "%s.%s%s.%s.%s" % (account, separator, fips, region, rng.choice(SUFFIXES))
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        host = mutate(rng, host)
    return host


def mutate(rng, host):
    kind = rng.randrange(7)
    index = rng.randrange(len(host) + 1) if host else 0
    if kind == 0 and len(host) > 1:  # swap two neighbours
        index = min(index, len(host) - 2)
        return host[:index] + host[index + 1] + host[index] + host[index + 2:]
    if kind == 1:  # insert
        return host[:index] + rng.choice(HOST_ALPHABET) + host[index:]
    if kind == 2:  # delete
        return host[:index] + host[index + 1:]
    if kind == 3:  # replace
        return host[:index] + rng.choice(HOST_ALPHABET) + host[index + 1:]
    if kind == 4:  # flip the case of a stretch
        end = index + rng.randint(1, 8)
        return host[:index] + host[index:end].swapcase() + host[end:]
    if kind == 5:  # add a label before or after
        label = rng.choice(("evil", "x", "123456789012", "dkr", "ecr", "amazonaws", "com", "cn", "aws", ""))
        return label + "." + host if rng.random() < 0.5 else host + "." + label
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 15)))  # another account length
    return digits + host[host.find("."):] if "." in host else digits


class GoRegexPropertyTest(unittest.TestCase):

    def test_agrees_with_the_go_regex(self):
        rng = random.Random(PROPERTY_SEED)
        accepted = rejected = 0
        disagreements = []
        for _ in range(PROPERTY_COUNT):
            host = random_host(rng)
            lowered = host.lower()
            match = GO_ECR_REGEX.fullmatch(lowered)
            try:
                registry = ecr_login.parse_registry(host)
            except ecr_login.NotECRError:
                registry = None
            if lowered in PUBLIC_HOSTS:
                ok = registry is not None and registry.service == "ecr-public" and registry.host == lowered
            elif match:
                ok = registry is not None and (
                    registry.host, registry.service, registry.account, registry.fips, registry.region,
                    registry.dualstack) == (
                    lowered, "ecr", match.group(1), match.group(2) == "-fips", match.group(3),
                    DUALSTACK_OF_GO_SUFFIX[match.group(4)])
            else:
                ok = registry is None
            if registry is None:
                rejected += 1
            else:
                accepted += 1
            if not ok:
                disagreements.append((host, bool(match), registry))
        self.assertEqual(disagreements[:20], [], "%d disagreements" % len(disagreements))
        # both answers are common, or the generator proves little
        self.assertGreater(accepted, PROPERTY_COUNT // 5)
        self.assertGreater(rejected, PROPERTY_COUNT // 5)


# ------------------------------------------------------------------------------------------
# Time stamps of cache.json (Go's RFC3339Nano) and AWS responses
# ------------------------------------------------------------------------------------------

class ParseTimestampTest(unittest.TestCase):

    def check(self, text, fields, fraction=0.0, offset_seconds=0):
        expected = calendar.timegm(fields) + fraction - offset_seconds
        self.assertAlmostEqual(ecr_login.parse_timestamp(text), expected, delta=1e-6, msg=text)

    def test_go_rfc3339nano(self):
        self.check("2026-07-21T10:15:30.123456789-07:00", (2026, 7, 21, 10, 15, 30), 0.123456789, -7 * 3600)
        self.check("2026-07-21T10:15:30.5+05:30", (2026, 7, 21, 10, 15, 30), 0.5, 5 * 3600 + 1800)
        self.check("2026-07-21T10:15:30.000000001Z", (2026, 7, 21, 10, 15, 30), 1e-9)
        self.check("2026-07-21T10:15:30+00:00", (2026, 7, 21, 10, 15, 30))
        self.check("2026-01-01T00:30:00+01:00", (2025, 12, 31, 23, 30, 0))
        self.check("2025-12-31T23:59:59.999999999-14:00", (2026, 1, 1, 13, 59, 59), 0.999999999)

    def test_aws_times(self):
        self.check("2026-07-21T05:15:30Z", (2026, 7, 21, 5, 15, 30))
        self.check("1970-01-01T00:00:00Z", (1970, 1, 1, 0, 0, 0))
        self.check("2024-02-29T12:00:00Z", (2024, 2, 29, 12, 0, 0))
        self.check("2000-02-29T23:59:59Z", (2000, 2, 29, 23, 59, 59))
        self.check("2038-01-19T03:14:08Z", (2038, 1, 19, 3, 14, 8))
        self.check("2100-03-01T00:00:00Z", (2100, 3, 1, 0, 0, 0))
        self.check("9999-12-31T23:59:59Z", (9999, 12, 31, 23, 59, 59))
        self.check("2026-07-21t05:15:30z", (2026, 7, 21, 5, 15, 30))

    def test_every_day_for_a_few_years(self):
        for year in (1999, 2000, 2023, 2024, 2100):
            for month in range(1, 13):
                for day in (1, 15, 28):
                    fields = (year, month, day, 13, 4, 5)
                    self.check("%04d-%02d-%02dT13:04:05Z" % (year, month, day), fields)

    def test_rejects_garbage(self):
        for text in ("", "garbage", "2026-07-21", "2026-07-21T05:15:30", "2026-07-21T05:15:30 Z",
                     "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-07-00T00:00:00Z", "2026-07-32T00:00:00Z",
                     "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                     "2026-07-21T24:00:00Z", "2026-07-21T23:60:00Z", "2026-07-21T05:15:30.Z",
                     "2026-07-21T05:15:30+0700", "2026-07-21T05:15:30+07", "2026-07-21T05:15:30.123-7:00",
                     "2026/07/21T05:15:30Z", "2026-07-21X05:15:30Z", "+026-07-21T05:15:30Z", "2026-07-21T05:15:3aZ",
                     "\uff12026-07-21T05:15:30Z", "2026-07-21T05:15:30Z\n", "2026-07-21T05:15:30ZZ",
                     " 2026-07-21T05:15:30Z"):
            with self.subTest(text=text):
                with self.assertRaises(ValueError):
                    ecr_login.parse_timestamp(text)

    def test_rejects_non_strings(self):
        for value in (None, 1784628930, 1784628930.5, b"2026-07-21T05:15:30Z", ["2026-07-21T05:15:30Z"]):
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    ecr_login.parse_timestamp(value)


class FormatGoTimeTest(unittest.TestCase):

    def set_timezone(self, tz):
        if not hasattr(time, "tzset"):
            self.skipTest("time.tzset is not available here")
        old = os.environ.get("TZ")

        def restore():
            if old is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = old
            time.tzset()

        self.addCleanup(restore)
        os.environ["TZ"] = tz
        time.tzset()

    def test_utc(self):
        base = calendar.timegm((2026, 7, 21, 10, 15, 30)) * 10 ** 9
        for nanos, text in ((0, "2026-07-21T10:15:30Z"), (123456789, "2026-07-21T10:15:30.123456789Z"),
                            (120000000, "2026-07-21T10:15:30.12Z"), (1, "2026-07-21T10:15:30.000000001Z"),
                            (500000000, "2026-07-21T10:15:30.5Z"), (100, "2026-07-21T10:15:30.0000001Z")):
            with self.subTest(nanos=nanos):
                self.assertEqual(ecr_login.format_go_time(base + nanos, utc=True), text)
        self.assertEqual(ecr_login.format_go_time(0, utc=True), "1970-01-01T00:00:00Z")

    def test_local_time_with_offset(self):
        moment = calendar.timegm((2026, 7, 21, 10, 15, 30)) * 10 ** 9 + 250000000
        for tz, text in (("UTC0", "2026-07-21T10:15:30.25Z"), ("IST-5:30", "2026-07-21T15:45:30.25+05:30"),
                         ("PDT+7", "2026-07-21T03:15:30.25-07:00"), ("NST+3:30", "2026-07-21T06:45:30.25-03:30"),
                         ("LINT-14", "2026-07-22T00:15:30.25+14:00")):
            with self.subTest(tz=tz):
                self.set_timezone(tz)
                self.assertEqual(ecr_login.format_go_time(moment), text)
                self.assertEqual(ecr_login.format_go_time(moment, utc=True), "2026-07-21T10:15:30.25Z")

    def test_round_trip(self):
        self.set_timezone("CET-1CEST,M3.5.0,M10.5.0/3")  # with daylight saving time
        rng = random.Random(99)
        shape = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?(Z|[+-]\d\d:\d\d)\Z")
        for _ in range(500):
            epoch_ns = rng.randrange(0, 4102444800 * 10 ** 9)  # 1970 to 2100
            if rng.random() < 0.3:
                epoch_ns -= epoch_ns % 10 ** rng.randint(1, 9)  # trailing zeros to trim
            for utc in (False, True):
                text = ecr_login.format_go_time(epoch_ns, utc=utc)
                self.assertRegex(text, shape)
                self.assertEqual(text.endswith("Z"), utc, text)
                self.assertAlmostEqual(ecr_login.parse_timestamp(text), epoch_ns / 1e9, delta=1e-6, msg=text)


if __name__ == "__main__":
    unittest.main()
