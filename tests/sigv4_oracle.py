"""An independent SigV4 check for the fake AWS endpoints: what AWS itself verifies.

This module shares nothing with ecr_login.py on purpose. It is a second, deliberately plain
reading of the Signature Version 4 specification
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), written from
the request as it arrived on the wire, so a fault in the helper's signer cannot be hidden by
the same fault here. Where botocore is importable in this process its signer checks the same
request a second time (tests/test_sigv4.py compares this module with botocore on randomized
requests, so it is checked even where botocore is only in $ECR_LOGIN_REFERENCE_PYTHON).

As AWS does, a request is refused when:
- X-Amz-Date is not a basic ISO 8601 UTC time, or is more than 15 minutes from the server clock;
- the credential scope is not <date of X-Amz-Date>/<region>/<service>/aws4_request for the
  service the request went to (and the region the test expects, when it names one);
- Host or any X-Amz-* header sent is left out of SignedHeaders, or a signed header is absent;
- the signature differs from the one computed with the secret the fake knows for the key.
"""

import calendar
import hashlib
import hmac
import re
import time
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
# AWS refuses a request whose X-Amz-Date is further than this from its own clock
# ("Signature expired" / "Signature not yet current").
MAX_CLOCK_SKEW_SECONDS = 15 * 60
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
AMZ_DATE_SHAPE = re.compile(r"\A\d{8}T\d{6}Z\Z")
REGION_SHAPE = re.compile(r"\A[a-z]+(-[a-z]+)+-\d+\Z")
# The characters SigV4 never percent-encodes (RFC 3986 unreserved).
UNRESERVED = "-_.~"


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac_digest(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def derive_key(secret, date, region, service):
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    k_date = hmac_digest(("AWS4" + secret).encode("utf-8"), date)
    k_region = hmac_digest(k_date, region)
    k_service = hmac_digest(k_region, service)
    return hmac_digest(k_service, "aws4_request")


def canonical_path(raw_path):
    """The wire path with '.', '..' and empty segments removed, each segment encoded again."""
    kept = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    path = "/" + "/".join(quote(segment, safe=UNRESERVED) for segment in kept)
    if kept and raw_path.endswith("/"):
        path += "/"
    return path


def canonical_query_string(raw_query):
    """Every name=value decoded, encoded with only unreserved characters left, sorted."""
    encoded = []
    for item in raw_query.split("&") if raw_query else ():
        if "=" in item:
            name, value = item.split("=", 1)
        else:
            name, value = item, ""
        encoded.append((quote(unquote(name), safe=UNRESERVED), quote(unquote(value), safe=UNRESERVED)))
    encoded.sort()
    return "&".join(name + "=" + value for name, value in encoded)


def trimmed(value):
    """Leading and trailing spaces gone, runs of spaces inside made one space."""
    return " ".join(value.split())


def canonical_header_block(raw_headers, signed_names):
    """One 'name:value' line per signed name; repeated headers' values joined by commas."""
    lines = []
    for name in signed_names:
        values = [trimmed(value) for sent_name, value in raw_headers if sent_name.lower() == name]
        lines.append(name + ":" + ",".join(values) + "\n")
    return "".join(lines)


def expected_signature(method, target, raw_headers, body, secret, amz_date, scope, signed_names):
    """The hex signature AWS computes for a request as received. target: the request line's
    path and query, as sent (not a URL: "//a" is a path here, not a host)."""
    path, _, query = target.partition("?")
    canonical_request = "\n".join([
        method,
        canonical_path(path or "/"),
        canonical_query_string(query),
        canonical_header_block(raw_headers, signed_names),
        ";".join(signed_names),
        sha256_hex(body),
    ])
    string_to_sign = "\n".join([ALGORITHM, amz_date, "/".join(scope), sha256_hex(canonical_request.encode("utf-8"))])
    date, region, service = scope[0], scope[1], scope[2]
    key = derive_key(secret, date, region, service)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_authorization_header(value):
    """{'key', 'scope' [date, region, service, terminator], 'signed' [names], 'signature'} or None."""
    if not value.startswith(ALGORITHM + " "):
        return None
    fields = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        name, equals, field = part.strip().partition("=")
        if equals:
            fields[name] = field
    credential = fields.get("Credential", "").split("/")
    if len(credential) != 5 or not fields.get("SignedHeaders") or not fields.get("Signature"):
        return None
    return {"key": credential[0], "scope": credential[1:], "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def header_values(raw_headers, name):
    return [value for sent_name, value in raw_headers if sent_name.lower() == name]


def request_problem(method, target, raw_headers, body, service, now, secret=None, region=None):
    """Why AWS would refuse this request (a sentence), or None when it would accept it.

    secret: the secret access key of the key id in the request, when known (else the signature
    itself cannot be checked, only everything around it). region: the region the request must
    be scoped to, when the test knows it (else any well-formed region name)."""
    authorization = header_values(raw_headers, "authorization")
    if len(authorization) != 1:
        return "expected one Authorization header, got %d" % len(authorization)
    parsed = parse_authorization_header(authorization[0])
    if parsed is None:
        return "Authorization header is not AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
    amz_dates = header_values(raw_headers, "x-amz-date")
    if len(amz_dates) != 1 or not AMZ_DATE_SHAPE.match(amz_dates[0]):
        return "X-Amz-Date must be one basic ISO 8601 time such as 20150830T123600Z, got %r" % (amz_dates,)
    amz_date = amz_dates[0]
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, AMZ_DATE_FORMAT))
    except ValueError:
        return "X-Amz-Date %r is not a real time" % amz_date
    if abs(signed_at - now) > MAX_CLOCK_SKEW_SECONDS:
        return "Signature expired or not yet current: %s is more than 15 minutes from %s" % (
            amz_date, time.strftime(AMZ_DATE_FORMAT, time.gmtime(now)))
    date, scope_region, scope_service, terminator = parsed["scope"]
    if date != amz_date[:8]:
        return "credential scope date %s is not the date of X-Amz-Date %s" % (date, amz_date)
    if scope_service != service:
        return "credential scope service %r, but the request went to %r" % (scope_service, service)
    if terminator != "aws4_request":
        return "credential scope must end in aws4_request, not %r" % terminator
    if region is not None and scope_region != region:
        return "credential scope region %r, expected %r" % (scope_region, region)
    if not REGION_SHAPE.match(scope_region):
        return "credential scope region %r is not a region name" % scope_region
    signed = parsed["signed"]
    if signed != sorted(signed) or any(name != name.lower() for name in signed):
        return "SignedHeaders must be lower case and sorted: %s" % ";".join(signed)
    sent = set(name.lower() for name, _ in raw_headers)
    must_sign = set(name for name in sent if name.startswith("x-amz-")) | {"host"}
    unsigned = sorted(must_sign - set(signed))
    if unsigned:
        return "headers sent but not signed: %s" % ", ".join(unsigned)
    absent = sorted(set(signed) - sent)
    if absent:
        return "signed headers not in the request: %s" % ", ".join(absent)
    if secret is None:
        return None
    wanted = expected_signature(method, target, raw_headers, body, secret, amz_date, parsed["scope"], signed)
    if not hmac.compare_digest(wanted, parsed["signature"]):
        return "The request signature we calculated does not match the signature you provided."
    return botocore_problem(method, target, raw_headers, body, parsed, secret, amz_date)


def botocore_problem(method, target, raw_headers, body, parsed, secret, amz_date):
    """botocore's signer on the same request, where botocore is importable; else None."""
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        return None
    signed = parsed["signed"]
    headers = [(name, value) for name, value in raw_headers if name.lower() in signed]
    host = header_values(raw_headers, "host")[0]
    tokens = header_values(raw_headers, "x-amz-security-token")
    credentials = Credentials(parsed["key"], secret, tokens[0] if tokens and "x-amz-security-token" in signed else None)
    date, region, service = parsed["scope"][:3]
    auth = SigV4Auth(credentials, service, region)
    request = AWSRequest(method=method, url="http://" + host + target, data=body)
    for name, value in headers:
        request.headers[name] = value  # botocore's headers keep repeated names, as sent
    request.context["timestamp"] = amz_date
    auth._modify_request_before_signing(request)
    signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if signature != parsed["signature"]:
        return "botocore's signer computes a different signature for this request"
    return None
