"""`aws login` credentials (a profile's login_session) and the ES256 they need.

- ES256 by hand: RFC 6979's published P-256/SHA-256 vectors (appendix A.2.5), the two PEM forms
  of a key, and malformed keys; then, against the `cryptography` package as the oracle (in the
  reference interpreter, see tests.test_botocore_chain.reference_python), a seeded fuzz of keys
  and messages: the same public keys, the same deterministic signatures, and signatures that
  cryptography verifies.
- The provider end to end through ecr_login.main: cached credentials while they are valid (no
  sign-in call), a refresh against a fake AWS Sign-In token endpoint on loopback that checks the
  DPoP proof with `cryptography` (it runs in the reference interpreter), the entry written back,
  and "run: aws login --profile NAME" whenever a refresh is impossible.
"""

import json
import os
import random
import stat
import subprocess
import time
import unittest

from tests.helpers import NOT_FOUND, HelperCase, ecr_login, write_file
from tests.test_botocore_chain import reference_python
from tests.vectors import skip_or_fail

# RFC 6979 appendix A.2.5: the P-256 key and the SHA-256 signatures of "sample" and "test".
RFC6979_KEY = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC6979_PUBLIC = (0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6,
                  0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299)
RFC6979_SIGNATURES = {
    b"sample": (0xA6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60,
                0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
                0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8),
    b"test": (0xD16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0,
              0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,
              0x019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083),
}
# The same key as `cryptography` writes it, in SEC1 (what `aws login` stores) and PKCS#8.
RFC6979_SEC1_PEM = """-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMmvqdhFunUWa1whV2ex1pNOUMPbNuibEnuKYisSD2choAoGCCqGSM49
AwEHoUQDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8
maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==
-----END EC PRIVATE KEY-----
"""
RFC6979_PKCS8_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya+p2EW6dRZrXCFX
Z7HWk05Qw9s26JsSe4piKxIPZyGhRANCAARg/tS6JVqdMclh63TGNW1owEm4kjth
+mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6fUXejwpTURiKZ
-----END PRIVATE KEY-----
"""
FUZZ_SEED = 6979
FUZZ_COUNT = 60
REFERENCE_TIMEOUT = 120

SESSION = "arn:aws:iam::123456789012:user/alice"
CLIENT_ID = "arn:aws:signin:::devtools/same-device"
HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
OLD_KEYS = ("ASIALOGINOLD00001234", "loginOldSecret000000000000000000000000000", "loginOldSessionToken0000000000")
NEW_KEYS = ("ASIALOGINNEW00005678", "loginNewSecret000000000000000000000000000", "loginNewSessionToken0000000000")
OLD_REFRESH, NEW_REFRESH = "refresh-token-old-000000000000", "refresh-token-new-000000000000"

# The oracle side of the fuzz, in the reference interpreter: reads [[key, message hex], ...],
# answers the public key, the deterministic signature, the PEMs, and whether our signature verifies.
ORACLE_SCRIPT = r"""
import json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
out = []
for key, message, ours in json.load(sys.stdin):
    private = ec.derive_private_key(key, ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    message = bytes.fromhex(message)
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    signature = bytes.fromhex(ours)
    try:
        private.public_key().verify(encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                                         int.from_bytes(signature[32:], "big")),
                                    message, ec.ECDSA(hashes.SHA256()))
        verified = True
    except InvalidSignature:
        verified = False
    pems = [private.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()
            for form in (serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8)]
    out.append({"x": numbers.x, "y": numbers.y, "r": r, "s": s, "verified": verified, "pems": pems})
json.dump(out, sys.stdout)
"""

# A fake AWS Sign-In token endpoint, in the reference interpreter so that it can check the DPoP
# proof with cryptography. argv[1]: JSON settings. Prints its port, then one JSON line per request.
SIGNIN_SCRIPT = r"""
import base64, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

settings = json.loads(sys.argv[1])
seen_jti = set()

