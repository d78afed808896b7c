"""Quick tests of the loopback AWS fake itself (tests/fakeaws.py)."""

import base64
import json
import shutil
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from tests import sigv4_oracle
from tests.fakeaws import (
    FakeAWS, Reply, client_ssl_context, json_error, make_test_ca, parse_authorization,
    server_ssl_context, sts_error)

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
ROLE_ARN = "arn:aws:iam::210987654321:role/team/deployer"
CLIENT_TIMEOUT = 2.0
# Built once: on 3.13 each opener loads the system CA store (~20 ms).
PLAIN_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def signed_headers(fake, headers, body=b"", region="eu-west-1", service="ecr", key_id="AKIDEXAMPLE",
                   secret=None, token=None):
    """headers plus Host, X-Amz-Date (now), X-Amz-Security-Token and an Authorization that signs
    them all: a real signature when secret is given (tests/sigv4_oracle.py), else a dummy one
    (the fake cannot check a key it does not know, only the date, scope and signed names)."""
    signed = dict(headers)
    signed["Host"] = "%s:%d" % (fake.host, fake.port)
    signed["X-Amz-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(fake.clock()))
    if token:
        signed["X-Amz-Security-Token"] = token
    names = sorted(name.lower() for name in signed)
    scope = [signed["X-Amz-Date"][:8], region, service, "aws4_request"]
    signature = "00ff"
    if secret is not None:
        signature = sigv4_oracle.expected_signature("POST", "/", list(signed.items()), body, secret,
                                                    signed["X-Amz-Date"], scope, names)
    signed["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key_id, "/".join(scope), ";".join(names), signature)
    return signed


def call(url, method="GET", body=None, headers=None, timeout=CLIENT_TIMEOUT, context=None):
    """(status, headers, body bytes); HTTP errors are returned, not raised. Ignores proxies."""
    if isinstance(body, dict):
        body = json.dumps(body).encode("utf-8")
    elif isinstance(body, str):
        body = body.encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    opener = PLAIN_OPENER
    if context is not None:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        try:
            return error.code, error.headers, error.read()
        finally:
            error.close()  # or Python 3.14 warns of its implicitly closed temporary file


def ecr_call(fake, body=b"{}", region="eu-west-1", target=ECR_TARGET, service="ecr", **key):
    if isinstance(body, dict):
        body = json.dumps(body).encode("utf-8")
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    return call(fake.url + "/", "POST", body, signed_headers(fake, headers, body, region, service, **key))


def sts_call(fake, form, signed=True):
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if signed:
        headers = signed_headers(fake, headers, form.encode("utf-8"), "us-west-2", "sts")
    return call(fake.url + "/", "POST", form, headers)


def decode_password(token):
    user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
    return user, password


class FakeTestCase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeAWS()
        self.addCleanup(self.fake.close)


class EcrTests(FakeTestCase):
    def test_private_default_answer(self):
        status, headers, body = ecr_call(self.fake, {"registryIds": ["210987654321"]})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.1")
        entry, = json.loads(body.decode())["authorizationData"]
        self.assertEqual(entry["proxyEndpoint"],
                         "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com")
        user, password = decode_password(entry["authorizationToken"])
        self.assertEqual(user, "AWS")
        self.assertIn(password, self.fake.minted)
        self.assertAlmostEqual(entry["expiresAt"], time.time() + 12 * 3600, delta=60)
        rec = self.fake.last("ecr", "GetAuthorizationToken")
        self.assertEqual(rec.auth["region"], "eu-west-1")
        self.assertEqual(rec.status, 200)

    def test_default_account_and_distinct_passwords(self):
        first = json.loads(ecr_call(self.fake)[2].decode())["authorizationData"][0]
        second = json.loads(ecr_call(self.fake)[2].decode())["authorizationData"][0]
        self.assertIn("https://123456789012.dkr.ecr.", first["proxyEndpoint"])
        self.assertNotEqual(first["authorizationToken"], second["authorizationToken"])

    def test_fixed_password(self):
        self.fake.password = "pinned"
        entry = json.loads(ecr_call(self.fake)[2].decode())["authorizationData"][0]
        self.assertEqual(decode_password(entry["authorizationToken"]), ("AWS", "pinned"))

    def test_public_answer_is_an_object(self):
        status, _, body = ecr_call(self.fake, region="us-east-1", target=PUBLIC_TARGET,
                                   service="ecr-public")
        self.assertEqual(status, 200)
        data = json.loads(body.decode())["authorizationData"]
        self.assertEqual(sorted(data), ["authorizationToken", "expiresAt"])
        self.assertEqual(self.fake.count("ecr-public", "GetAuthorizationToken"), 1)

    def test_unsigned_is_rejected(self):
        status, _, body = call(self.fake.url + "/", "POST", b"{}", {"X-Amz-Target": ECR_TARGET})
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body.decode())["__type"], "MissingAuthenticationTokenException")

    def test_wrong_signing_service_is_rejected(self):
        status, _, body = ecr_call(self.fake, target=PUBLIC_TARGET, service="ecr")
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body.decode())["__type"], "InvalidSignatureException")

    def test_minted_credentials_need_their_session_token(self):
        creds = json.loads(call(self.fake.container_url)[2].decode())
        key_id, token = creds["AccessKeyId"], creds["Token"]
        self.assertEqual(self.fake.credentials[key_id], (creds["SecretAccessKey"], token))
        status, _, body = ecr_call(self.fake, key_id=key_id, secret=creds["SecretAccessKey"])
        self.assertEqual((status, json.loads(body.decode())["__type"]),
                         (403, "UnrecognizedClientException"))
        self.assertEqual(ecr_call(self.fake, key_id=key_id, secret=creds["SecretAccessKey"], token=token)[0], 200)

    def test_verifier_message_becomes_403(self):
        self.fake.verifier = lambda rec: "signature mismatch" if rec.auth["signature"] else None
        status, _, body = ecr_call(self.fake)
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body.decode()),
                         {"__type": "InvalidSignatureException", "message": "signature mismatch"})


class StsTests(FakeTestCase):
    def test_assume_role_xml(self):
        status, _, body = sts_call(
            self.fake, "Action=AssumeRole&Version=2011-06-15&RoleArn=%s&RoleSessionName=s1"
            % ROLE_ARN.replace(":", "%3A").replace("/", "%2F"))
        self.assertEqual(status, 200)
        result = ET.fromstring(body).find(STS_NS + "AssumeRoleResult")
        arn = result.find(STS_NS + "AssumedRoleUser/" + STS_NS + "Arn").text
        self.assertEqual(arn, "arn:aws:sts::210987654321:assumed-role/deployer/s1")
        creds = result.find(STS_NS + "Credentials")
        self.assertTrue(creds.find(STS_NS + "AccessKeyId").text.startswith("ASIAFAKE"))
        self.assertIn(creds.find(STS_NS + "SecretAccessKey").text, self.fake.minted)
        self.assertTrue(creds.find(STS_NS + "Expiration").text.endswith("Z"))
        self.assertEqual(self.fake.last("sts").form["RoleArn"], ROLE_ARN)

    def test_assume_role_unsigned_is_rejected(self):
        status, _, body = sts_call(self.fake, "Action=AssumeRole&RoleArn=x&RoleSessionName=s",
                                   signed=False)
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>MissingAuthenticationToken</Code>", body)

    def test_web_identity_is_unsigned_and_recorded(self):
        form = ("Action=AssumeRoleWithWebIdentity&RoleArn=%s&RoleSessionName=w"
                "&WebIdentityToken=jwt" % ROLE_ARN)
        status, _, body = sts_call(self.fake, form, signed=False)
        self.assertEqual(status, 200)
        self.assertIn(b"<AssumeRoleWithWebIdentityResult>", body)
        self.assertFalse(self.fake.last("sts", "AssumeRoleWithWebIdentity").signed)

    def test_missing_role_arn_is_a_validation_error(self):
        status, _, body = sts_call(self.fake, "Action=AssumeRole&RoleSessionName=s")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>ValidationError</Code>", body)