def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def check_proof(proof, url):
    header_part, payload_part, signature_part = proof.split(".")
    header, payload = json.loads(unb64(header_part)), json.loads(unb64(payload_part))
    if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
        return "header %r" % header
    jwk = header["jwk"]
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        return "jwk %r" % jwk
    x, y = int.from_bytes(unb64(jwk["x"]), "big"), int.from_bytes(unb64(jwk["y"]), "big")
    if [x, y] != settings["public_key"]:
        return "the proof's key is not the session's key"
    signature = unb64(signature_part)
    if len(signature) != 64:
        return "signature of %d bytes" % len(signature)
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    try:
        public.verify(encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
                      (header_part + "." + payload_part).encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "bad signature"
    if payload.get("htm") != "POST" or payload.get("htu") != url:
        return "htm/htu %r" % payload
    if abs(payload.get("iat", 0) - time.time()) > 300:
        return "iat %r" % payload.get("iat")
    jti = payload.get("jti")
    if not isinstance(jti, str) or len(jti) != 36 or jti in seen_jti:
        return "jti %r" % jti
    seen_jti.add(jti)
    return None

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = "http://127.0.0.1:%d%s" % (self.server.server_port, self.path)
        problem = None
        if self.path != "/v1/token":
            problem = "path %s" % self.path
        elif "Authorization" in self.headers:
            problem = "the call was signed"
        elif not self.headers.get("DPoP"):
            problem = "no DPoP header"
        else:
            try:
                problem = check_proof(self.headers["DPoP"], url)
            except Exception as error:
                problem = "malformed proof: %r" % error
        request = json.loads(body.decode("utf-8"))
        if problem is None and request != settings["expected_body"]:
            problem = "body %r" % request
        status, reply = (400, {"__type": "ValidationException", "message": problem}) if problem else \
            (settings["status"], settings["reply"])
        data = json.dumps(reply).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status >= 400 and "__type" not in reply:
            self.send_header("x-amzn-ErrorType", "AccessDeniedException")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(json.dumps({"problem": problem, "status": status}), flush=True)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_port, flush=True)
sys.stdin.read()
"""


def hex_signature(key, message):
    return ecr_login.es256_sign(key, message).hex()


class ES256Test(unittest.TestCase):
    def test_rfc6979_p256_sha256_vectors(self):
        self.assertEqual(ecr_login.p256_multiply(RFC6979_KEY), RFC6979_PUBLIC)
        for message, (k, r, s) in RFC6979_SIGNATURES.items():
            with self.subTest(message=message):
                digest = ecr_login.sha256_digest(message)
                self.assertEqual(ecr_login.rfc6979_nonce(RFC6979_KEY, digest), k)
                self.assertEqual(ecr_login.es256_sign(RFC6979_KEY, message), r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def test_both_pem_forms_give_the_key(self):
        for pem in (RFC6979_SEC1_PEM, RFC6979_PKCS8_PEM, RFC6979_SEC1_PEM.replace("\n", "\r\n")):
            self.assertEqual(ecr_login.ec_private_key(pem), RFC6979_KEY)

    def test_malformed_keys_are_value_errors(self):
        rng = random.Random(FUZZ_SEED)
        body = "".join(RFC6979_SEC1_PEM.splitlines()[1:-1])
        cases = ["", "not a key", "-----BEGIN EC PRIVATE KEY-----\n!!!\n-----END EC PRIVATE KEY-----",
                 body[:20], "MAA=", "AgEB", "MAYCAQEEAQA="]  # an empty SEQUENCE, a bare INTEGER, key 0
        for _ in range(300):
            chars = list(body)
            for _ in range(rng.randint(1, 4)):
                chars[rng.randrange(len(chars))] = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/")
            cases.append("".join(chars[:rng.randint(4, len(chars))]))
        for pem in cases:
            try:
                key = ecr_login.ec_private_key(pem)
            except ValueError:
                continue
            self.assertTrue(1 <= key < ecr_login.P256_N, pem)  # a mutation that still parses

    def test_dpop_proof_carries_the_public_key_and_the_request(self):
        proof = ecr_login.dpop_proof(RFC6979_KEY, "https://us-west-2.signin.aws.amazon.com/v1/token", 1700000000,
                                     "0b6b7b7e-8a4a-4d49-9f0e-6d1b2d3c4e5f")
        header, payload, signature = proof.split(".")

        def decode(part):
            import base64

            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        self.assertEqual(json.loads(decode(header).decode()), {"typ": "dpop+jwt", "alg": "ES256", "jwk": {
            "kty": "EC", "crv": "P-256", "x": "YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y",
            "y": "eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk"}})
        self.assertEqual(json.loads(decode(payload).decode()), {
            "htm": "POST", "htu": "https://us-west-2.signin.aws.amazon.com/v1/token", "iat": 1700000000,
            "jti": "0b6b7b7e-8a4a-4d49-9f0e-6d1b2d3c4e5f"})
        self.assertEqual(len(decode(signature)), 64)
        self.assertNotIn("=", proof)

    def test_fuzz_against_cryptography(self):
        python = reference_python()
        if python is None:
            skip_or_fail("neither this interpreter nor $ECR_LOGIN_REFERENCE_PYTHON has cryptography")
        rng = random.Random(FUZZ_SEED)
        n = ecr_login.P256_N
        keys = [1, 2, 3, n - 1, n - 2, RFC6979_KEY, 2 ** 255, 2 ** 128 + 1] + [
            rng.randrange(1, n) for _ in range(FUZZ_COUNT)]
        cases = []
        for key in keys:
            message = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
            cases.append([key, message.hex(), hex_signature(key, message)])
        process = subprocess.run([python, "-c", ORACLE_SCRIPT], input=json.dumps(cases).encode("utf-8"),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=REFERENCE_TIMEOUT)
        if process.returncode != 0 and b"No module named 'cryptography'" in process.stderr:
            skip_or_fail("the reference interpreter %s has no cryptography" % python)
        self.assertEqual(process.returncode, 0, process.stderr.decode("utf-8", "replace"))
        for (key, message, ours), answer in zip(cases, json.loads(process.stdout.decode("utf-8"))):
            with self.subTest(key=key):
                self.assertEqual(ecr_login.p256_multiply(key), (answer["x"], answer["y"]))
                self.assertTrue(answer["verified"], "cryptography rejects our signature")
                self.assertEqual(ours, answer["r"].to_bytes(32, "big").hex() + answer["s"].to_bytes(32, "big").hex(),
                                 "not RFC 6979's deterministic signature")
                for pem in answer["pems"]:
                    self.assertEqual(ecr_login.ec_private_key(pem), key)


def login_document(expires_in, pem=RFC6979_SEC1_PEM, **changes):
    """A login cache entry as the AWS CLI writes one."""
    document = {
        "accessToken": {"accessKeyId": OLD_KEYS[0], "secretAccessKey": OLD_KEYS[1], "sessionToken": OLD_KEYS[2],
                        "accountId": "123456789012",
                        "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))},
        "tokenType": "aws_sigv4", "clientId": CLIENT_ID, "refreshToken": OLD_REFRESH,
        "idToken": "id-token-000000000000000000", "dpopKey": pem,
    }
    document.update(changes)
    return document


class LoginProviderTest(HelperCase):
    registry = HOST

    def setUp(self):
        super().setUp()
        self.add_keys(*OLD_KEYS)
        self.add_keys(*NEW_KEYS)
        write_file(os.path.join(self.home, ".aws", "config"),
                   "[profile dev]\nlogin_session = %s\nregion = us-west-2\n" % SESSION)
        self.cache_path = os.path.join(self.home, ".aws", "login", "cache",
                                       ecr_login.sha256_digest(SESSION.encode()).hex() + ".json")

    def env(self, **extra):
        return HelperCase.env(self, AWS_PROFILE="dev", **extra)

    def write_cache(self, document, path=None):
        write_file(path or self.cache_path, json.dumps(document))

    def start_signin(self, status=200, reply=None):
        """The fake sign-in endpoint (reference interpreter); returns (url, read its verdicts)."""
        python = reference_python()
        if python is None:
            skip_or_fail("neither this interpreter nor $ECR_LOGIN_REFERENCE_PYTHON has cryptography")
        if reply is None:
            reply = {"accessToken": {"accessKeyId": NEW_KEYS[0], "secretAccessKey": NEW_KEYS[1],
                                     "sessionToken": NEW_KEYS[2]},
                     "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": NEW_REFRESH}
        settings = {"public_key": list(RFC6979_PUBLIC), "status": status, "reply": reply,
                    "expected_body": {"clientId": CLIENT_ID, "refreshToken": OLD_REFRESH, "grantType": "refresh_token"}}
        process = subprocess.Popen([python, "-c", SIGNIN_SCRIPT, json.dumps(settings)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def stop():
            process.stdin.close()
            process.wait(REFERENCE_TIMEOUT)
            process.stdout.close()
            process.stderr.close()

        self.addCleanup(stop)
        line = process.stdout.readline()
        if not line.strip().isdigit():
            error = process.stderr.read().decode("utf-8", "replace")
            if "No module named 'cryptography'" in error:
                skip_or_fail("the reference interpreter %s has no cryptography" % python)
            raise AssertionError("the fake sign-in endpoint did not start: %s" % error)
        return "http://127.0.0.1:%d" % int(line), lambda: json.loads(process.stdout.readline().decode("utf-8"))

    def assert_signed_with(self, keys):
        self.assertEqual(self.fake.last("ecr").auth["access_key_id"], keys[0])
        self.assertEqual(self.fake.last("ecr").headers["x-amz-security-token"], keys[2])

    def test_cached_credentials_are_used_while_valid(self):
        self.write_cache(login_document(3600))
        before = os.stat(self.cache_path).st_mtime_ns
        code, out, err = self.get(env=self.env(AWS_ENDPOINT_URL_SIGNIN="http://127.0.0.1:9"))
        self.assertEqual((code, err), (0, ""), out)
        self.assert_signed_with(OLD_KEYS)
        self.assertEqual(os.stat(self.cache_path).st_mtime_ns, before, "nothing to refresh, nothing written")
        self.assertEqual(json.loads(out)["Username"], "AWS")

    def test_the_cache_directory_variable(self):
        directory = os.path.join(self.home, "elsewhere")
        self.write_cache(login_document(3600), os.path.join(directory, os.path.basename(self.cache_path)))
        code, out, err = self.get(env=self.env(AWS_LOGIN_CACHE_DIRECTORY=directory))
        self.assertEqual((code, err), (0, ""), out)
        self.assert_signed_with(OLD_KEYS)

    def test_expired_credentials_are_refreshed_with_a_dpop_proof_and_written_back(self):
        url, verdict = self.start_signin()
        self.write_cache(login_document(60))  # within the 5-minute margin: refreshed
        code, out, err = self.get(env=self.env(AWS_ENDPOINT_URL_SIGNIN=url, AWS_ECR_LOG_LEVEL="debug"))
        self.assertEqual(verdict(), {"problem": None, "status": 200})
        self.assertEqual((code, err), (0, ""), out)
        self.assert_signed_with(NEW_KEYS)
        self.assertEqual(stat.S_IMODE(os.stat(self.cache_path).st_mode), 0o600)
        with open(self.cache_path) as handle:
            saved = json.load(handle)
        self.assertEqual(saved["refreshToken"], NEW_REFRESH)
        self.assertEqual(saved["accessToken"]["accessKeyId"], NEW_KEYS[0])
        self.assertEqual(saved["accessToken"]["accountId"], "123456789012")
        expires = ecr_login.parse_timestamp(saved["accessToken"]["expiresAt"])
        self.assertTrue(time.time() + 800 < expires <= time.time() + 901, saved["accessToken"]["expiresAt"])
        for field in ("clientId", "dpopKey", "idToken", "tokenType"):
            self.assertEqual(saved[field], login_document(0)[field])
        with open(os.path.join(self.home, ".ecr", "log", "ecr-login.log")) as handle:
            log = handle.read()
        for secret in (OLD_KEYS[1], NEW_KEYS[1], NEW_KEYS[2], OLD_REFRESH, NEW_REFRESH, "MHcCAQEE"):
            self.assertNotIn(secret, log + err)

    def test_a_refused_refresh_says_to_log_in_again(self):
        url, verdict = self.start_signin(401, {"error": "TOKEN_EXPIRED", "message": "Your session has expired"})
        self.write_cache(login_document(-60))
        code, out, err = self.get(env=self.env(AWS_ENDPOINT_URL_SIGNIN=url))
        self.assertEqual(verdict(), {"problem": None, "status": 401})
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn("run: aws login --profile dev", err)
        self.assertIn("AccessDeniedException", err)
        self.assertEqual(self.fake.count(), 0)

    def test_doctor_names_the_login_session(self):
        self.write_cache(login_document(3600))
        code, out, err = self.run_main(["doctor"], self.env())
        self.assertIn("aws login (login_session)", out)
        self.assertIn("aws login session %s (profile dev)" % SESSION, out)
        self.assertNotIn(OLD_KEYS[1], out + err)

    def test_no_session_or_no_refresh_token_says_to_log_in(self):
        env = self.env(AWS_ENDPOINT_URL_SIGNIN="http://127.0.0.1:9")
        code, out, err = self.get(env=env)
        self.assertEqual((code, out), (1, NOT_FOUND))
        self.assertIn("no cached aws login session for profile dev", err)
        self.assertIn("run: aws login --profile dev", err)
        for document in (login_document(-60, refreshToken=None), login_document(-60, dpopKey="junk"),
                         {"accessToken": "x"}):
            with self.subTest(document=str(document)[:60]):
                self.write_cache(document)
                code, out, err = self.get(env=env)
                self.assertEqual((code, out), (1, NOT_FOUND))
                self.assertIn("run: aws login --profile dev", err)
        self.assertEqual(self.fake.count(), 0)


if __name__ == "__main__":
    unittest.main()