class CredentialSourceTests(FakeTestCase):
    def test_sso_role_credentials(self):
        url = self.fake.url + "/federation/credentials?role_name=dev&account_id=210987654321"
        status, _, body = call(url, headers={"x-amz-sso_bearer_token": "tok"})
        self.assertEqual(status, 200)
        creds = json.loads(body.decode())["roleCredentials"]
        self.assertEqual(sorted(creds),
                         ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"])
        self.assertGreater(creds["expiration"], time.time() * 1000)
        self.assertEqual(call(url)[0], 401)

    def test_oidc_create_token(self):
        body = {"grantType": "refresh_token", "clientId": "c", "clientSecret": "s",
                "refreshToken": "r"}
        status, _, answer = call(self.fake.url + "/token", "POST", body,
                                 {"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        answer = json.loads(answer.decode())
        self.assertEqual((answer["expiresIn"], answer["tokenType"]), (3600, "Bearer"))
        self.assertEqual(set(self.fake.secrets_in(json.dumps(answer))),
                         {answer["accessToken"], answer["refreshToken"]})
        self.assertEqual(self.fake.last("oidc").service, "oidc")

    def test_container_records_authorization(self):
        status, _, body = call(self.fake.container_url + "/v2?x=1",
                               headers={"Authorization": "abc"})
        self.assertEqual(status, 200)
        creds = json.loads(body.decode())
        self.assertEqual(sorted(creds), ["AccessKeyId", "AccountId", "Expiration",
                                         "SecretAccessKey", "Token"])
        self.assertEqual(self.fake.last("container").headers["authorization"], "abc")

    def test_imds_v2_flow(self):
        self.fake.imds_require_token = True
        base = self.fake.url + "/latest/meta-data/iam/security-credentials/"
        self.assertEqual(call(base)[0], 401)
        status, _, token = call(self.fake.url + "/latest/api/token", "PUT", b"",
                                {"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
        self.assertEqual(status, 200)
        auth = {"x-aws-ec2-metadata-token": token.decode()}
        role = call(base, headers=auth)[2].decode()
        self.assertEqual(role, "fake-imds-role")
        creds = json.loads(call(base + role, headers=auth)[2].decode())
        self.assertEqual(creds["Code"], "Success")
        self.assertIn(creds["Token"], self.fake.minted)
        actions = [rec.action for rec in self.fake.find("imds")]
        self.assertEqual(actions, ["imds-role", "imds-token", "imds-role", "imds-creds"])

    def test_imds_token_needs_ttl_header(self):
        self.assertEqual(call(self.fake.url + "/latest/api/token", "PUT", b"")[0], 400)

    def test_unknown_route(self):
        self.assertEqual(call(self.fake.url + "/nowhere")[0], 404)
        self.assertEqual(self.fake.count("unknown"), 1)


class ScriptingTests(FakeTestCase):
    def test_scripted_500_then_default(self):
        self.fake.script("ecr", "GetAuthorizationToken", [Reply(status=500, body="boom")])
        self.assertEqual(ecr_call(self.fake)[:1], (500,))
        self.assertEqual(ecr_call(self.fake)[0], 200)
        self.assertEqual([rec.status for rec in self.fake.find("ecr")], [500, 200])
        self.assertEqual(self.fake.pending(), 0)

    def test_error_builders(self):
        self.fake.script("ecr", None,
                         [json_error("ThrottlingException", "slow", 400, "com.amazonaws.ecr")])
        self.fake.script("sts", "AssumeRole", [sts_error("AccessDenied", "no")])
        status, _, body = ecr_call(self.fake)
        self.assertEqual((status, json.loads(body.decode())["__type"]),
                         (400, "com.amazonaws.ecr#ThrottlingException"))
        status, _, body = sts_call(self.fake,
                                   "Action=AssumeRole&RoleArn=%s&RoleSessionName=s" % ROLE_ARN)
        self.assertEqual(status, 400)
        code = ET.fromstring(body).find(STS_NS + "Error/" + STS_NS + "Code").text
        self.assertEqual(code, "AccessDenied")

    def test_drop_closes_without_answer(self):
        self.fake.script("container", responses=[Reply(drop=True)])
        with self.assertRaises(OSError):
            call(self.fake.container_url)
        self.assertIsNone(self.fake.last("container").status)
        self.assertEqual(call(self.fake.container_url)[0], 200)

    def test_delay_times_out_and_close_ends_the_delay(self):
        threads_before = set(threading.enumerate())
        self.fake.script("container", responses=[Reply(delay=30)])
        with self.assertRaises(OSError):   # socket.timeout / URLError
            call(self.fake.container_url, timeout=0.2)
        self.fake.close()
        handlers = [thread for thread in threading.enumerate() if thread not in threads_before]
        for thread in handlers:
            thread.join(5)  # far less than the delay: only a delay that close ended is over by then
        self.assertEqual([thread for thread in handlers if thread.is_alive()], [])

    def test_delay_then_default(self):
        self.fake.script("container", responses=[Reply(delay=0.05, default=True)])
        self.assertEqual(call(self.fake.container_url)[0], 200)

    def test_callable_script_item(self):
        self.fake.script("sso", responses=[lambda rec: Reply(status=418) if rec.query else None])
        url = self.fake.url + "/federation/credentials?role_name=r&account_id=1"
        self.assertEqual(call(url, headers={"x-amz-sso_bearer_token": "t"})[0], 418)


class LeakAndHelperTests(FakeTestCase):
    def test_secrets_in_finds_only_minted_values(self):
        call(self.fake.container_url)
        creds_secret = self.fake.minted[0]
        text = "log line: secret=%s id=%s" % (creds_secret, self.fake.access_key_ids[0])
        self.assertEqual(self.fake.secrets_in(text), [creds_secret])
        self.assertEqual(self.fake.secrets_in(text.encode()), [creds_secret])
        self.assertEqual(self.fake.secrets_in("nothing here"), [])
        self.assertEqual(self.fake.secrets_in(text, kinds=["session-token"]), [])

    def test_parse_authorization(self):
        headers = signed_headers(self.fake, {"Content-Type": "text/plain"}, region="ap-south-1", service="sts")
        parsed = parse_authorization(headers["Authorization"])
        self.assertEqual((parsed["access_key_id"], parsed["region"], parsed["service"]),
                         ("AKIDEXAMPLE", "ap-south-1", "sts"))
        self.assertEqual(parsed["signed_headers"], ["content-type", "host", "x-amz-date"])
        self.assertIsNone(parse_authorization("Bearer x"))

    def test_requests_are_recorded_from_many_threads(self):
        threads = [threading.Thread(target=call, args=(self.fake.container_url,))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(self.fake.count("container", "container"), 8)
        self.assertEqual(len(set(self.fake.access_key_ids)), 8)
        self.assertEqual(self.fake.errors, [])

    def test_unknown_setting_is_a_type_error(self):
        with self.assertRaises(TypeError):
            FakeAWS(no_such_setting=1)


class TlsTests(unittest.TestCase):
    def test_https_with_test_ca(self):
        tmpdir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmpdir)
        ca, cert, key = make_test_ca(tmpdir)
        with FakeAWS(tls_context=server_ssl_context(cert, key)) as fake:
            self.assertTrue(fake.url.startswith("https://127.0.0.1:"))
            status, _, _ = call(fake.container_url, context=client_ssl_context(ca))
            self.assertEqual(status, 200)
            localhost_url = fake.container_url.replace("127.0.0.1", "localhost")
            self.assertEqual(call(localhost_url, context=client_ssl_context(ca))[0], 200)
            with self.assertRaises(OSError):   # not trusted without the CA
                call(fake.container_url)
            with self.assertRaises(OSError):   # plain HTTP to a TLS port gets nothing
                call(fake.container_url.replace("https:", "http:"), timeout=1)
            self.assertEqual(fake.errors, [])


if __name__ == "__main__":
    unittest.main()
