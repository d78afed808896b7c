#!/usr/bin/env python3
"""ecr-login: the Amazon ECR credential helper for Docker, in one stdlib-only file.

A drop-in replacement for awslabs/amazon-ecr-credential-helper's ``docker-credential-ecr-login``.
Docker, Podman, skopeo, BuildKit and the kubelet run it with an action (``get``, ``store``,
``erase``, ``list``, ``version``) and talk to it over stdin and stdout.

The sections, each under a banner, come in the order a ``get`` goes through them, after the
lean helpers every path shares:

ERRORS AND SETTINGS   the exceptions (a HelperError's text is safe to show) and SETTINGS, every
                      variable and profile key the helper reads, resolved by one function.
TIME AND JSON         calendar arithmetic, and JSON read and written without the json package.
CACHE DIRECTORY       the one rule for trusting ~/.ecr, and the one way to open files in it.
LOG                   ~/.ecr/log/ecr-login.log: one line per event, never a secret.
REGISTRY NAMES        the URL Docker writes on stdin becomes a Registry (or ECR Public); any
                      other host is "credentials not found" at once, without a network call.
HELPER CONFIG         ~/.ecr/config.json: a profile, role or registry per host; the fallback.
CONFIG FILES          ~/.aws/config and credentials, by the cross-SDK profile-file rules.
CREDENTIAL PROVIDERS  the AWS CLI's chain as one table, CHAIN: walked without network, it gives
                      a Source whose identity (never a secret) keys the token cache.
TOKEN CACHE           the Go helper's cache.json, shared with it: a CacheEntry owns an entry's
                      rules, a CacheSlot one registry's entry, a FileLock the single flight.
HTTP, SIGV4, ES256    on a miss only: the source fetches credentials and ECR is called.
ECR API               GetAuthorizationToken, private and public.
GET                   Context (one run) and Request (one registry): source, cache, token.
COMMANDS              the docker protocol, kubelet, get-login-password, configure, doctor,
                      and main, where any failure becomes the protocol's not-found answer.

Where to change what:
- A credential source: a block under CREDENTIAL PROVIDERS (its Source class, whose fetch does
  the network work, and its planner) and a row in CHAIN, whose order is the precedence; get,
  credential_source and doctor all read CHAIN (tests/test_source_profiles.py holds doctor to get).
- A partition: REGION_PARTITIONS and ECR_SUFFIXES (REGISTRY NAMES), then SERVICE_HOSTS and
  SIGNIN_DOMAINS for its endpoints (tests/test_registry.py, tests/test_endpoints.py).
- The cache format: CacheEntry and cache_keys. The Go helper reads the same file, so its keys
  and schema stay (tests/test_peer_cases.py has the Go helper's own cases).
- A command: an action function under COMMANDS, and a row in ACTIONS (the docker protocol)
  or COMMANDS (with its usage).
- A setting: a row in SETTINGS and a line in the README's tables (tests/test_settings.py holds
  the two together).

The import diet: a warm ``get`` imports nothing beyond what Python loads itself, as every
``docker pull`` pays for start-up (tests/test_warm.py guards it). What a cold path needs
(``socket``, ``ssl``, ``subprocess``) is imported inside the function that uses it, and a cold
get with keys or a role imports no ``urllib``, ``http``, ``json``, ``hashlib``, ``hmac``, ``re``
or ``xml`` either (tests/test_http.py's ImportDietTest).
"""

import os
import stat
import sys
import time

VERSION = "1.0.0"
PROGRAM = "docker-credential-ecr-login"

# The docker credential-helper protocol's exact strings: Docker and docker-py compare them.
NOT_FOUND = "credentials not found in native keychain"
NO_SERVER_URL = "no credentials server URL"
NO_USERNAME = "no credentials username"
NOT_IMPLEMENTED = "not implemented"
USAGE = "Usage: %s <store|get|erase|list|version>" % PROGRAM

# Tokens and credentials this close to expiry are treated as expired, so nothing handed to
# Docker can run out during the pull that asked for it.
EXPIRY_MARGIN_SECONDS = 300

# Docker writes one URL; anything much longer is not a registry and is not read in full.
MAX_STDIN_BYTES = 64 * 1024
MAX_SERVER_URL_LENGTH = 2048

# What the hand-written parsers (JSON, times, host names, settings) accept, without re.
DIGITS = frozenset("0123456789")
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# ============================================================================================
# ERRORS AND SETTINGS (what a failure is, and every setting the helper reads, resolved one way)
# ============================================================================================


class HelperError(Exception):
    """A failure explained in one line that is safe to show: it never holds a secret."""


class NotECRError(HelperError):
    """The server URL does not name an ECR registry."""


class OtherRegistryError(NotECRError):
    """A well-formed host of a registry that is not ECR. Under credsStore Docker asks about
    every registry, so these get no stderr line and may go to a fallback helper."""


class ConfigError(HelperError):
    """A config file, a profile or an environment variable is wrong."""


class CredentialsError(HelperError):
    """No usable AWS credentials, or a configured credential source failed."""


class AWSError(HelperError):
    """An AWS endpoint answered with an error, or could not be reached."""

    def __init__(self, message, code="", status=0, retryable=False):
        HelperError.__init__(self, message)
        self.code = code
        self.status = status
        self.retryable = retryable


# Every setting the helper reads, by name: (environment variable, key in the AWS profile or
# None, kind, default, minimum). A value comes from the environment when it is set there (the
# profile's is then not even read, as in botocore), else from the profile, else the default.
# Kinds: "number" (finite, at least the minimum), "count" (a number, cut to a whole one),
# "flag" (true in any case), "exact" (exactly "true", as the Go helper reads it), "set" (any
# non-empty value), "text"; and the log's own, "level" and "bytes", whose bad values fall back
# to the default and are named once on stderr and by doctor (the log cannot report them).
# The zipapp's bootstrap reads cache_dir and disable_bytecode_cache itself, before this module
# is loaded: cache_directory is copied into it, so it reads its variable without this table.
SETTINGS = {
    "cache_dir": ("AWS_ECR_CACHE_DIR", None, "text", "", None),
    "disable_cache": ("AWS_ECR_DISABLE_CACHE", None, "set", False, None),
    "disable_bytecode_cache": ("AWS_ECR_DISABLE_BYTECODE_CACHE", None, "set", False, None),
    "ignore_creds_storage": ("AWS_ECR_IGNORE_CREDS_STORAGE", None, "exact", False, None),
    "fallback_helper": ("AWS_ECR_FALLBACK_HELPER", None, "text", "", None),
    "config_file": ("AWS_ECR_CONFIG_FILE", None, "text", "", None),
    "log_level": ("AWS_ECR_LOG_LEVEL", None, "level", "info", None),
    "log_file": ("AWS_ECR_LOG_FILE", None, "text", "", None),
    "log_max_bytes": ("AWS_ECR_LOG_MAX_BYTES", None, "bytes", 1024 * 1024, None),  # then it moves to .1
    "http_timeout": ("AWS_ECR_HTTP_TIMEOUT", None, "number", 10.0, 0.0),  # one attempt, whole answer
    "total_timeout": ("AWS_ECR_TOTAL_TIMEOUT", None, "number", 30.0, 0.0),  # all attempts, backoff too
    # backoff base: attempt n waits rand() * min(delay * 2^(n-1), 20 s)
    "retry_delay": ("AWS_ECR_RETRY_DELAY", None, "number", 1.0, 0.0),
    "process_timeout": ("AWS_ECR_PROCESS_TIMEOUT", None, "number", 60.0, 0.0),
    "lock_timeout": ("AWS_ECR_LOCK_TIMEOUT", None, "number", 60.0, 0.0),
    "kubelet_role_arn": ("AWS_ECR_ROLE_ARN", None, "text", "", None),
    "max_attempts": ("AWS_MAX_ATTEMPTS", None, "count", 3, 1),
    "imds_disabled": ("AWS_EC2_METADATA_DISABLED", None, "flag", False, None),
    "imds_v1_disabled": ("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled", "flag", False, None),
    "imds_timeout": ("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout", "number", 1.0, 0.0),
    "imds_attempts": ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", "count", 1, 1),
    # the botocore container provider reads the IMDS timeout variable too, with its own default
    "container_timeout": ("AWS_METADATA_SERVICE_TIMEOUT", None, "number", 2.0, 0.0),
    "imds_endpoint": ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint", "text", "", None),
    "imds_endpoint_mode": ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode", "text",
                           "", None),
    "sts_regional_endpoints": ("AWS_STS_REGIONAL_ENDPOINTS", "sts_regional_endpoints", "text", "", None),
    "ca_bundle": ("AWS_CA_BUNDLE", "ca_bundle", "text", "", None),
    "login_cache_directory": ("AWS_LOGIN_CACHE_DIRECTORY", None, "text", "", None),
}
# What a fetch uses: resolved before it starts, so a bad value fails every cold get alike.
FETCH_SETTINGS = ("http_timeout", "total_timeout", "retry_delay", "max_attempts", "lock_timeout")
LOG_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "off": 100}


def setting(name, env, profile=None):
    """The value of a setting (SETTINGS) in env, else in profile (a mapping), else its default.
    ConfigError names a malformed one; a log setting's falls back to the default (Log.setting)."""
    variable, key, kind, default, minimum = SETTINGS[name]
    raw = env.get(variable, "")
    if key and not raw.strip():
        variable, raw = key, str((profile or {}).get(key, ""))
    if kind == "text":
        return raw
    if kind == "set":
        return bool(raw)
    if kind == "exact":
        return raw == "true"
    raw = raw.strip()
    if kind == "flag":
        return raw.lower() == "true"
    if not raw:
        return default
    if kind == "level":
        if raw.lower() not in LOG_LEVELS:
            raise ConfigError("%s=%r is not one of %s: level %s is used" % (
                variable, raw.lower()[:40], ", ".join(sorted(LOG_LEVELS, key=LOG_LEVELS.get)), default))
        return raw.lower()
    if kind == "bytes":
        if not DIGITS.issuperset(raw):
            raise ConfigError("%s=%r is not a number of bytes: %d is used" % (variable, raw[:40], default))
        return int(raw)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError("%s must be a number, not %r" % (variable, raw[:40]))
    if not minimum <= value < float("inf"):  # also false for NaN
        raise ConfigError("%s must be a finite number of at least %s, not %r" % (variable, minimum, raw[:40]))
    return int(value) if kind == "count" else value


class Settings:
    """The environment's settings for one run, each resolved on first use and then kept (a
    warm get reads only the few it needs)."""

    def __init__(self, env):
        self.env = env

    def __getattr__(self, name):
        if name not in SETTINGS:
            raise AttributeError(name)
        value = setting(name, self.env)
        setattr(self, name, value)
        return value

    def resolve(self, names):
        """Resolve these settings now: ConfigError for the first malformed one."""
        for name in names:
            getattr(self, name)


# ============================================================================================
# TIME AND JSON (lean versions for the warm path: no datetime, no json package)
# ============================================================================================


def days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_timestamp(text):
    """Epoch seconds of an RFC 3339 time such as Go writes ("2026-07-21T10:15:30.123456789-07:00")
    or AWS returns ("2026-07-21T05:15:30Z"). ValueError when it is not one."""
    if not isinstance(text, str) or len(text) < 20 or len(text) > 40:
        raise ValueError("not an RFC 3339 time: %r" % (text,))
    if text[4] != "-" or text[7] != "-" or text[10] not in "Tt " or text[13] != ":" or text[16] != ":":
        raise ValueError("not an RFC 3339 time: %r" % text)
    fields = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(DIGITS.issuperset(field) for field in fields):
        raise ValueError("not an RFC 3339 time: %r" % text)
    year, month, day, hour, minute, second = (int(field) for field in fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        raise ValueError("not an RFC 3339 time: %r" % text)
    if day > days_from_civil(year + month // 12, month % 12 + 1, 1) - days_from_civil(year, month, 1):
        raise ValueError("not an RFC 3339 time: %r" % text)  # a day the month does not have, as Go says
    rest = text[19:]
    fraction = 0.0
    if rest.startswith("."):
        end = 1
        while end < len(rest) and rest[end] in DIGITS:
            end += 1
        if end == 1:
            raise ValueError("not an RFC 3339 time: %r" % text)
        fraction = float("0" + rest[:end])
        rest = rest[end:]
    if rest in ("Z", "z"):
        offset = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":" and DIGITS.issuperset(rest[1:3] + rest[4:6]):
        offset = (int(rest[1:3]) * 60 + int(rest[4:6])) * 60
        if rest[0] == "-":
            offset = -offset
    else:
        raise ValueError("not an RFC 3339 time: %r" % text)
    days = days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second - offset + fraction


def civil_from_days(days):
    """(year, month, day) of a day number since 1970-01-01: days_from_civil() undone."""
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # 0 is March
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + (3 if shifted_month < 10 else -9)
    return year_of_era + era * 400 + (month <= 2), month, day


def utc_fields(seconds):
    """(year, month, day, hour, minute, second) in UTC, by arithmetic: time.gmtime overflows a
    32-bit time_t for token and role expiries after 2038-01-19."""
    days, second_of_day = divmod(int(seconds), 86400)
    return civil_from_days(days) + (second_of_day // 3600, second_of_day // 60 % 60, second_of_day % 60)


def format_go_time(epoch_ns, utc=False):
    """RFC 3339 with nanoseconds, trailing zeros trimmed, as Go's time.RFC3339Nano writes it:
    local time with its offset, or UTC with "Z"."""
    seconds, nanos = divmod(int(epoch_ns), 10 ** 9)
    if utc:
        fields, offset = utc_fields(seconds), 0
    else:
        parts = time.localtime(seconds)
        fields, offset = tuple(parts[:6]), parts.tm_gmtoff
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % fields
    if nanos:
        text += ("." + "%09d" % nanos).rstrip("0")
    if not offset:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    minutes = abs(offset) // 60
    return text + "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


def format_expiry(epoch):
    """An expiry time as the cache writes it: UTC, milliseconds."""
    return format_go_time(int(round(epoch * 1000)) * 10 ** 6, utc=True)


def now_ns():
    return time.time_ns() if hasattr(time, "time_ns") else int(time.time() * 1e9)


class _JSONScannerContext:
    """The settings object the C JSON scanner reads; the same defaults json.loads uses."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    array_hook = None  # read from 3.15 on
    parse_float = float
    parse_int = int
    memo = None

    @staticmethod
    def parse_constant(name):
        raise ValueError("JSON constant %s is not allowed" % name)


# [the C JSON scanner, or None where there is none (PyPy)]: looked up once, as a failed import
# searches the whole path.
C_JSON_SCANNER = []


def json_loads(text):
    """json.loads without importing the json package, whose ``re`` import costs more than the
    rest of a warm get: the C scanner where this Python has one, else (PyPy) or when it
    finds no JSON, JSONReader. ValueError for anything that is not JSON, however broken."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not C_JSON_SCANNER:
        try:
            import _json

            C_JSON_SCANNER.append(_json.make_scanner(_JSONScannerContext()))
        except (ImportError, AttributeError, TypeError):  # none, or one that wants other settings
            C_JSON_SCANNER.append(None)
    if C_JSON_SCANNER[0] is not None:
        try:
            value, end = C_JSON_SCANNER[0](text, json_skip_space(text, 0))
            if json_skip_space(text, end) == len(text):
                return value
        except (StopIteration, ValueError, SystemError, RecursionError):
            pass  # not JSON (3.10 to 3.13 then fail with SystemError, 3.14 imports json.decoder)
    return JSONReader(text).document()  # which says what is wrong with it, if anything


def json_skip_space(text, at):
    """The index of the first character from at that is not JSON whitespace (or len(text))."""
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


class JSONReader:
    """json.loads (without NaN and Infinity) in plain Python, for Pythons without the C scanner."""

    MAX_DEPTH = 100  # far deeper than any document read here; the stack stays small
    ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    WORDS = (("true", True), ("false", False), ("null", None))

    def __init__(self, text):
        self.text = text

    def fail(self, what, at):
        raise ValueError("%s at character %d of the JSON" % (what, at))

    def expect(self, char, at):
        """The index after char, which must be the next character from at that is not whitespace."""
        at = json_skip_space(self.text, at)
        if not self.text.startswith(char, at):
            self.fail("expected %r" % char, at)
        return at + 1

    def document(self):
        value, at = self.value(json_skip_space(self.text, 0), 0)
        at = json_skip_space(self.text, at)
        if at < len(self.text):
            self.fail("extra data", at)
        return value

    def value(self, at, depth):
        """(the value that starts at index at, the index after it)."""
        text = self.text
        char = text[at:at + 1]
        if char == '"':
            return self.string(at + 1)
        if char in ("[", "{"):
            if depth == self.MAX_DEPTH:
                self.fail("nested too deeply", at)
            return self.container(char, at + 1, depth + 1)
        for word, value in self.WORDS:
            if text.startswith(word, at):
                return value, at + len(word)
        return self.number(at)

    def container(self, opening, at, depth):
        """The array or object whose opening bracket is before at."""
        closing = "]" if opening == "[" else "}"
        items = [] if opening == "[" else {}
        at = json_skip_space(self.text, at)
        if self.text.startswith(closing, at):
            return items, at + 1
        while True:
            if opening == "[":
                item, at = self.value(at, depth)
                items.append(item)
            else:
                key, at = self.string(self.expect('"', at))
                item, at = self.value(json_skip_space(self.text, self.expect(":", at)), depth)
                items[key] = item
            at = json_skip_space(self.text, at)
            if self.text.startswith(closing, at):
                return items, at + 1
            at = json_skip_space(self.text, self.expect(",", at))

    def number(self, at):
        text, start = self.text, at
        if text.startswith("-", at):
            at += 1
        at = at + 1 if text.startswith("0", at) else self.digits(at, start)
        whole = at
        if text.startswith(".", at):
            at = self.digits(at + 1, start)
        if text[at:at + 1] in ("e", "E"):
            at = self.digits(at + 2 if text[at + 1:at + 2] in ("+", "-") else at + 1, start)
        return (int if at == whole else float)(text[start:at]), at

    def digits(self, at, start):
        """The index after the one or more ASCII digits from at; the value began at start."""
        end = at
        while end < len(self.text) and self.text[end] in DIGITS:
            end += 1
        if end == at:
            self.fail("expected a value", start)
        return end

    def string(self, at):
        """The string whose opening quote is before at, and the index after its closing quote."""
        text, chunks, quote = self.text, [], -1
        while True:
            if quote < at:  # the last quote found was escaped
                quote = text.find('"', at)
                if quote < 0:
                    self.fail("unterminated string", at)
            backslash = text.find("\\", at, quote)
            end = quote if backslash < 0 else backslash
            chunk = text[at:end]
            if chunk and min(chunk) < " ":
                self.fail("control character in a string", at)
            chunks.append(chunk)
            if end == quote:
                return "".join(chunks), quote + 1
            kind = text[end + 1:end + 2]
            if kind == "u":
                code, at = self.hex4(end + 2)
                if 0xD800 <= code < 0xDC00 and text.startswith("\\u", at):
                    low, after = self.hex4(at + 2)
                    if 0xDC00 <= low < 0xE000:  # a surrogate pair: one character
                        code, at = 0x10000 + (code - 0xD800 << 10) + low - 0xDC00, after
                chunks.append(chr(code))
            elif kind in self.ESCAPES:
                chunks.append(self.ESCAPES[kind])
                at = end + 2
            else:
                self.fail("unknown escape", end)

    def hex4(self, at):
        digits = self.text[at:at + 4]
        if len(digits) < 4 or not HEX_DIGITS.issuperset(digits):
            self.fail("bad \\u escape", at)
        return int(digits, 16), at + 4


# The characters Go's encoder escapes in a string (UTF-8 is kept): ", \, controls and the HTML ones.
JSON_STRING_ESCAPES = dict((code, "\\u%04x" % code) for code in range(0x20))
JSON_STRING_ESCAPES.update((ord(char), escaped) for char, escaped in (
    ('"', '\\"'), ("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\b", "\\b"), ("\f", "\\f"),
    ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")))


def json_string(value):
    """A JSON string literal written like Go's encoder: UTF-8 kept, <, > and & escaped."""
    return '"%s"' % value.translate(JSON_STRING_ESCAPES)


def json_dumps(document, indent=None):
    """JSON as UTF-8 bytes without the json package: compact, or laid out as json.dumps(indent=...)
    does (a number of spaces, or the text of one level); objects keep their order, strings are
    written by json_string."""
    return json_text(document, " " * indent if isinstance(indent, int) else indent, 1).encode("utf-8")


def json_text(value, indent, depth):
    if isinstance(value, str):
        return json_string(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("%r is not a JSON number" % value)
        return float.__repr__(value)
    if isinstance(value, dict):
        items = ["%s%s%s" % (json_string(key), ":" if indent is None else ": ", json_text(item, indent, depth + 1))
                 for key, item in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, (list, tuple)):
        items = [json_text(item, indent, depth + 1) for item in value]
        opening, closing = "[", "]"
    else:
        raise TypeError("%s cannot be written as JSON" % type(value).__name__)
    if not items:
        return opening + closing
    if indent is None:
        return opening + ",".join(items) + closing
    inner, outer = "\n" + indent * depth, "\n" + indent * (depth - 1)
    return opening + inner + ("," + inner).join(items) + outer + closing


# ============================================================================================
# CACHE DIRECTORY (the one rule for trusting it, and the one way to open files in it)
# ============================================================================================

#
# The helper runs as root under the kubelet and as every user of a shared host, and its
# cache holds tokens, role credentials and the bytecode the zipapp executes. Nothing in it
# is used unless no other user could have put it there: every level of the path is a real
# directory (or a symlink of root's or ours, followed) owned by root or us and writable by
# nobody else unless it is sticky, and the cache directory itself is ours and 0700. When
# the rule fails the helper runs uncached. build_zipapp.py copies the definitions the
# bootstrap needs verbatim into it, so the bytecode is checked by this same code.

# A path that needs more symlinks than this (the kernel's own limit) is a loop.
MAX_SYMLINKS = 40
WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH
OPEN_TO_OTHERS = 0o077
PRIVATE_DIRECTORY_MODE = 0o700
# Never follow a symlink in the last step, never block on a FIFO; on Windows binary mode (os.open
# defaults to text there: a \n written becomes \r\n, and a read stops at the first \x1a).
SAFE_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
BYTECODE_DIRECTORY = "pycache"
MAX_BYTECODE_BYTES = 16 * 1024 * 1024
PRIVATE_FILE_MODE = 0o600
# A temp file this old was left by a killed writer (a live one renames it within a second).
STALE_TEMP_SECONDS = 300


class UntrustedFile(OSError):
    """A file in the cache directory that another user could have written, or that is not a
    plain file (a FIFO, a device, a hard link): ignored when read, replaced when written."""


def cache_directory(env):
    """$AWS_ECR_CACHE_DIR or ~/.ecr; None when there is no home to put it in."""
    directory = env.get("AWS_ECR_CACHE_DIR", "")
    if directory:
        return expand_home(directory, env)
    home = home_directory(env)
    return os.path.join(home, ".ecr") if home else None


def effective_uid():
    """Our uid, or None where files have no POSIX owner (Windows: ACLs guard the profile)."""
    return os.geteuid() if hasattr(os, "geteuid") else None


def make_private_level(path):
    """mkdir path as 0700, whatever the umask took away. One that a concurrent helper made
    a moment ago is left as it is, to the checks that follow (else that helper's burst
    partners would each run without the cache, and make a token call of their own)."""
    try:
        os.mkdir(path, PRIVATE_DIRECTORY_MODE)
    except FileExistsError:
        return
    os.chmod(path, PRIVATE_DIRECTORY_MODE)


def level_problem(path, info, uid, last):
    """Why one level of the path (its lstat info) lets another user in, or None: a level on
    the way must be a directory of ours or root's that nobody else may write unless it is
    sticky; the last one (the directory itself) must be ours and 0700."""
    if stat.S_ISLNK(info.st_mode):
        return "%s is a symlink of uid %d (only yours or root's are followed, %d at most)" % (
            path, info.st_uid, MAX_SYMLINKS)
    if not stat.S_ISDIR(info.st_mode):
        return "%s is not a directory" % path
    if uid is None:
        return None
    if info.st_uid != uid and (last or info.st_uid != 0):
        return "%s belongs to uid %d, not to you (uid %d%s)" % (path, info.st_uid, uid, "" if last else ") or root (")
    if last and info.st_mode & OPEN_TO_OTHERS:
        return "%s is open to other users (mode %04o, not 0700)" % (path, stat.S_IMODE(info.st_mode))
    if info.st_mode & WRITABLE_BY_OTHERS and not info.st_mode & stat.S_ISVTX:
        return "%s is writable by other users (mode %04o)" % (path, stat.S_IMODE(info.st_mode))
    return None


def path_levels(path):
    """(the root of path, the names below it as a stack: the first one last)."""
    drive, rest = os.path.splitdrive(path)
    return drive + os.sep, [name for name in reversed(rest.replace(os.sep, "/").split("/")) if name not in ("", ".")]


def directory_problem(path, create=False):
    """None when no other user can change what is in directory path (the trust rule above),
    else why not, in one phrase. The walk goes from / with lstat, following symlinks of ours
    or root's; with create, missing levels are made 0700 one by one."""
    if not os.path.isabs(path):
        return "%s is not an absolute path" % path
    uid, links = effective_uid(), 0
    current, names = path_levels(path)
    try:
        while True:
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                if not create:
                    return "%s does not exist yet" % current
                make_private_level(current)
                info = os.lstat(current)
            if stat.S_ISLNK(info.st_mode) and info.st_uid in (uid, 0) and links < MAX_SYMLINKS:
                links += 1
                target = os.readlink(current)
                root, more = path_levels(target)
                names.extend(more)
                current = root if os.path.isabs(target) else os.path.dirname(current)
                continue
            problem = level_problem(current, info, uid, not names)
            if problem or not names:
                return problem
            name = names.pop()
            current = os.path.dirname(current) if name == ".." else os.path.join(current, name)
    except OSError as error:
        return "cannot use %s: %s" % (current, error.strerror or error)


def subdirectory_problem(path, create=False):
    """directory_problem for a directory inside one that passed it: only this level is looked at."""
    try:
        if create and not os.path.lexists(path):
            make_private_level(path)
        return level_problem(path, os.lstat(path), effective_uid(), True)
    except OSError as error:
        return "cannot use %s: %s" % (path, error.strerror or error)


def is_private_file(info):
    """A plain file with one name, owned by us (or root), that nobody else may write. Where
    files have no POSIX owner (uid None: Windows) only the first two are checked: the mode
    bits there say nothing about other users (every writable file shows 0666), and the
    profile's ACLs keep them out, as for the AWS CLI's and Docker's own files."""
    uid = effective_uid()
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and (
        uid is None or info.st_uid in (uid, 0) and not info.st_mode & WRITABLE_BY_OTHERS)


def read_private_file(path, limit):
    """The content of a private file (is_private_file) of at most limit bytes. OSError when
    it is missing or unreadable, UntrustedFile when it is anything else."""
    descriptor = os.open(path, os.O_RDONLY | SAFE_OPEN_FLAGS)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not is_private_file(info):
            raise UntrustedFile("%s is not a private file of yours" % path)
        if info.st_size > limit:
            raise UntrustedFile("%s is larger than %d bytes" % (path, limit))
        return handle.read(info.st_size + 1)  # not limit + 1: a buffer that big costs 0.2 ms


def read_plain_file(path, limit):
    """(the content of a regular file, its stat result), read up to one byte past limit and
    opened without waiting on a FIFO. OSError when it is missing or unreadable, UntrustedFile
    when it is no regular file."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):  # checked before fdopen, which refuses a directory itself
        os.close(descriptor)
        raise UntrustedFile("%s is not a regular file" % path)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit + 1), info


def read_json_file(path, limit, private=False):
    """The JSON value of a file of at most limit bytes: every JSON file the helper reads comes
    through here (configure's too, by read_json_object). private: only a private file of ours,
    opened as read_private_file does (no symlink in the last step). OSError when it is missing
    or unreadable (UntrustedFile: not private, not a regular file), ValueError when too big or
    not JSON."""
    data = read_private_file(path, limit) if private else read_plain_file(path, limit)[0]
    if len(data) > limit:
        raise ValueError("%s is larger than %d bytes" % (path, limit))
    return json_loads(data)


def open_private_writable(path, flags):
    """A descriptor, opened with flags, of the private file at path (made if missing).
    Anything else there (a symlink, a FIFO, a hard link, another user's file) is removed and
    a fresh file made in its place with O_EXCL, which nothing can redirect."""
    try:
        descriptor = os.open(path, flags | os.O_CREAT | SAFE_OPEN_FLAGS, PRIVATE_FILE_MODE)
    except OSError:
        pass
    else:
        if is_private_file(os.fstat(descriptor)):
            return descriptor
        os.close(descriptor)
    os.unlink(path)
    return os.open(path, flags | os.O_CREAT | os.O_EXCL | SAFE_OPEN_FLAGS, PRIVATE_FILE_MODE)


def save_bytecode(env, name, data):
    """For the zipapp's bootstrap: keep freshly compiled code in <cache dir>/pycache/<name>
    when the trust rule allows; if it cannot, the next start compiles again."""
    directory = Context(env).cache_subdirectory(BYTECODE_DIRECTORY)
    if directory is not None:
        try:
            write_private_file(os.path.join(directory, name), data)
        except OSError:
            pass


def remove_stale_temp_files(path, now):
    """Delete <path>.*.tmp files last written before now - STALE_TEMP_SECONDS: a writer killed
    between writing one (it may hold a token) and renaming it never comes back for it."""
    directory, name = os.path.split(path)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for entry in names:
        if entry.startswith(name + ".") and entry.endswith(".tmp"):
            try:
                if os.lstat(os.path.join(directory, entry)).st_mtime < now - STALE_TEMP_SECONDS:
                    os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


# ============================================================================================
# LOG (<cache dir>/log/ecr-login.log: one line per event, capped, never a secret)
# ============================================================================================

LOG_DIRECTORY = "log"
LOG_FILE_NAME = "ecr-login.log"
LOG_OFF_VALUES = ("off", "none", "/dev/null")


class Log:
    """Appends 'time=... level=... msg="..."' lines. Secrets the run has seen are masked
    before anything is written, as a last guard behind messages that never include them.
    The default file is used only in a cache directory that passes the trust rule
    (cache_subdirectory: a function of a subdirectory's name giving its path or None)."""

    def __init__(self, env, secrets, cache_subdirectory):
        self.secrets = secrets
        self.cache_subdirectory = cache_subdirectory
        self.problems = []  # malformed log settings, replaced by their defaults
        self.level = LOG_LEVELS[self.setting("log_level", env)]
        self.max_bytes = self.setting("log_max_bytes", env)
        path = setting("log_file", env).strip()
        self.in_cache = not path
        self.checked = not self.in_cache
        if path.lower() in LOG_OFF_VALUES:
            self.path = None
        elif path:
            self.path = expand_home(path, env)
        else:
            directory = cache_directory(env)
            self.path = os.path.join(directory, LOG_DIRECTORY, LOG_FILE_NAME) if directory else None

    def setting(self, name, env):
        """A log setting's value; a malformed one is its default, and its reason one of problems."""
        try:
            return setting(name, env)
        except ConfigError as error:
            self.problems.append(str(error))
            return SETTINGS[name][3]

    def usable_path(self):
        """The file lines go to, or None: no log, or a default one in an untrusted cache."""
        if not self.checked:
            self.checked = True
            if self.path is not None and self.cache_subdirectory(LOG_DIRECTORY) is None:
                self.path = None
        return self.path

    def debug(self, message):
        self.write("debug", message)

    def info(self, message):
        self.write("info", message)

    def warning(self, message):
        self.write("warning", message)

    def error(self, message):
        self.write("error", message)

    def write(self, level, message):
        if LOG_LEVELS[level] < self.level or self.usable_path() is None:
            return
        try:  # the line is made in here too: nothing about a log line may stop a pull
            # Messages quote files and endpoint answers: as a JSON string with $ and ` escaped
            # too, a line stays inert even if it ever lands in a shell's dotfile.
            text = json_string(redact(message, self.secrets)).replace("$", "\\u0024").replace("`", "\\u0060")
            line = 'time="%s" level=%s pid=%d msg=%s\n' % (
                format_go_time(now_ns() // 10 ** 9 * 10 ** 9), level, os.getpid(), text)
            if not self.in_cache:
                make_private_directory(os.path.dirname(self.path))
            with os.fdopen(self.open_for_append(), "ab") as handle:
                handle.write(line.encode("utf-8", "replace"))
        except Exception:
            self.path = None

    def open_for_append(self):
        """A descriptor at the end of the log, which moves to .1 first once it is too big."""
        descriptor = open_private_writable(self.path, os.O_WRONLY | os.O_APPEND)
        if os.fstat(descriptor).st_size < self.max_bytes:
            return descriptor
        os.close(descriptor)
        replace_file(self.path, self.path + ".1")
        return open_private_writable(self.path, os.O_WRONLY | os.O_APPEND)


def redact(text, secrets):
    """text with every known secret, and the user info of every URL, replaced by ****."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "****")
    return mask_userinfo(text)


# Where the authority of a URL quoted in a message ends.
AUTHORITY_ENDS = frozenset("/?#\\ \t\r\n\"'<>()[]{},;")


def mask_userinfo(text):
    """text with the user info of each URL in it (scheme://user:password@host: proxy and
    endpoint URLs may carry a password) replaced by ****."""
    if "@" not in text:
        return text
    parts = text.split("://")
    for index in range(1, len(parts)):
        part = parts[index]
        end = 0
        while end < len(part) and part[end] not in AUTHORITY_ENDS:
            end += 1
        at = part.rfind("@", 0, end)
        if at >= 0:
            parts[index] = "****" + part[at:]
    return "://".join(parts)


# ============================================================================================
# REGISTRY NAMES
# ============================================================================================

ECR_PUBLIC_HOSTS = ("public.ecr.aws", "ecr-public.aws.com")
ECR_PUBLIC_REGION = "us-east-1"  # the ECR Public API exists only in us-east-1

# The registry DNS suffixes the Go helper's regex accepts, each saying whether its hosts are
# dual-stack (IPv6) ones. The API endpoint's partition comes from the region, as in the SDKs.
ECR_SUFFIXES = {
    "amazonaws.com": False,  # aws, aws-us-gov
    "amazonaws.com.cn": False,  # aws-cn
    "amazonaws.eu": False,  # aws-eusc
    "on.aws": True,  # dual-stack aws, aws-us-gov
    "on.amazonwebservices.com.cn": True,  # dual-stack aws-cn
    "c2s.ic.gov": False,  # aws-iso
    "sc2s.sgov.gov": False,  # aws-iso-b
    "cloud.adc-e.uk": False,  # aws-iso-e
    "csp.hci.ic.gov": False,  # aws-iso-f
}
# ECR Public's dual-stack host name.
ECR_PUBLIC_DUALSTACK_HOST = "ecr-public.aws.com"

REGION_CHARS = ALNUM | frozenset("-_")
ACCOUNT_ID_LENGTH = 12


class Registry:
    """An ECR registry named by a server URL.

    service is "ecr" or "ecr-public"; account is the 12-digit registry id ("" for ECR
    Public, and for the caller's own registry); dualstack says the host is a dual-stack one,
    whose users want the dual-stack API endpoint too.
    """

    __slots__ = ("host", "service", "account", "region", "fips", "dualstack")

    def __init__(self, host, service, account, region, fips, dualstack):
        self.host = host
        self.service = service
        self.account = account
        self.region = region
        self.fips = fips
        self.dualstack = dualstack

    @property
    def is_public(self):
        return self.service == "ecr-public"

    def __repr__(self):
        return "Registry(%r)" % self.host


def server_url_host(server_url):
    """The host name in a server URL as Docker writes it: a bare host or https://host, maybe
    with a port, a path, a query or user info. Lower-cased: DNS names ignore case."""
    text = server_url.strip()
    if not text:
        raise NotECRError("the server URL is empty")
    if len(text) > MAX_SERVER_URL_LENGTH:
        raise NotECRError("the server URL is %d characters long, too long for a registry" % len(text))
    for char in text:
        if char <= " " or char == "\x7f":
            raise NotECRError("the server URL contains spaces or control characters")
    lowered = text[:8].lower()
    for scheme in ("https://", "http://"):
        if lowered.startswith(scheme):
            text = text[len(scheme):]
            break
    for separator in "/?#\\":
        text = text.split(separator, 1)[0]
    if "@" in text:  # user info: the host is what follows the last @
        text = text.rsplit("@", 1)[1]
    host, colon, port = text.partition(":")
    if colon and not (port and len(port) <= 5 and DIGITS.issuperset(port) and int(port) <= 65535):
        raise NotECRError("the server URL has an invalid port %r" % port[:8])
    if not host:
        raise NotECRError("the server URL has no host name")
    return host.lower()


def ecr_host_labels(host):
    """(account, service label, region, dual-stack) of a lower-case host shaped like a private
    ECR registry, ACCOUNT.dkr.ecr[-fips].REGION.<suffix> or ACCOUNT.dkr-ecr[-fips].REGION.<suffix>,
    with account and region not yet checked; None for any other host."""
    for suffix, dualstack in ECR_SUFFIXES.items():
        if host.endswith("." + suffix):
            break
    else:
        return None
    labels = host[: -len(suffix) - 1].split(".")
    if len(labels) == 4 and labels[1] == "dkr":  # 123456789012.dkr.ecr[-fips].region
        account, service_label, region = labels[0], "dkr-" + labels[2], labels[3]
    elif len(labels) == 3:  # 123456789012.dkr-ecr[-fips].region
        account, service_label, region = labels
    else:
        return None
    if service_label not in ("dkr-ecr", "dkr-ecr-fips"):
        return None
    return account, service_label, region, dualstack


def ecr_host_typo(account, region):
    """Why an ECR-shaped host's account id or region cannot be right, or ""."""
    if len(account) != ACCOUNT_ID_LENGTH or not DIGITS.issuperset(account):
        return "the account id %r is not %d digits" % (account[:40], ACCOUNT_ID_LENGTH)
    if not region or region[0] not in ALNUM or not REGION_CHARS.issuperset(region):
        return "%r is not a region name" % region[:40]
    return ""


def endpoint_registry(url):
    """The Registry of a proxyEndpoint exactly as ECR writes it, https://<registry host>
    (no port, path or user info), or None."""
    if not isinstance(url, str) or not url.startswith("https://"):
        return None
    host = url[len("https://"):]
    if not host or host != host.lower() or not (ALNUM | frozenset(".-")).issuperset(host):
        return None
    return match_registry_host(host)


def match_registry_host(host):
    """The Registry a lower-case host name belongs to, or None.

    Same language as the Go helper's anchored regex
    ^(\\d{12})\\.dkr[.-]ecr(-fips)?\\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\\.(<partition suffixes>)$,
    matched by hand because importing ``re`` costs more than the whole warm path.
    """
    if host in ECR_PUBLIC_HOSTS:
        return Registry(host, "ecr-public", "", ECR_PUBLIC_REGION, False, host == ECR_PUBLIC_DUALSTACK_HOST)
    labels = ecr_host_labels(host)
    if labels is None or ecr_host_typo(labels[0], labels[2]):
        return None
    account, service_label, region, dualstack = labels
    return Registry(host, "ecr", account, region, service_label.endswith("-fips"), dualstack)


def not_ecr_error(host, where=""):
    """The NotECRError for a host that names no registry: one that says what is wrong when
    the host looks like an ECR registry, else an OtherRegistryError. where: what else was
    searched, for the message."""
    labels = ecr_host_labels(host)
    if labels is not None:
        return NotECRError("%s looks like an Amazon ECR registry, but %s" % (
            host[:255], ecr_host_typo(labels[0], labels[2])))
    return OtherRegistryError("%s is not an Amazon ECR registry%s" % (host[:255], where))


def parse_registry(server_url):
    """The Registry a server URL names; NotECRError when it names none."""
    host = server_url_host(server_url)
    registry = match_registry_host(host)
    if registry is None:
        raise not_ecr_error(host)
    return registry


# Each partition's region prefix (botocore's partitions.json regionRegex, matched by prefix), DNS
# suffix and dual-stack DNS suffix. A region that matches none is in the "aws" partition, as there.
REGION_PARTITIONS = (
    ("cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ("us-gov-", "amazonaws.com", "api.aws"),
    ("us-iso-", "c2s.ic.gov", "api.aws.ic.gov"),
    ("us-isob-", "sc2s.sgov.gov", "api.aws.scloud"),
    ("us-isof-", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
    ("eusc-de-", "amazonaws.eu", "api.amazonwebservices.eu"),
)
AWS_PARTITION = ("", "amazonaws.com", "api.aws")


def region_partition(region):
    """(region prefix, DNS suffix, dual-stack DNS suffix) of the partition a region is in."""
    for partition in REGION_PARTITIONS:
        if region.startswith(partition[0]):
            return partition
    return AWS_PARTITION


def caller_registry(region, origin):
    """The private registry of whoever the credentials belong to, in a region: what the AWS
    CLI's `ecr get-login-password` and the kubelet provider ask ECR for (no registry id)."""
    if not region or region[0] not in ALNUM or not REGION_CHARS.issuperset(region) or len(region) > 64:
        raise ConfigError("%r (%s) is not an AWS region" % (region[:64], origin))
    return Registry("the caller's registry in %s" % region, "ecr", "", region, False, False)


# The regions of each partition this helper knows of (botocore's endpoints.json when it was
# released), by the partition's DNS suffix. Only for hints about typos: a region not
# listed is still used, because AWS opens regions more often than this helper is released.
KNOWN_REGIONS = {
    "amazonaws.com": (
        "af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1 ap-south-2 "
        "ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 "
        "ap-southeast-7 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 "
        "eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 "
        "us-east-1 us-east-2 us-west-1 us-west-2 us-gov-east-1 us-gov-west-1").split(),
    "amazonaws.com.cn": ["cn-north-1", "cn-northwest-1"],
    "amazonaws.eu": ["eusc-de-east-1"],
    "c2s.ic.gov": ["us-iso-east-1", "us-iso-west-1"],
    "sc2s.sgov.gov": ["us-isob-east-1", "us-isob-west-1"],
    "cloud.adc-e.uk": ["eu-isoe-west-1"],
    "csp.hci.ic.gov": ["us-isof-east-1", "us-isof-south-1"],
}


def region_hint(registry):
    """'is us-wset-2 a region? known: us-west-2' when a private registry's region is not one
    its partition is known to have; "" otherwise."""
    known = KNOWN_REGIONS.get(region_partition(registry.region)[1], ())
    if registry.is_public or registry.region in known:
        return ""
    import difflib

    close = difflib.get_close_matches(registry.region, known, 3, 0.7)
    return "is %s a region? %s" % (registry.region, "known: %s, ..." % ", ".join(close) if close else
                                   "it is not one of the %d this helper knows in its partition" % len(known))


# The endpoint host name prefixes of the services the helper calls, from their SDK endpoint
# rules: (regular, FIPS, dual-stack, FIPS and dual-stack). The key is the service's name in
# AWS_ENDPOINT_URL_<NAME> and in a [services] section of the config file.
SERVICE_HOSTS = {
    "ecr": ("api.ecr", "api.ecr-fips", "ecr", "ecr-fips"),
    "ecr_public": ("api.ecr-public", "api.ecr-public-fips", "api.ecr-public", "api.ecr-public-fips"),
    "sts": ("sts", "sts-fips", "sts", "sts-fips"),
    "sso": ("portal.sso", "portal.sso-fips", "portal.sso", "portal.sso-fips"),
    "sso_oidc": ("oidc", "oidc-fips", "oidc", "oidc-fips"),
    "signin": ("signin", "signin-fips", "signin", "signin-fips"),
}
# The sign-in service's regular endpoint in these partitions (by region prefix) is
# <region>.signin.<domain>.
SIGNIN_DOMAINS = {"": "aws.amazon.com", "cn-": "amazonaws.cn", "us-gov-": "amazonaws-us-gov.com",
                  "us-iso-": "c2shome.ic.gov", "us-isob-": "sc2shome.sgov.gov", "eu-isoe-": "csphome.adc-e.uk",
                  "us-isof-": "csphome.hci.ic.gov", "eusc-de-": "amazonaws-eusc.eu"}
# GovCloud's FIPS sign-in endpoint (IPv4) names no region.
SIGNIN_GOVCLOUD_FIPS = "https://signin-fips.amazonaws-us-gov.com"
# ECR Public's dual-stack endpoint in the aws partition has a name of its own.
ECR_PUBLIC_AWS_DUALSTACK_HOST = "ecr-public"
# In GovCloud the regular IPv4 endpoints of these services are the FIPS ones.
GOVCLOUD_REGULAR_IS_FIPS = frozenset(("sts", "sso", "sso_oidc"))
GOVCLOUD_PREFIX = "us-gov-"


def service_endpoint(service, region, fips, dualstack):
    """https://<service host>.<region>.<partition DNS suffix>, as the SDKs' endpoint rules
    build it for a service (a key of SERVICE_HOSTS) without a configured endpoint."""
    prefix, dns_suffix, dualstack_suffix = region_partition(region)
    if fips and not dualstack and prefix == GOVCLOUD_PREFIX and service in GOVCLOUD_REGULAR_IS_FIPS:
        fips = False
    name = SERVICE_HOSTS[service][int(fips) + 2 * int(dualstack)]
    if service == "ecr_public" and dualstack and not fips and prefix == AWS_PARTITION[0]:
        name = ECR_PUBLIC_AWS_DUALSTACK_HOST
    return "https://%s.%s.%s" % (name, region, dualstack_suffix if dualstack else dns_suffix)


def signin_endpoint(region, fips, dualstack):
    """The AWS Sign-In endpoint (`aws login` token refreshes), by its endpoint rules."""
    prefix = region_partition(region)[0]
    domain = SIGNIN_DOMAINS.get(prefix)
    if fips and not dualstack and prefix == GOVCLOUD_PREFIX:
        return SIGNIN_GOVCLOUD_FIPS
    if domain and not fips and not dualstack:
        return "https://%s.signin.%s" % (region, domain)
    return service_endpoint("signin", region, fips, dualstack)


def setting_flag(request, env_name, profile_key, default=False):
    """A boolean setting as botocore reads one: the environment variable when it is set at all,
    else the profile's key; true when it says "true" in any case."""
    value = request.env[env_name] if env_name in request.env else request.config.setting(profile_key)
    if value is None:
        return default
    return str(value).strip().lower() == "true"


def services_section_setting(request, service, key):
    """A setting of a service in the [services NAME] section that the profile's `services`
    names ("" when absent); ConfigError when that section does not exist, as in botocore."""
    name = request.config.setting("services")
    if not name:
        return ""
    section = request.config.services.get(name)
    if section is None:
        raise ConfigError('profile %s uses the services section "%s", which does not exist in %s' % (
            request.config.profile_name, name, request.config.config_path))
    for line in section.get(service, "").split("\n"):
        sub_key, equals, value = line.partition("=")
        if equals and sub_key.strip(WHITESPACE).lower() == key:
            return value.strip(WHITESPACE)
    return ""


def configured_endpoint(request, service):
    """A configured endpoint URL for a service, in botocore's order: AWS_ENDPOINT_URL_<SERVICE>,
    AWS_ENDPOINT_URL, the service's endpoint_url in the profile's [services] section, the
    profile's endpoint_url. None when none is set, or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else
    the profile's ignore_configured_endpoint_urls) is true."""
    if setting_flag(request, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls"):
        return None
    env = request.env
    url = env.get("AWS_ENDPOINT_URL_" + service.upper(), "").strip() or env.get("AWS_ENDPOINT_URL", "").strip() \
        or services_section_setting(request, service, "endpoint_url") or request.config.setting("endpoint_url", "").strip()
    return url.rstrip("/") or None


def endpoint_variants(request, fips=False, dualstack=False):
    """(FIPS, dual-stack) for an AWS endpoint: AWS_USE_FIPS_ENDPOINT / use_fips_endpoint and
    AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint, with the given defaults."""
    return (setting_flag(request, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", fips),
            setting_flag(request, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint", dualstack))


def ecr_endpoint(request):
    """The ECR API endpoint that issues tokens for the request's registry. A -fips host always
    uses FIPS; a dual-stack host uses the dual-stack endpoint unless dual-stack is turned off."""
    registry = request.registry
    service = "ecr_public" if registry.is_public else "ecr"
    override = configured_endpoint(request, service)
    if override:
        return override
    fips, dualstack = endpoint_variants(request, dualstack=registry.dualstack)
    return service_endpoint(service, registry.region, fips or registry.fips, dualstack)


# ============================================================================================
# HELPER CONFIG (the helper's own ~/.ecr/config.json: a profile, role or ECR registry per host)
# ============================================================================================

HELPER_CONFIG_FILE = "config.json"
# What a host's entry may say. "registry" (or "account" + "region") names the ECR registry
# whose token a custom host name or pull-through-cache mirror needs.
HELPER_HOST_KEYS = frozenset(("registry", "account", "region", "profile", "role_arn", "role_session_name",
                              "external_id", "duration_seconds", "mfa_serial"))
# Name suffix of an installed copy that serves one AWS profile: docker-credential-ecr-login-<profile>.
PROFILE_PROGRAM_PREFIX = PROGRAM + "-"


def helper_config_path(env):
    """$AWS_ECR_CONFIG_FILE, else config.json in the cache directory."""
    path = setting("config_file", env)
    if path:
        return expand_home(path, env)
    directory = cache_directory(env)
    return os.path.join(directory, HELPER_CONFIG_FILE) if directory else None


def helper_config_document(ctx):
    """(path, the helper config's JSON value); (path, {}) when there is none. The default one
    is read only from a cache directory that passes the trust rule, and only if it is a private
    file: another user's file would map their host to our registry and get our password sent
    there. ConfigError names the file when it is not JSON."""
    path = helper_config_path(ctx.env)
    explicit = bool(ctx.settings.config_file)
    if path is None or not explicit and ctx.cache_dir() is None:
        return path, {}
    try:
        return path, read_json_file(path, MAX_CONFIG_FILE_BYTES, private=not explicit)
    except UntrustedFile as error:
        ctx.log.warning("ignoring the helper config: %s" % error)
    except OSError:
        pass
    except ValueError:
        raise ConfigError("the helper config %s is not valid JSON" % path)
    return path, {}


def load_helper_config(ctx):
    """{host: settings} from the helper config; {} when there is none. ConfigError names the
    file and what is wrong with it."""
    path, document = helper_config_document(ctx)
    registries = document.get("registries", {}) if isinstance(document, dict) else None
    if not isinstance(registries, dict):
        raise ConfigError('the helper config %s must be {"registries": {"<host>": {...}}}' % path)
    hosts = {}
    for host, settings in registries.items():
        if not isinstance(settings, dict) or not all(isinstance(value, str) for value in settings.values()):
            raise ConfigError("the helper config %s: the entry for %s must map names to strings" % (path, host))
        unknown = sorted(set(settings) - HELPER_HOST_KEYS)
        if unknown:
            raise ConfigError("the helper config %s: unknown setting %s for %s (known: %s)" % (
                path, unknown[0], host, ", ".join(sorted(HELPER_HOST_KEYS))))
        hosts[host.lower()] = settings
    return hosts


# A fallback helper serves every registry that is not ECR, so that credsStore: ecr-login keeps
# the user's other logins: docker-credential-<name> gets the same action and stdin, and its
# answer and exit status are ours. Names as Docker's credsStore takes them (no path).
FALLBACK_VARIABLE = "AWS_ECR_FALLBACK_HELPER"
FALLBACK_KEY = "fallback"
HELPER_NAME_CHARS = ALNUM | frozenset("-_.")
DOCKER_HELPER_PREFIX = "docker-credential-"


def check_fallback_name(name, where):
    """name if it can name another credential helper; ConfigError saying where it was set."""
    if not name or name[0] in "-." or not HELPER_NAME_CHARS.issuperset(name) or len(name) > 100:
        raise ConfigError("the fallback helper %r in %s is not a credential helper's name (like desktop, "
                          "pass, secretservice, osxkeychain, wincred)" % (name[:100], where))
    if name == "ecr-login" or name.startswith("ecr-login-"):
        raise ConfigError("the fallback helper in %s is this helper (%s): it would call itself" % (where, name))
    return name


def fallback_helper(ctx):
    """The fallback helper's name from AWS_ECR_FALLBACK_HELPER, else the helper config's
    "fallback"; None when neither names one."""
    name = ctx.settings.fallback_helper.strip()
    if name:
        return check_fallback_name(name, FALLBACK_VARIABLE)
    path, document = helper_config_document(ctx)
    name = document.get(FALLBACK_KEY) if isinstance(document, dict) else None
    if name is None:
        return None
    return check_fallback_name(name if isinstance(name, str) else repr(name), path)


def run_fallback(ctx, streams, name, action):
    """Run docker-credential-<name> <action> with the stdin we were given; its stdout and
    stderr become ours, and its exit status is returned."""
    import subprocess

    program = DOCKER_HELPER_PREFIX + name
    ctx.log.debug("handing %s to the fallback helper %s" % (action, program))
    try:
        child = subprocess.Popen([program, action], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=ctx.env)
        out, err = child.communicate(streams.read())
    except OSError as error:
        reason = "cannot run the fallback helper %s: %s (it is set by %s)" % (
            program, error.strerror or error, FALLBACK_VARIABLE if ctx.settings.fallback_helper.strip()
            else helper_config_path(ctx.env))
        ctx.log.error(reason)
        streams.err("%s: %s\n" % (PROGRAM, reason))
        streams.out((NOT_FOUND if action == "get" else reason) + "\n")
        return 1
    streams.stdout.write(out)
    streams.stdout.flush()
    if err:
        streams.err(err.decode("utf-8", "replace"))
    return child.returncode if child.returncode >= 0 else 1  # killed by a signal


def resolve_registry(ctx, server_url):
    """(Registry, settings) for a server URL: the ECR registry it names, or the one the helper
    config maps its host to, with that host's settings ({} when it has none)."""
    host = server_url_host(server_url)
    settings = load_helper_config(ctx).get(host, {})
    return host_registry(ctx, host, settings), settings


def host_registry(ctx, host, settings):
    """The Registry a host names, or the one its helper config settings map it to."""
    registry = match_registry_host(host)
    if settings.get("registry"):
        registry = parse_registry(settings["registry"])
    elif settings.get("account") or (settings.get("region") and registry is None):
        account, region = settings.get("account", ""), settings.get("region", "")
        registry = match_registry_host("%s.dkr.ecr.%s.amazonaws.com" % (account, region))
        if registry is None:
            raise ConfigError("the helper config entry for %s needs a 12-digit account and a region" % host)
    if registry is None:
        raise not_ecr_error(host, " (nor mapped to one in %s)" % helper_config_path(ctx.env))
    return registry


# ============================================================================================
# CONFIG FILES (~/.aws/config and ~/.aws/credentials, by the cross-SDK profile-file rules)
# ============================================================================================

WHITESPACE = " \t"
COMMENT_CHARS = "#;"
UTF8_BOM = b"\xef\xbb\xbf"  # Windows editors start UTF-8 files with it
# A config file larger than this is not a config file; refuse it rather than parse it.
MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024


class ProfileFile:
    """Sections of one parsed file: profiles, sso-session and services sections, each a dict of
    lower-cased keys to values (sub-properties stay raw strings, as the SDKs keep them)."""

    def __init__(self):
        self.profiles = {}
        self.sso_sessions = {}
        self.services = {}


def strip_inline_comment(value):
    """Cut a value at the first ' #' or ' ;' (whitespace, then a comment character)."""
    for index in range(1, len(value)):
        if value[index] in COMMENT_CHARS and value[index - 1] in WHITESPACE:
            return value[:index].rstrip(WHITESPACE)
    return value


def section_key(header, is_config):
    """(kind, name) of a section header: kind "profile", "sso-session" or "services", or in a
    config file "default" for a bare [default]; None for a section that is ignored."""
    if not is_config:
        return ("profile", header) if header else None  # botocore takes a credentials-file header as it is
    if header == "default":
        return "default", header
    # botocore splits the header as a shell would (shlex): "profile NAME" with NAME one word,
    # quoted if it has spaces ([profile "my name"]); any other header is ignored.
    words = shell_words(header)
    if words is None or len(words) != 2 or words[0] not in ("profile", "sso-session", "services") or not words[1]:
        return None
    return words[0], words[1]


def shell_words(text):
    """text split into words as Python's shlex.split does it (POSIX rules: quotes group,
    a backslash escapes outside quotes and escapes \\ or \" inside double quotes), or None
    when a quote or an escape is left open. shlex itself would import re on the warm path."""
    words, word, quote, in_word = [], [], None, False
    chars = iter(text)
    for char in chars:
        if quote == "'":
            if char == "'":
                quote = None
            else:
                word.append(char)
        elif char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                return None
            if quote == '"' and escaped not in '"\\':
                word.append(char)
            word.append(escaped)
            in_word = True
        elif quote == '"':
            if char == '"':
                quote = None
            else:
                word.append(char)
        elif char in " \t\r\n":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif char in "'\"":
            quote, in_word = char, True
        else:
            word.append(char)
            in_word = True
    if quote is not None:
        return None
    if in_word:
        words.append("".join(word))
    return words


def parse_profile_file(text, is_config, source="config file"):
    """Parse a shared config (is_config) or credentials file. ConfigError names the line."""
    parsed = ProfileFile()
    # [profile default] beats [default] wherever it appears: [default] is collected apart.
    tables = {"profile": parsed.profiles, "sso-session": parsed.sso_sessions, "services": parsed.services,
              "default": {}}
    section = None  # dict of the current section; None before any header or in an ignored one
    in_section = False
    key = None  # the last property, which continuation lines extend
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        stripped = line.strip(WHITESPACE)
        if not stripped or stripped[0] in COMMENT_CHARS:
            continue

        def line_error(message):
            return ConfigError("%s line %d: %s" % (source, number, message))

        if line[0] in WHITESPACE:  # continuation of the last property
            if not in_section:
                raise line_error("Expected a profile definition, found continuation")
            if key is None:
                raise line_error("Expected a property definition, found continuation")
            if section is None:
                continue
            if section[key] == "" or section[key].startswith("\n"):  # sub-properties
                name, equals, _ = stripped.partition("=")
                if not equals:
                    raise line_error("Expected an '=' sign defining a sub-property")
                if not name.strip(WHITESPACE):
                    raise line_error("Sub-property did not have a name")
            section[key] += "\n" + stripped
            continue
        if stripped[0] == "[":
            end = stripped.find("]")
            if end < 0:
                raise line_error("Profile definition must end with ']'")
            trailing = stripped[end + 1:].lstrip(WHITESPACE)
            if trailing and trailing[0] not in COMMENT_CHARS:
                raise line_error("Unexpected text after the profile definition")
            header = stripped[1:end].strip(WHITESPACE)
            target = section_key(header, is_config)
            section = tables[target[0]].setdefault(target[1], {}) if target else None
            in_section, key = True, None
            continue
        if not in_section:
            raise line_error("Expected a profile definition")
        name, equals, value = stripped.partition("=")
        if not equals:
            raise line_error("Expected an '=' sign defining a property")
        name = name.strip(WHITESPACE).lower()
        if not name:
            raise line_error("Property did not have a name")
        if any(char in WHITESPACE for char in name):
            key = None  # an invalid property name is ignored, with its continuations
            continue
        key = name
        if section is not None:
            section[key] = strip_inline_comment(value.strip(WHITESPACE))
    if "default" in tables["default"] and "default" not in parsed.profiles:
        parsed.profiles["default"] = tables["default"]["default"]
    return parsed


def merge_profile_files(config, credentials):
    """Profiles of both files merged key by key, the credentials file winning."""
    profiles = dict((name, dict(values)) for name, values in config.profiles.items())
    for name, values in credentials.profiles.items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def home_directory(env, windows=None):
    """$HOME. On Windows %USERPROFILE%, then %HOMEDRIVE%%HOMEPATH%, and $HOME only without
    them, as botocore (os.path.expanduser), the Go SDK and the Docker CLI read it there: Git
    Bash and MSYS set HOME to a directory that Docker never looks in."""
    if windows is None:
        windows = os.name == "nt"
    home = env.get("HOME")
    if windows:
        home = env.get("USERPROFILE") or (env.get("HOMEDRIVE", "") + env.get("HOMEPATH", "")) or home
    return home or None


def expand_home(path, env, windows=None):
    """Expand a leading ~ with home_directory(); ~user is left alone."""
    if path == "~" or path.startswith("~/") or path.startswith("~\\"):
        home = home_directory(env, windows)
        if home:
            separator = "\\" if (os.name == "nt" if windows is None else windows) else "/"
            return home if path == "~" else home.rstrip("/\\") + separator + path[2:]
    return path


def expand_variables(path, env):
    """$NAME and ${NAME} replaced from env (botocore expands them in file paths); unknown names
    are left as they are, as os.path.expandvars leaves them."""
    parts, index = [], 0
    while index < len(path):
        if path[index] == "$":
            braced = path.startswith("${", index)
            start = index + 2 if braced else index + 1
            end = path.find("}", start) if braced else start
            if not braced:
                while end < len(path) and (path[end] in ALNUM or path[end] == "_"):
                    end += 1
            name = path[start:end] if end >= 0 else ""
            if name and name in env:
                parts.append(env[name])
                index = end + 1 if braced else end
                continue
        parts.append(path[index])
        index += 1
    return "".join(parts)


def shared_file_paths(env, windows=None):
    """(config file, credentials file) paths, from AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE
    or under the home directory; None for a file that has no home to live in."""
    separator = "\\" if (os.name == "nt" if windows is None else windows) else "/"
    paths = []
    for variable, name in (("AWS_CONFIG_FILE", "config"), ("AWS_SHARED_CREDENTIALS_FILE", "credentials")):
        path = env.get(variable, "")
        if path:
            paths.append(expand_home(expand_variables(path, env), env, windows))
        else:
            home = home_directory(env, windows)
            paths.append(home.rstrip("/\\") + separator + ".aws" + separator + name if home else None)
    return paths[0], paths[1]


def selected_profile_name(env):
    """(name, explicit): AWS_PROFILE, then AWS_DEFAULT_PROFILE, then "default"."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        name = env.get(variable, "").strip()
        if name:
            return name, True
    return "default", False


def read_text_file(path, what):
    """A small text file's content; "" when it does not exist or cannot be read (as the SDKs
    skip such files); ConfigError when it is not text."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_FILE_BYTES + 1)
    except OSError:
        return ""
    if len(data) > MAX_CONFIG_FILE_BYTES:
        raise ConfigError("%s %s is larger than %d bytes" % (what, path, MAX_CONFIG_FILE_BYTES))
    if b"\0" in data:
        raise ConfigError("%s %s is not a text file" % (what, path))
    if data.startswith(UTF8_BOM):  # by hand: the utf-8-sig codec is one more import on the warm path
        data = data[len(UTF8_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("%s %s is not valid UTF-8 text" % (what, path))


class SharedConfig:
    """The user's AWS config and credentials files, and the profile chosen (profile), else the
    one the environment selects."""

    def __init__(self, env, profile=None):
        self.env = env
        self.config_path, self.credentials_path = shared_file_paths(env)
        config = parse_profile_file(read_text_file(self.config_path, "AWS config file"), True, self.config_path) \
            if self.config_path else ProfileFile()
        credentials = parse_profile_file(
            read_text_file(self.credentials_path, "AWS credentials file"), False, self.credentials_path) \
            if self.credentials_path else ProfileFile()
        self.config_profiles = config.profiles
        self.credentials_profiles = credentials.profiles
        self.profiles = merge_profile_files(config, credentials)
        self.sso_sessions = config.sso_sessions
        self.services = config.services
        self.profile_name, self.profile_explicit = selected_profile_name(
            {"AWS_PROFILE": profile} if profile else env)  # a chosen profile is read as AWS_PROFILE is

    def profile(self, name=None):
        """The merged settings of a profile ({} when it does not exist)."""
        return self.profiles.get(self.profile_name if name is None else name, {})

    def setting(self, key, default=None):
        """A setting of the selected profile."""
        return self.profile().get(key, default)

    def check_selected_profile(self):
        """A profile named in AWS_PROFILE must exist, as the AWS CLI insists."""
        if self.profile_explicit and self.profile_name not in self.profiles:
            raise ConfigError("the config profile (%s) could not be found in %s or %s" % (
                self.profile_name, self.config_path, self.credentials_path))


def default_region(env, config):
    """AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region: the AWS CLI v2's and the
    Go SDK's order. "" when none is set."""
    return (env.get("AWS_REGION", "").strip() or env.get("AWS_DEFAULT_REGION", "").strip()
            or config.setting("region", "").strip())


# ============================================================================================
# CREDENTIAL PROVIDERS (the AWS CLI's chain, planned without network, fetched on a cache miss)
# ============================================================================================

# The chain is one table, CHAIN (at the end of this section). Each kind of Source has a block
# below, in the order of its first row: its class, whose fetch() does the network work on a
# cache miss, and its planner. A new source is one block and one row of CHAIN.

MAX_RESPONSE_BYTES = 1024 * 1024


class Credentials:
    """AWS credentials; repr() shows the last four characters of the key id and nothing else."""

    __slots__ = ("access_key", "secret_key", "token", "expiry", "account_id")

    def __init__(self, access_key, secret_key, token=None, expiry=None, account_id=None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token or None
        self.expiry = expiry
        self.account_id = account_id

    def __repr__(self):
        return "Credentials(%s)" % mask_key(self.access_key)

    def expiring(self, now=None):
        """True when these credentials run out within EXPIRY_MARGIN_SECONDS."""
        return self.expiry is not None and self.expiry - EXPIRY_MARGIN_SECONDS <= (now or time.time())


def mask_key(access_key):
    """An access key id as it may be shown: its last four characters."""
    return "****" + (access_key or "")[-4:]


def sha256_digest(data):
    """SHA-256 without importing hashlib (which loads OpenSSL) on the warm path: CPython's own
    built-in module (_sha2 from 3.12, _sha256 before; a failed import is searched for anew on
    every call, so the version decides), with hashlib where neither exists (PyPy)."""
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256
        else:
            from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
    return sha256(data).digest()


class Source:
    """Where credentials come from. Planning one needs no network; each kind has three methods.

    identity(): a non-secret description that changes whenever the credentials would; the
    token cache is keyed on it, so a warm get never has to fetch credentials.
    describe(): what doctor and the log call it. fetch(request): the Credentials, on a miss.
    """


def parse_credential_document(document, what, names=("AccessKeyId", "SecretAccessKey", "Token", "Expiration")):
    """Credentials from a JSON object with the given field names (key, secret, token, expiry)."""
    if not isinstance(document, dict):
        raise CredentialsError("%s did not answer with a JSON object" % what)
    key_name, secret_name, token_name, expiry_name = names
    access_key, secret_key = document.get(key_name), document.get(secret_name)
    token, expiry = document.get(token_name), document.get(expiry_name)
    if not isinstance(access_key, str) or not access_key or not isinstance(secret_key, str) or not secret_key:
        raise CredentialsError("%s answered without %s and %s" % (what, key_name, secret_name))
    if token is not None and not isinstance(token, str):
        raise CredentialsError("%s answered a %s that is not a string" % (what, token_name))
    if expiry is not None:
        try:
            expiry = expiry / 1000.0 if isinstance(expiry, (int, float)) and not isinstance(expiry, bool) \
                else parse_timestamp(expiry)
        except (ValueError, TypeError, OverflowError):  # OverflowError: an integer beyond a float
            raise CredentialsError("%s answered an unreadable %s" % (what, expiry_name))
    account_id = document.get("AccountId")
    return Credentials(access_key, secret_key, token, expiry, account_id if isinstance(account_id, str) else None)


def mask_and_check_fresh(request, credentials, what):
    """Remember the secrets (for redaction) and refuse credentials that are about to expire."""
    request.remember_secret(credentials.secret_key)
    request.remember_secret(credentials.token)
    if credentials.expiring():
        raise CredentialsError("%s returned credentials that expire within %d seconds" % (
            what, EXPIRY_MARGIN_SECONDS))
    return credentials


def read_secret_file(path, what):
    """A token file's text, with an error that says why it cannot be read (Kubernetes
    projects tokens readable by root only unless fsGroup is set)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RESPONSE_BYTES)
    except OSError as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        extra = ""
        if getattr(error, "errno", 0) == 13 and hasattr(os, "getuid"):
            extra = " (the helper runs as uid %d; make the file readable to it, e.g. with fsGroup)" % os.getuid()
        raise CredentialsError("cannot read the %s %s: %s%s" % (what, path, reason, extra))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialsError("the %s %s is not UTF-8 text" % (what, path))


def default_session_name():
    return "ecr-login-%d" % int(time.time())


def split_url(url):
    """(scheme, host, port, rest) of an absolute http(s) URL, by hand (urllib.parse imports re).
    host keeps no brackets; port is "" when absent."""
    scheme, separator, remainder = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        raise ConfigError("URI did not specify a host: %r is not an http(s) URL" % url[:200])
    cut = len(remainder)
    for char in "/?#":
        index = remainder.find(char)
        if index >= 0:
            cut = min(cut, index)
    authority, rest = remainder[:cut], remainder[cut:]
    authority = authority.rsplit("@", 1)[-1]
    if authority.startswith("["):
        host, _, port = authority[1:].partition("]")
        port = port[1:]
    else:
        host, _, port = authority.partition(":")
    if not host:
        raise ConfigError("URI did not specify a host: %r" % url[:200])
    return scheme.lower(), host.lower(), port, rest


XML_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def xml_unescape(text):
    """The predefined entities and character references; anything else stays as written."""
    pieces = text.split("&")
    out = [pieces[0]]
    for piece in pieces[1:]:
        name, semicolon, rest = piece.partition(";")
        try:
            if not semicolon:
                raise ValueError
            if name in XML_ENTITIES:
                char = XML_ENTITIES[name]
            elif name[:2] in ("#x", "#X"):
                char = chr(int(name[2:], 16))
            elif name[:1] == "#" and DIGITS.issuperset(name[1:]):
                char = chr(int(name[1:]))
            else:
                raise ValueError
        except (ValueError, OverflowError):
            out.append("&" + piece)
        else:
            out.append(char + rest)
    return "".join(out)


def xml_fields(body, names):
    """The text of the first element with each local name (any namespace prefix) in an AWS
    XML answer, or None for a body that is not XML. By hand, as these answers are flat
    elements of text: xml.etree costs 3 ms to import."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.lstrip().startswith("<"):
        return None
    found = {}
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0:
            return found
        end = text.find(">", start)
        if end < 0:
            return None
        tag, position = text[start + 1:end], end + 1
        if not tag or tag[0] in "/?!" or tag.endswith("/"):
            continue  # an end tag, a declaration or comment, an empty element
        local = tag.split(None, 1)[0].rsplit(":", 1)[-1] if tag.split() else ""
        if local in names and local not in found:
            close = text.find("<", position)
            found[local] = xml_unescape(text[position:close if close >= 0 else len(text)]).strip()


def open_terminal():
    """This session's terminal (/dev/tty) opened for reading and writing, or None without one.
    stdin carries the docker protocol, so prompts must use the terminal itself."""
    try:
        return open("/dev/tty", "r+b", buffering=0)  # unbuffered: text "r+" needs a seekable file
    except OSError:
        return None


def close_quietly(handle):
    """Close a file object or a descriptor (None is fine), ignoring errors."""
    try:
        if hasattr(handle, "close"):
            handle.close()
        elif handle is not None:
            os.close(handle)
    except OSError:
        pass


def terminal_echo(descriptor, enabled):
    """Turn a terminal's echo on or off (as getpass does); returns the previous setting, or
    None where there is no termios."""
    try:
        import termios
    except ImportError:  # Windows
        return None
    try:
        attributes = termios.tcgetattr(descriptor)
        previous = bool(attributes[3] & termios.ECHO)
        attributes[3] = attributes[3] | termios.ECHO if enabled else attributes[3] & ~termios.ECHO
        termios.tcsetattr(descriptor, termios.TCSANOW, attributes)  # TCSANOW: keep typed-ahead input
        return previous
    except (termios.error, OSError, ValueError):
        return None


def open_prompt(windows=None):
    """(input, output) to ask the user on: the terminal, or on Windows (no /dev/tty) the
    console's CONIN$ and CONOUT$; None without either."""
    if not ((os.name == "nt") if windows is None else windows):
        tty = open_terminal()
        return (tty, tty) if tty else None
    try:
        console_in = open("CONIN$", "rb", buffering=0)
    except OSError:
        return None
    try:
        return console_in, open("CONOUT$", "wb", buffering=0)
    except OSError:
        console_in.close()
        return None


# ---- static keys (the environment's, and those of the credentials and config files) ----------

class StaticSource(Source):
    """Keys from the environment or a profile. Their identity is the access key id, which is
    what the Go helper keys its cache on, so both helpers share entries."""

    def __init__(self, credentials, origin):
        self.credentials = credentials
        self.origin = origin

    def identity(self):
        return self.credentials.access_key

    def describe(self):
        return "static keys %s from %s" % (mask_key(self.credentials.access_key), self.origin)

    def fetch(self, request):
        expiry = self.credentials.expiry  # only keys with AWS_CREDENTIAL_EXPIRATION have one
        if self.credentials.expiring():  # AWS would refuse them, or soon: no request is made
            when = "expired at %s" % format_expiry(expiry) if expiry <= time.time() else \
                "expire at %s, within %d seconds" % (format_expiry(expiry), EXPIRY_MARGIN_SECONDS)
            raise CredentialsError("the credentials in %s %s (AWS_CREDENTIAL_EXPIRATION); get new ones" % (
                self.origin, when))
        return mask_and_check_fresh(request, self.credentials, self.origin)


def plan_environment_keys(request, name, top_level):
    """AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, and the time they
    expire in AWS_CREDENTIAL_EXPIRATION, as botocore reads it). Not for a chosen profile:
    botocore leaves its environment provider out of a Session(profile=...)."""
    if top_level and request.profile:
        return None, "skipped: this copy of the helper uses profile %s" % name
    env = request.env
    access_key = env.get("AWS_ACCESS_KEY_ID", "")
    if not access_key:
        return None, "not set (AWS_ACCESS_KEY_ID)"
    secret_key = env.get("AWS_SECRET_ACCESS_KEY", "")
    if not secret_key:
        raise CredentialsError("partial credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
    token = env.get("AWS_SECURITY_TOKEN") or env.get("AWS_SESSION_TOKEN")  # botocore's order
    expiry = None
    if env.get("AWS_CREDENTIAL_EXPIRATION", "").strip():
        try:
            expiry = parse_timestamp(env["AWS_CREDENTIAL_EXPIRATION"].strip())
        except ValueError:
            raise ConfigError("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time such as 2026-01-01T00:00:00Z: %r"
                              % env["AWS_CREDENTIAL_EXPIRATION"][:40])
    return StaticSource(Credentials(access_key, secret_key, token, expiry, env.get("AWS_ACCOUNT_ID")),
                        "the environment"), ""


def profile_keys(profiles, name, path):
    """(StaticSource or None, why none) from aws_access_key_id/aws_secret_access_key in one
    file's profile. Half a key pair is an error, as in botocore."""
    settings = profiles.get(name, {})
    access_key = settings.get("aws_access_key_id")
    if not access_key:
        return None, "none for profile %s" % name
    origin = "profile %s in %s" % (name, path)
    secret_key = settings.get("aws_secret_access_key")
    if not secret_key:
        raise CredentialsError("partial credentials in %s: aws_access_key_id is set but aws_secret_access_key is not"
                               % origin)
    # botocore looks for aws_security_token first, and takes it when present at all.
    token = settings["aws_security_token"] if "aws_security_token" in settings else settings.get("aws_session_token")
    return StaticSource(Credentials(access_key, secret_key, token, None, settings.get("aws_account_id")), origin), ""


def plan_credentials_file_keys(request, name, top_level):
    return profile_keys(request.config.credentials_profiles, name, request.config.credentials_path)


def plan_config_file_keys(request, name, top_level):
    return profile_keys(request.config.config_profiles, name, request.config.config_path)


# ---- assume role (role_arn with source_profile or credential_source; STS, the MFA prompt) ----

STS_API_VERSION = "2011-06-15"
# Regions whose STS calls use the global endpoint when sts_regional_endpoints = legacy.
STS_LEGACY_GLOBAL_REGIONS = frozenset((
    "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
    "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
    "us-east-2", "us-west-1", "us-west-2"))


class AssumeRoleSource(Source):
    """A role assumed with STS AssumeRole, signed with another source's credentials."""

    def __init__(self, profile, role_arn, source, settings):
        self.profile = profile
        self.role_arn = role_arn
        self.source = source
        self.session_name = settings.get("role_session_name") or ""
        self.external_id = settings.get("external_id") or ""
        self.mfa_serial = settings.get("mfa_serial") or ""
        self.duration = settings.get("duration_seconds") or ""

    def identity(self):
        return "\n".join(("assume-role", self.role_arn, self.external_id, self.session_name, self.mfa_serial,
                          self.duration, self.source.identity()))

    def describe(self):
        return "role %s (profile %s) from %s" % (self.role_arn, self.profile, self.source.describe())

    def fetch(self, request):
        """Role credentials from the role cache while they last (so an MFA code is asked once
        per session), else from STS, signed with the source's credentials."""
        cached = load_role_credentials(request, self)
        if cached is not None:
            return cached
        source_credentials = self.source.fetch(request)
        params = [("RoleArn", self.role_arn), ("RoleSessionName", self.session_name or default_session_name())]
        if self.duration:
            try:
                params.append(("DurationSeconds", str(int(self.duration))))
            except ValueError:  # botocore ignores a duration that is not an integer, so do we
                request.log.warning("ignoring duration_seconds %r of profile %s: not an integer" % (
                    self.duration[:20], self.profile))
        if self.external_id:
            params.append(("ExternalId", self.external_id))
        if self.mfa_serial:
            params.append(("SerialNumber", self.mfa_serial))
            params.append(("TokenCode", read_mfa_code(request, self.mfa_serial, self.profile)))
        credentials = sts_call(request, "AssumeRole", params, source_credentials)
        save_role_credentials(request, self, credentials)
        return credentials


ROLE_CACHE_DIRECTORY = "roles"


def role_cache_path(request, source):
    """<cache dir>/roles/<hash of the role source's identity>.json, or None without a cache."""
    if not request.ctx.token_cache().enabled:
        return None
    directory = request.ctx.cache_subdirectory(ROLE_CACHE_DIRECTORY)
    if directory is None:
        return None
    return os.path.join(directory, sha256_digest(source.identity().encode("utf-8")).hex() + ".json")


def load_role_credentials(request, source):
    """Cached temporary role credentials that are not about to expire, or None."""
    path = role_cache_path(request, source)
    if path is None:
        return None
    try:
        credentials = parse_credential_document(read_json_file(path, MAX_RESPONSE_BYTES, private=True),
                                                "the role cache")
        if credentials.expiry is not None:  # the cache only ever holds temporary credentials
            return mask_and_check_fresh(request, credentials, "the role cache")
    except (OSError, ValueError, HelperError):  # missing, damaged or about to expire
        pass
    return None


def save_role_credentials(request, source, credentials):
    """Keep temporary role credentials (0600, in the 0700 cache dir) until they expire."""
    path = role_cache_path(request, source)
    if path is None or credentials.expiry is None:
        return
    document = {"AccessKeyId": credentials.access_key, "SecretAccessKey": credentials.secret_key,
                "Token": credentials.token, "AccountId": credentials.account_id,
                "Expiration": format_expiry(credentials.expiry)}
    try:
        write_private_file(path, json_dumps(document), durable=False)
    except OSError as error:
        request.log.info("could not cache role credentials in %s: %s" % (path, error.strerror or error))


# Real role chains are a few profiles long; thousands would only exhaust the stack.
MAX_ROLE_CHAIN = 50


def has_role_config(profile):
    """botocore's test for a profile its AssumeRoleProvider handles."""
    return "role_arn" in profile and "web_identity_token_file" not in profile


def has_static_keys(profile):
    """botocore's test: either key of a pair, in either file, counts."""
    return "aws_access_key_id" in profile or "aws_secret_access_key" in profile


def plan_role(request, name, top_level, visited=()):
    """The AssumeRoleSource of a profile with a role, its source resolved as botocore's
    AssumeRoleProvider does: a source profile with keys (in either file) or without a role of
    its own gives its own providers' credentials (SSO, process, either file's keys: never a
    mix); one with only a role is assumed in turn, to any depth (visited: the profiles so far)."""
    profile = request.config.profile(name)
    if not has_role_config(profile):
        return None, "not in profile %s" % name
    visited = list(visited) + [name]
    source_profile = profile.get("source_profile")
    credential_source = profile.get("credential_source")
    if source_profile and credential_source:
        raise ConfigError("profile %s has both source_profile and credential_source; use one" % name)
    if credential_source:
        source = named_credential_source(request, name, credential_source)
    elif not source_profile:
        raise ConfigError("profile %s has role_arn but neither source_profile nor credential_source" % name)
    elif source_profile not in request.config.profiles:
        raise ConfigError("source_profile %s of profile %s does not exist" % (source_profile, name))
    else:
        source_settings = request.config.profile(source_profile)
        if source_profile == name and not has_static_keys(source_settings):
            raise ConfigError("profile %s names itself as source_profile but holds no static keys" % name)
        if source_profile in visited and source_profile != name:
            raise ConfigError("infinite loop in profiles: %s -> %s" % (" -> ".join(visited), source_profile))
        if len(visited) >= MAX_ROLE_CHAIN:
            raise ConfigError("the source_profile chain from profile %s is too deep (more than %d profiles)" % (
                visited[0], MAX_ROLE_CHAIN))
        if has_static_keys(source_settings) or not has_role_config(source_settings):
            source = plan_credentials(request, source_profile)
        else:
            source = plan_role(request, source_profile, False, visited)[0]
        if source is None:
            raise ConfigError('the source profile "%s" must have credentials' % source_profile)
    return AssumeRoleSource(name, profile["role_arn"], source, profile), ""


def named_credential_source(request, name, credential_source):
    """The source a role profile's credential_source names: the planner of the row of CHAIN
    that answers to that name (case-sensitive, as in botocore)."""
    planners = dict((row[3], row[2]) for row in CHAIN if row[3])
    if credential_source not in planners:
        raise ConfigError("profile %s: credential_source %r is not one of %s" % (
            name, credential_source, ", ".join(planners)))
    source = planners[credential_source](request, name, False)[0]
    if source is None:
        raise CredentialsError("no credentials found in credential_source %s of profile %s" % (
            credential_source, name))
    return source


def sts_endpoint(request):
    """STS URL and signing region: AWS_ENDPOINT_URL_STS, else regional, else (legacy) global."""
    region = request.region or ECR_PUBLIC_REGION
    override = configured_endpoint(request, "sts")
    if override:
        return override, region
    fips, dualstack = endpoint_variants(request)
    mode = (setting("sts_regional_endpoints", request.env, request.config.profile()) or "regional").lower()
    if mode not in ("legacy", "regional"):
        raise ConfigError("sts_regional_endpoints must be legacy or regional, not %r" % mode[:20])
    global_endpoint = region == "aws-global" or (mode == "legacy" and region in STS_LEGACY_GLOBAL_REGIONS)
    if global_endpoint and not (fips or dualstack):
        return "https://sts.amazonaws.com", ECR_PUBLIC_REGION
    return service_endpoint("sts", region, fips, dualstack), region


def sts_call(request, action, params, credentials):
    """AssumeRole (signed with the source credentials) or AssumeRoleWithWebIdentity (unsigned)."""
    url, region = sts_endpoint(request)
    body = form_encode([("Action", action), ("Version", STS_API_VERSION)] + params).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    response = aws_call(request, "STS " + action, url, headers, body, credentials, region, "sts",
                        lambda r: answer_error(r, "STS"))
    result = xml_fields(response.body, ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Arn"))
    if result is None:
        raise AWSError("STS %s answered something that is not its XML response" % action)
    arn_parts = (result.get("Arn") or "").split(":")
    document = dict(result, AccountId=arn_parts[4] if len(arn_parts) > 4 else None)
    credentials = parse_credential_document(document, "STS " + action,
                                            ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"))
    return mask_and_check_fresh(request, credentials, "STS " + action)


def read_mfa_code(request, serial, profile, windows=None):
    """An MFA code typed on the terminal (stdin carries the docker protocol). The Windows
    console has no termios: the code is shown as it is typed, which a one-time code allows."""
    prompt = open_prompt(windows)
    if prompt is None:
        raise CredentialsError("profile %s needs an MFA code for %s but there is no terminal or console to ask on; "
                               "run 'docker-credential-ecr-login get-login-password <registry>' in a terminal first, "
                               "or use credentials without mfa_serial" % (profile, serial))
    reader, writer = prompt
    with reader, writer:
        echo = terminal_echo(reader.fileno(), False)
        try:
            writer.write(("Enter MFA code for %s: " % serial).encode("utf-8"))
            code = reader.readline(256).decode("utf-8", "replace").strip()
        finally:
            if echo is not None:
                terminal_echo(reader.fileno(), echo)
                writer.write(b"\n")
    if len(code) != 6 or not DIGITS.issuperset(code):
        raise CredentialsError("the MFA code must be 6 digits")
    return code


# ---- web identity (an OIDC token file and a role) --------------------------------------------

class WebIdentitySource(Source):
    """A role assumed with an OIDC token (EKS IRSA, CI systems): unsigned AssumeRoleWithWebIdentity."""

    def __init__(self, role_arn, token_file, session_name, origin, token=None):
        self.role_arn = role_arn
        self.token_file = token_file or ""
        self.token = token  # a token handed over directly (the kubelet's service account token)
        self.session_name = session_name or ""
        self.origin = origin

    def identity(self):
        token_part = self.token_file or sha256_digest((self.token or "").encode("utf-8")).hex()
        return "\n".join(("web-identity", self.role_arn, token_part, self.session_name))

    def describe(self):
        where = "token file %s" % self.token_file if self.token_file else "a service account token"
        return "web identity role %s with %s (%s)" % (self.role_arn, where, self.origin)

    def fetch(self, request):
        token = self.token
        if token is None:
            token = read_secret_file(self.token_file, "web identity token file").strip()
        if not token:
            raise CredentialsError("the web identity token %s is empty" % (self.token_file or "(inline)"))
        request.remember_secret(token)
        params = [("RoleArn", self.role_arn), ("RoleSessionName", self.session_name or default_session_name()),
                  ("WebIdentityToken", token)]
        return sts_call(request, "AssumeRoleWithWebIdentity", params, None)


def plan_web_identity(request, name, top_level):
    """AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN, each falling back to the profile's
    web_identity_token_file/role_arn. The variables count only for the request's own profile,
    and not when the profile is chosen (botocore's disable_env_vars)."""
    env = request.env if top_level and not request.profile else {}
    profile = request.config.profile(name)
    token_file = env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or profile.get("web_identity_token_file")
    if not token_file:
        return None, "not set (AWS_WEB_IDENTITY_TOKEN_FILE)"
    role_arn = env.get("AWS_ROLE_ARN") or profile.get("role_arn")
    if not role_arn:
        raise ConfigError("a web identity token file is set but no role ARN (AWS_ROLE_ARN or role_arn)")
    session_name = env.get("AWS_ROLE_SESSION_NAME") or profile.get("role_session_name")
    origin = "environment" if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") else "profile %s" % name
    return WebIdentitySource(role_arn, token_file, session_name, origin), ""


# ---- SSO (IAM Identity Center) ---------------------------------------------------------------

class SSOSource(Source):
    """IAM Identity Center role credentials, from the SSO token the AWS CLI caches."""

    def __init__(self, profile, settings):
        self.profile = profile
        self.session_name = settings.get("sso_session_name", "")
        self.start_url = settings["sso_start_url"]
        self.region = settings["sso_region"]
        self.account_id = settings["sso_account_id"]
        self.role_name = settings["sso_role_name"]

    def identity(self):
        return "\n".join(("sso", self.session_name, self.start_url, self.account_id, self.role_name))

    def describe(self):
        return "SSO role %s in account %s (profile %s, %s)" % (
            self.role_name, self.account_id, self.profile,
            "sso-session " + self.session_name if self.session_name else self.start_url)

    def fetch(self, request):
        """SSO GetRoleCredentials (unsigned; the bearer token is the SSO access token)."""
        token = load_sso_token(request, self)
        base = configured_endpoint(request, "sso") or service_endpoint("sso", self.region, *endpoint_variants(request))
        url = base + "/federation/credentials?" + form_encode([("account_id", self.account_id),
                                                              ("role_name", self.role_name)])
        try:
            response = aws_call(request, "SSO GetRoleCredentials", url, {"x-amz-sso_bearer_token": token}, None, None,
                                self.region, "awsssoportal", lambda r: answer_error(r, "SSO"), method="GET")
        except AWSError as error:
            if error.status in (401, 403):
                raise CredentialsError("SSO refused the cached token for profile %s (%s); %s" % (
                    self.profile, error, sso_login_hint(self)))
            raise
        try:
            document = json_loads(response.body)["roleCredentials"]
        except (ValueError, KeyError, TypeError):
            raise CredentialsError("SSO GetRoleCredentials answered without roleCredentials")
        credentials = parse_credential_document(document, "SSO GetRoleCredentials",
                                                ("accessKeyId", "secretAccessKey", "sessionToken", "expiration"))
        credentials.account_id = self.account_id
        return mask_and_check_fresh(request, credentials, "SSO GetRoleCredentials")


def plan_sso(request, name, top_level):
    """A profile with sso_role_name or sso_account_id (botocore's trigger): an sso_session
    alone is a token-only profile."""
    profile = request.config.profile(name)
    if profile.get("sso_role_name") or profile.get("sso_account_id"):
        return SSOSource(name, sso_settings(request.config, name, profile)), ""
    if profile.get("sso_session"):
        return None, "sso_session %s without sso_account_id and sso_role_name: a token-only profile, " \
            "no credentials" % profile["sso_session"]
    return None, "not in profile %s" % name


def sso_settings(config, name, profile):
    """The SSO settings of a profile, from its sso-session section or its legacy sso_* keys."""
    keys = ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
    settings = dict((key, profile.get(key)) for key in keys)
    session_name = profile.get("sso_session")
    if session_name:
        session = config.sso_sessions.get(session_name)
        if session is None:
            raise ConfigError("profile %s names sso_session %s, but there is no [sso-session %s] section" % (
                name, session_name, session_name))
        for key in ("sso_start_url", "sso_region"):
            if profile.get(key) and session.get(key) and profile[key] != session[key]:
                raise ConfigError("profile %s and sso-session %s disagree on %s" % (name, session_name, key))
            settings[key] = session.get(key) or profile.get(key)
        settings["sso_session_name"] = session_name
    missing = sorted(key for key, value in settings.items() if not value and key != "sso_session_name")
    if missing:
        raise ConfigError("profile %s is configured for SSO but is missing %s" % (name, ", ".join(missing)))
    return settings


def sso_token_path(request, source):
    """~/.aws/sso/cache/<sha1 of the session name, or of the start URL for legacy profiles>.json"""
    import hashlib

    key = source.session_name or source.start_url
    home = home_directory(request.env)
    if not home:
        raise CredentialsError("cannot find the SSO token cache: HOME is not set")
    return os.path.join(home, ".aws", "sso", "cache", hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")


def sso_login_hint(source):
    return "run: aws sso login --profile %s" % source.profile


def read_cli_cache(path, missing, what, hint):
    """The JSON of a cache file the AWS CLI writes (SSO token, login session); a
    CredentialsError that says what to run when it is missing or broken."""
    try:
        return read_json_file(path, MAX_RESPONSE_BYTES)
    except OSError:
        raise CredentialsError("%s (%s); %s" % (missing, path, hint))
    except ValueError:
        raise CredentialsError("the %s %s is not valid JSON; %s" % (what, path, hint))


def load_sso_token(request, source):
    """The cached SSO access token, refreshed through SSO OIDC when it expires and can be."""
    path = sso_token_path(request, source)
    document = read_cli_cache(path, "no cached SSO token for profile %s" % source.profile, "SSO token cache file",
                              sso_login_hint(source))
    if not isinstance(document, dict) or not isinstance(document.get("accessToken"), str):
        raise CredentialsError("the SSO token cache file %s has no accessToken; %s" % (path, sso_login_hint(source)))
    for name in ("accessToken", "refreshToken", "clientSecret"):
        request.remember_secret(document.get(name))
    try:
        expires = parse_timestamp(str(document.get("expiresAt", "")).replace("UTC", "Z"))
    except ValueError:
        expires = 0
    if expires - EXPIRY_MARGIN_SECONDS > time.time():
        return document["accessToken"]
    if source.session_name and can_refresh_sso_token(document):
        return refresh_sso_token(request, source, path, document)
    raise CredentialsError("the SSO session for profile %s has expired; %s" % (source.profile, sso_login_hint(source)))


def can_refresh_sso_token(document):
    if not all(isinstance(document.get(key), str) for key in ("refreshToken", "clientId", "clientSecret")):
        return False
    try:
        return parse_timestamp(document.get("registrationExpiresAt", "")) > time.time()
    except ValueError:
        return True


def refresh_sso_token(request, source, path, document):
    """SSO OIDC CreateToken with the refresh token; the new token is written back."""
    url = configured_endpoint(request, "sso_oidc") or service_endpoint("sso_oidc", source.region, *endpoint_variants(request))
    body = json_dumps({"grantType": "refresh_token", "clientId": document["clientId"],
                       "clientSecret": document["clientSecret"], "refreshToken": document["refreshToken"]})
    try:
        response = aws_call(request, "SSO OIDC CreateToken", url + "/token", {"Content-Type": "application/json"},
                            body, None, source.region, "sso-oauth", answer_error)
        answer = json_loads(response.body)
        token, lifetime = answer["accessToken"], answer["expiresIn"]
        if not isinstance(token, str) or not isinstance(lifetime, (int, float)):
            raise ValueError
    except (AWSError, ValueError, KeyError, TypeError) as error:
        raise CredentialsError("the SSO session for profile %s has expired and could not be refreshed (%s); %s" % (
            source.profile, error if isinstance(error, AWSError) else "bad CreateToken answer", sso_login_hint(source)))
    request.remember_secret(token)
    document = dict(document, accessToken=token,
                    expiresAt=format_go_time(int(time.time() + lifetime) * 10 ** 9, utc=True))
    if isinstance(answer.get("refreshToken"), str):
        request.remember_secret(answer["refreshToken"])
        document["refreshToken"] = answer["refreshToken"]
    try:
        write_private_file(path, json_dumps(document))
    except OSError as error:
        request.log.warning("could not save the refreshed SSO token to %s: %s" % (path, error.strerror))
    return token


# ---- aws login (login_session) ---------------------------------------------------------------

LOGIN_CACHE_PATH = (".aws", "login", "cache")
LOGIN_TOKEN_PATH = "/v1/token"


class LoginSource(Source):
    """`aws login` credentials (a profile's login_session): the ones the AWS CLI caches under
    ~/.aws/login/cache, refreshed with their refresh token when they expire."""

    def __init__(self, profile, session):
        self.profile = profile
        self.session = session

    def identity(self):
        return "\n".join(("login", self.session))

    def describe(self):
        return "aws login session %s (profile %s)" % (self.session, self.profile)

    def fetch(self, request):
        """The cached `aws login` credentials while they are valid, else refreshed ones."""
        path = login_cache_path(request, self)
        document = read_cli_cache(path, "no cached aws login session for profile %s" % self.profile,
                                  "aws login cache file", login_hint(self))
        try:
            credentials = login_cache_credentials(document)
        except (ValueError, CredentialsError):
            raise CredentialsError("the aws login cache file %s holds no credentials; %s" % (path, login_hint(self)))
        for name in ("refreshToken", "dpopKey", "idToken"):
            request.remember_secret(document.get(name))
        if not credentials.expiring():
            return mask_and_check_fresh(request, credentials, "the aws login cache")
        if not all(isinstance(document.get(name), str) and document[name]
                   for name in ("refreshToken", "clientId", "dpopKey")):
            raise CredentialsError("the aws login session for profile %s has expired and cannot be refreshed; %s" % (
                self.profile, login_hint(self)))
        return refresh_login(request, self, path, document)


def plan_login(request, name, top_level):
    session = request.config.profile(name).get("login_session")
    return LoginSource(name, session) if session else None, "not in profile %s" % name


def login_hint(source):
    return "run: aws login --profile %s" % source.profile


def login_cache_path(request, source):
    """$AWS_LOGIN_CACHE_DIRECTORY (else ~/.aws/login/cache)/<sha256 of the session>.json"""
    directory = request.settings.login_cache_directory
    if directory:
        directory = expand_home(expand_variables(directory, request.env), request.env)
    else:
        home = home_directory(request.env)
        if not home:
            raise CredentialsError("cannot find the aws login cache: HOME is not set (or set AWS_LOGIN_CACHE_DIRECTORY)")
        directory = os.path.join(home, *LOGIN_CACHE_PATH)
    return os.path.join(directory, sha256_digest(source.session.encode("utf-8")).hex() + ".json")


def login_cache_credentials(document):
    """Credentials from a login cache entry's accessToken; ValueError when it has none."""
    token = document.get("accessToken") if isinstance(document, dict) else None
    if not isinstance(token, dict):
        raise ValueError("no accessToken")
    credentials = parse_credential_document(token, "the aws login cache", (
        "accessKeyId", "secretAccessKey", "sessionToken", "expiresAt"))
    if credentials.expiry is None:
        raise ValueError("no expiresAt")
    credentials.account_id = credentials.account_id or (
        token.get("accountId") if isinstance(token.get("accountId"), str) else None)
    return credentials


def random_uuid4():
    """A random (version 4) UUID string, without importing uuid."""
    data = bytearray(os.urandom(16))
    data[6] = data[6] & 0x0F | 0x40
    data[8] = data[8] & 0x3F | 0x80
    text = bytes(data).hex()
    return "-".join((text[:8], text[8:12], text[12:16], text[16:20], text[20:]))


def refresh_login(request, source, path, document):
    """AWS Sign-In CreateOAuth2Token with the refresh token, unsigned but with a DPoP proof made
    with the session's key; the refreshed entry is written back (0600, atomically)."""
    region = request.region or default_region(request.env, request.config)
    if not region:
        raise CredentialsError("the aws login session for profile %s needs refreshing, which needs a region" %
                               source.profile)
    url = (configured_endpoint(request, "signin") or signin_endpoint(region, *endpoint_variants(request))) + LOGIN_TOKEN_PATH
    try:
        key = ec_private_key(document["dpopKey"])
    except ValueError as error:
        raise CredentialsError("the aws login cache file %s has an unusable dpopKey (%s); %s" % (
            path, error, login_hint(source)))
    body = json_dumps({"clientId": document["clientId"], "refreshToken": document["refreshToken"],
                       "grantType": "refresh_token"})
    headers = {"Content-Type": "application/json", "DPoP": dpop_proof(key, url, time.time(), random_uuid4())}
    try:
        response = aws_call(request, "Sign-In CreateOAuth2Token", url, headers, body, None, region, "signin",
                            lambda r: answer_error(r, "Sign-In"))
    except AWSError as error:
        if 400 <= error.status < 500:
            raise CredentialsError("the aws login session for profile %s could not be refreshed (%s); %s" % (
                source.profile, error, login_hint(source)))
        raise
    try:
        answer = json_loads(response.body)
        lifetime = answer["expiresIn"]
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or \
                not isinstance(answer["refreshToken"], str) or not isinstance(answer["accessToken"], dict):
            raise ValueError("wrong types")
        token = dict(answer["accessToken"], expiresAt=format_go_time(int(time.time() + lifetime) * 10 ** 9, utc=True))
        credentials = login_cache_credentials({"accessToken": token})
    except (ValueError, KeyError, TypeError, CredentialsError):
        raise CredentialsError("Sign-In CreateOAuth2Token gave an unusable answer; %s" % login_hint(source))
    request.remember_secret(answer["refreshToken"])
    account_id = document["accessToken"].get("accountId")
    token = {"accessKeyId": credentials.access_key, "secretAccessKey": credentials.secret_key,
             "sessionToken": credentials.token, "accountId": account_id, "expiresAt": token["expiresAt"]}
    credentials.account_id = account_id if isinstance(account_id, str) else None
    try:
        write_private_file(path, json_dumps(dict(document, accessToken=token, refreshToken=answer["refreshToken"])))
    except OSError as error:
        request.log.warning("could not save the refreshed aws login session to %s: %s" % (path, error.strerror))
    return mask_and_check_fresh(request, credentials, "Sign-In CreateOAuth2Token")


# ---- credential_process ----------------------------------------------------------------------

# How much of a credential_process's stderr is kept, for its first line in the error message.
PROCESS_STDERR_KEPT_BYTES = 4096


class ProcessSource(Source):
    """credential_process: an external command that prints credentials as JSON."""

    def __init__(self, profile, settings):
        self.profile = profile
        self.command = settings["credential_process"]
        self.account_id = settings.get("aws_account_id")

    def identity(self):
        return "\n".join(("process", self.profile, self.command))

    def describe(self):
        return "credential_process of profile %s" % self.profile

    def fetch(self, request):
        """Run credential_process as botocore does: split into words (shlex, or the C runtime's
        rules on Windows), no shell; with a timeout."""
        import subprocess

        timeout = request.settings.process_timeout
        try:
            argv = split_command(self.command)
        except ValueError as error:
            raise ConfigError("credential_process of profile %s cannot be split into words: %s" % (self.profile, error))
        if not argv:
            raise ConfigError("credential_process of profile %s is empty" % self.profile)
        what = "credential_process %s" % argv[0]
        reader, writer = open_prompt() or (None, None)  # the terminal (the Windows console) if any
        stderr_read, stderr_write = os.pipe()
        try:
            process = subprocess.Popen(argv, stdin=reader or subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=stderr_write)
        except OSError as error:
            for handle in (reader, writer, stderr_read):
                close_quietly(handle)
            raise CredentialsError("%s could not be started: %s" % (what, error.strerror or error))
        finally:
            os.close(stderr_write)
        stderr = StderrTee(stderr_read, writer)
        rest_of_stderr = 1.0  # seconds for what it wrote just before exiting
        try:
            stdout = process.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()  # not communicate(): a child of the process (sh -c) may hold the pipes open
            process.stdout.close()
            rest_of_stderr = 0  # the reason is the timeout, not what it said
            raise CredentialsError("%s did not finish within %g seconds (AWS_ECR_PROCESS_TIMEOUT)" % (what, timeout))
        finally:
            stderr.finish(rest_of_stderr)
            close_quietly(reader)
            close_quietly(writer)
        if process.returncode != 0:
            lines = stderr.kept().strip().splitlines()
            raise CredentialsError("%s exited with status %d%s" % (
                what, process.returncode, ": " + lines[0][:300] if lines else ""))
        try:
            document = json_loads(stdout[:MAX_RESPONSE_BYTES])
        except ValueError:
            raise CredentialsError("%s did not print a JSON object" % what)
        if not isinstance(document, dict) or document.get("Version") != 1:
            raise CredentialsError("%s printed an unsupported Version (expected 1)" % what)
        credentials = parse_credential_document(document, what,
                                                ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"))
        credentials.account_id = credentials.account_id or self.account_id
        return mask_and_check_fresh(request, credentials, what)


def plan_process(request, name, top_level):
    profile = request.config.profile(name)
    return ProcessSource(name, profile) if profile.get("credential_process") else None, "not in profile %s" % name


class StderrTee:
    """Reads a child's stderr pipe on a thread: shows it on the terminal as it comes (an
    aws-vault or Okta prompt must be seen while the process waits), keeps its start."""

    def __init__(self, descriptor, terminal):
        import threading

        self.descriptor = descriptor
        self.terminal = terminal
        self.start = b""
        self.thread = threading.Thread(target=self.pump)
        self.thread.daemon = True  # a grandchild may hold the pipe open after a kill
        self.thread.start()

    def pump(self):
        while True:
            try:
                chunk = os.read(self.descriptor, 4096)
            except OSError:
                return
            if not chunk:
                return
            if len(self.start) < PROCESS_STDERR_KEPT_BYTES:
                self.start += chunk[:PROCESS_STDERR_KEPT_BYTES - len(self.start)]
            if self.terminal is not None:
                try:
                    self.terminal.write(chunk)
                except OSError:
                    self.terminal = None

    def finish(self, wait):
        """Wait up to wait seconds for the rest of the output, then stop reading."""
        self.thread.join(wait)
        if not self.thread.is_alive():
            close_quietly(self.descriptor)

    def kept(self):
        return self.start.decode("utf-8", "replace")


def split_command(command, windows=None):
    """A command line's words as botocore's compat_shell_split gives them: shlex.split, and
    on Windows the C runtime's rules, so that "C:\\Program Files\\tool.exe" --flag works."""
    if (os.name == "nt") if windows is None else windows:
        return split_windows_command(command)
    import shlex

    return shlex.split(command)


def split_windows_command(command):
    """Only space and tab separate words; double quotes group them; backslashes are literal
    except in a run that ends at a quote, where 2n give n and 2n+1 give n and a literal quote."""
    words, word, quoted, backslashes = [], None, False, 0
    for character in command:
        if character == "\\":
            backslashes += 1
            continue
        if character == '"':
            word = (word or "") + "\\" * (backslashes // 2) + ('"' if backslashes % 2 else "")
            quoted = quoted if backslashes % 2 else not quoted
            backslashes = 0
            continue
        word = (word or "") + "\\" * backslashes if backslashes else word
        backslashes = 0
        if character in " \t" and not quoted:
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + character
    if quoted:
        raise ValueError("no closing quotation")
    if backslashes:
        word = (word or "") + "\\" * backslashes
    return words + ([word] if word is not None else [])


# ---- container endpoint (ECS task roles, EKS Pod Identity) -----------------------------------

CONTAINER_RELATIVE_HOST = "http://169.254.170.2"
# Hosts the container provider may reach over plain http (besides loopback addresses).
CONTAINER_HTTP_HOSTS = ("localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23")
CONTAINER_ATTEMPTS = 3


class ContainerSource(Source):
    """An ECS task role or EKS Pod Identity: the container credentials endpoint."""

    def __init__(self, url, token, token_file):
        self.url = url
        self.token = token
        self.token_file = token_file

    def identity(self):
        token_part = self.token_file or (sha256_digest(self.token.encode("utf-8")).hex() if self.token else "")
        return "\n".join(("container", self.url, token_part))

    def describe(self):
        return "container credentials endpoint %s" % self.url

    def fetch(self, request):
        """GET the ECS/EKS container credentials endpoint, three tries."""
        token = self.token
        if self.token_file:
            token = read_secret_file(self.token_file, "container authorization token file")
        if "\r" in token or "\n" in token:
            raise CredentialsError("the container authorization token contains a line break")
        request.remember_secret(token)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = token
        timeout = request.settings.container_timeout
        what = "the container credentials endpoint %s" % self.url
        reason = ""
        for attempt in range(CONTAINER_ATTEMPTS):
            if attempt:
                time.sleep(request.settings.retry_delay)
            try:
                response = http_request(request, "GET", self.url, headers, None, timeout, use_proxy=False)
            except AWSError as error:
                if not error.retryable:  # a redirect or an untrusted certificate: the same next time
                    raise CredentialsError("%s: %s" % (what, error))
                reason = str(error)
                continue
            if response.status == 200:
                try:
                    document = json_loads(response.body)
                except ValueError:
                    reason = "answered something that is not JSON"
                    continue
                return mask_and_check_fresh(request, parse_credential_document(document, what), what)
            reason = "answered HTTP %d" % response.status
        raise CredentialsError("%s failed after %d tries: %s" % (what, CONTAINER_ATTEMPTS, reason))


def ipv4_numbers(text):
    """The four numbers of a dotted-quad IPv4 literal as inet_pton reads it (no leading zeros,
    no short forms such as 127.1, which a resolver would take another way), or None."""
    parts = text.split(".")
    if len(parts) != 4 or not all(part and len(part) <= 3 and DIGITS.issuperset(part) and
                                  (part == "0" or part[0] != "0") and int(part) < 256 for part in parts):
        return None
    return [int(part) for part in parts]


def ipv6_groups(text):
    """The eight 16-bit groups of an IPv6 literal (1-4 hex digits each, at most one "::"),
    or None."""
    head, double, tail = text.partition("::")
    left, right = head.split(":") if head else [], tail.split(":") if tail else []
    groups = left + right
    missing = 8 - len(groups)
    if "::" in tail or not all(group and len(group) <= 4 and HEX_DIGITS.issuperset(group) for group in groups) \
            or missing < (1 if double else 0) or (missing and not double):
        return None
    return [int(group, 16) for group in left] + [0] * missing + [int(group, 16) for group in right]


def is_loopback_address(host):
    """127.0.0.0/8 or ::1 written as a strict IP literal (no DNS lookup, as botocore)."""
    numbers = ipv4_numbers(host)
    if numbers is not None:
        return numbers[0] == 127
    return ipv6_groups(host) == [0] * 7 + [1]


def plan_container(request, name, top_level):
    """AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (wins) or _FULL_URI. A full URI that is neither
    https nor a loopback/ECS/EKS host is refused here, before any connection."""
    env = request.env
    relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
    full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
    if relative:
        url = CONTAINER_RELATIVE_HOST + relative
    elif full:
        scheme, host, _, _ = split_url(full)
        if scheme == "http" and host not in CONTAINER_HTTP_HOSTS and not is_loopback_address(host):
            raise ConfigError("Unsupported host %r in AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is allowed only "
                              "to loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23" % host)
        url = full
    else:
        return None, "not set (AWS_CONTAINER_CREDENTIALS_*_URI)"
    token_file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
    token = "" if token_file else env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
    return ContainerSource(url, token, token_file), ""


# ---- EC2 instance metadata -------------------------------------------------------------------

IMDS_IPV4_ENDPOINT = "http://169.254.169.254"
IMDS_IPV6_ENDPOINT = "http://[fd00:ec2::254]"
IMDS_TOKEN_TTL_SECONDS = "21600"


class IMDSSource(Source):
    """The EC2 instance's role, from the instance metadata service."""

    def __init__(self, endpoint, timeout, attempts, v1_disabled):
        self.endpoint = endpoint
        self.timeout = timeout
        self.attempts = attempts
        self.v1_disabled = v1_disabled

    def identity(self):
        return "\n".join(("imds", self.endpoint))

    def describe(self):
        return "EC2 instance metadata at %s" % self.endpoint

    def fetch(self, request):
        """IMDSv2 (token, role name, credentials), falling back to IMDSv1 unless it is disabled."""
        token_response = self.answer(request, "PUT", "/latest/api/token",
                                      {"x-aws-ec2-metadata-token-ttl-seconds": IMDS_TOKEN_TTL_SECONDS})
        silent = CredentialsError("no AWS credentials found: the EC2 instance metadata service at %s did not answer "
                                  "(%gs per request; not on EC2? set AWS_EC2_METADATA_DISABLED=true to skip it)" % (
                                      self.endpoint, self.timeout))
        headers = {}
        if token_response is None:  # as botocore: no answer to the PUT (an IMDSv2 hop limit of 1) means IMDSv1
            if self.v1_disabled:
                raise silent
            request.log.debug("no answer to the IMDSv2 token request; trying IMDSv1")
        elif token_response.status == 200:
            token = token_response.body.decode("ascii", "replace")
            request.remember_secret(token)
            headers["x-aws-ec2-metadata-token"] = token
        elif token_response.status != 400 and not self.v1_disabled:  # botocore: only 400 is final
            request.log.debug("IMDSv2 token refused (HTTP %d); trying IMDSv1" % token_response.status)
        else:
            raise CredentialsError("the EC2 instance metadata service refused a session token (HTTP %d)%s" % (
                token_response.status, "; IMDSv1 fallback is disabled" if self.v1_disabled else ""))
        base = "/latest/meta-data/iam/security-credentials/"
        role_response = self.answer(request, "GET", base, headers)
        if role_response is None:
            raise silent
        if role_response.status != 200 or not role_response.body.strip():
            raise CredentialsError("no IAM role is attached to this EC2 instance (instance metadata at %s)" %
                                   self.endpoint)
        role = role_response.body.decode("utf-8", "replace").strip().splitlines()[0]
        creds_response = self.answer(request, "GET", base + role, headers)
        if creds_response is None or creds_response.status != 200:
            raise CredentialsError("the EC2 instance metadata service gave no credentials for role %s" % role)
        try:
            document = json_loads(creds_response.body)
        except ValueError:
            raise CredentialsError("the EC2 instance metadata service answered credentials that are not JSON")
        if isinstance(document, dict) and str(document.get("Code", "Success")).lower() != "success":
            raise CredentialsError("the EC2 instance metadata service answered %s for role %s" % (
                str(document.get("Code"))[:50], role))
        what = "EC2 instance metadata"
        return mask_and_check_fresh(request, parse_credential_document(document, what), what)

    def answer(self, request, method, path, headers):
        """One IMDS request with this source's timeout and attempts; None when it never answered."""
        response = None
        for attempt in range(self.attempts):
            try:
                response = http_request(request, method, self.endpoint + path, headers, None, self.timeout,
                                        use_proxy=False)
            except AWSError as error:
                if not error.retryable:
                    raise CredentialsError("the EC2 instance metadata service: %s" % error)
                response = None
                continue
            if response.status == 200 and response.body:
                break
        return response


def plan_imds(request, name, top_level):
    env = request.env
    if request.settings.imds_disabled:
        return None, "disabled (AWS_EC2_METADATA_DISABLED=true)"
    profile = request.config.profile()
    endpoint = setting("imds_endpoint", env, profile)
    if endpoint:
        split_url(endpoint)  # validates it
    else:
        mode = setting("imds_endpoint_mode", env, profile) or "IPv4"
        if mode.lower() not in ("ipv4", "ipv6"):
            raise ConfigError("invalid EC2 metadata endpoint mode %r: use IPv4 or IPv6" % mode[:20])
        endpoint = IMDS_IPV6_ENDPOINT if mode.lower() == "ipv6" else IMDS_IPV4_ENDPOINT
    return IMDSSource(endpoint.rstrip("/"), setting("imds_timeout", env, profile),
                      setting("imds_attempts", env, profile), setting("imds_v1_disabled", env, profile)), ""


# ---- the chain: one table, walked by get and doctor alike ------------------------------------

# Where a row is tried: TOP_LEVEL, once per request; EVERY_PROFILE, for the request's profile
# and again for each source_profile of a role chain (botocore's ProfileProviderBuilder).
TOP_LEVEL, EVERY_PROFILE = "top level", "every profile"

# The credential chain, in botocore's order: (name doctor shows, where it is tried, planner,
# the credential_source name that selects it). A planner(request, profile name, top_level)
# returns (Source or None, why there is none) without any network call, and raises for a
# source that is configured but broken. Each file's keys are a row of their own, so a key pair
# from one file never takes a token from the other.
CHAIN = (
    ("environment keys", TOP_LEVEL, plan_environment_keys, "Environment"),
    ("assume role (role_arn)", TOP_LEVEL, plan_role, None),
    ("web identity", EVERY_PROFILE, plan_web_identity, None),
    ("SSO", EVERY_PROFILE, plan_sso, None),
    ("credentials file keys", EVERY_PROFILE, plan_credentials_file_keys, None),
    ("aws login (login_session)", EVERY_PROFILE, plan_login, None),
    ("credential_process", EVERY_PROFILE, plan_process, None),
    ("config file keys", EVERY_PROFILE, plan_config_file_keys, None),
    ("container endpoint", TOP_LEVEL, plan_container, "EcsContainer"),
    ("EC2 instance metadata", TOP_LEVEL, plan_imds, "Ec2InstanceMetadata"),
)


def chain_walk(request, source_profile=None):
    """(row name, Source or None, why there is none) for each row of CHAIN in order, up to the
    first with a source: for the request, or for a source_profile of a role chain (its
    EVERY_PROFILE rows). A request's walk that finds nothing raises. get (plan_credentials) and
    doctor both walk the chain here."""
    config = request.config
    top_level = source_profile is None
    if top_level:
        config.check_selected_profile()
    name = config.profile_name if top_level else source_profile
    for row_name, scope, planner, _ in CHAIN:
        if top_level or scope == EVERY_PROFILE:
            source, why_none = planner(request, name, top_level)
            yield row_name, source, why_none
            if source is not None:
                return
    if top_level:
        raise CredentialsError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a "
            "profile in %s or %s (IMDS is off: AWS_EC2_METADATA_DISABLED=true)" % (
                config.config_path, config.credentials_path))


def plan_credentials(request, source_profile=None):
    """The Source the AWS CLI would use: the first row of CHAIN that has one (see chain_walk);
    None when a source_profile has none."""
    return next((source for _, source, _ in chain_walk(request, source_profile) if source is not None), None)


# ============================================================================================
# TOKEN CACHE (the Go helper's cache.json v1.0: same schema, same keys for static keys)
# ============================================================================================

CACHE_VERSION = "1.0"
CACHE_FILE = "cache.json"
LOCK_FILE = "cache.json.lock"
# The last failed fetch (key, time, reason): helpers that waited on the lock during it fail at
# once with the same reason instead of each retrying for up to 30 s in turn.
FAILURE_FILE = "cache.json.failure"
# How far ahead of our clock a failure record may be dated: another helper's clock read.
CLOCK_SLACK_SECONDS = 5.0
# How often a waiting helper tries the lock: in a burst of pulls each waiter answers within this
# of the token being cached; a try is one system call.
LOCK_POLL_SECONDS = 0.005
# cache.json holds a few KiB per registry; a file past this is damaged, and is rewritten.
MAX_CACHE_FILE_BYTES = 16 * 1024 * 1024
# md5(b"").digest(): the Go helper's legacy key "checksum" appended it to the raw key id.
MD5_OF_NOTHING = b"\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e"
# Sources other than static keys are keyed on this prefix + their identity, so their keys can
# never collide with an access key id's.
SOURCE_KEY_PREFIX = "ecr-login-source:"


def b64(data):
    import binascii

    return binascii.b2a_base64(data).decode("ascii").rstrip("\n")


def go_fips_mode(env):
    """GODEBUG=fips140=on|only: the Go helper then neither builds nor reads its legacy MD5-era
    keys, and neither do we, so both helpers agree on what such a cache holds."""
    settings = [item.strip() for item in env.get("GODEBUG", "").split(",")]
    return "fips140=on" in settings or "fips140=only" in settings


def cache_keys(registry, source, legacy=True):
    """The cache keys to look under, the first being the one to write. Static keys use the Go
    helper's key (and, when legacy, its old key as a read fallback); other sources their identity."""
    identity = source.identity()
    static = isinstance(source, StaticSource)
    checksum = b64(sha256_digest((identity if static else SOURCE_KEY_PREFIX + identity).encode("utf-8")))
    if registry.is_public:
        keys = ["ecr-public-" + checksum]
    else:
        keys = ["%s-%s-%s" % (registry.region, checksum, registry.account)]
    if static and legacy:
        old_checksum = b64(identity.encode("utf-8") + MD5_OF_NOTHING)
        keys.append("ecr-public-" + old_checksum if registry.is_public else
                    "%s-%s-%s" % (registry.region, old_checksum, registry.account))
    return keys


def fresh_until(requested, token_expires, valid_until):
    """The end of a cached token's freshness: the Go helper's half-life rule (refresh once half
    the token's own life has passed), and never within EXPIRY_MARGIN_SECONDS of the time it
    stops working (its expiry, or its credentials' when earlier), which Go would still hand out."""
    return min(token_expires - (token_expires - requested) / 2, valid_until - EXPIRY_MARGIN_SECONDS)


class CacheEntry:
    """One registry's entry in cache.json (the Go helper's AuthEntry): the only code that knows
    its fields. The JSON object is kept whole, so what a Go helper wrote survives our rewrites."""

    def __init__(self, document):
        self.document = document
        self.parsed = None

    @classmethod
    def from_json(cls, document):
        """The entry for a value of the Registries map; None when it is not an object."""
        return cls(document) if isinstance(document, dict) else None

    @classmethod
    def for_token(cls, auth, service):
        """The entry for a new token. ExpiresAt is the earlier of ECR's expiresAt and the expiry
        of the credentials that minted the token, so the Go helper reading the file never serves
        it past either; ECR's own expiry, when later, is kept in TokenExpiresAt (which Go
        ignores) for the half-life rule."""
        document = {
            "AuthorizationToken": auth.token,
            "RequestedAt": format_go_time(now_ns()),
            "ExpiresAt": format_expiry(auth.valid_until),
            "ProxyEndpoint": auth.proxy_endpoint,
            "Service": service,
        }
        if auth.limited_by_credentials:
            document["TokenExpiresAt"] = format_expiry(auth.expires_at)
        return cls(document)

    def to_json(self):
        document = dict(self.document)
        document.setdefault("Service", "ecr")  # entries of Go helpers before v0.5.0
        return document

    @property
    def expires_text(self):
        return self.document.get("ExpiresAt")

    def token(self):
        """(AuthToken, requested at), or (None, None) when the entry is unreadable."""
        if self.parsed is None:
            self.parsed = None, None
            try:
                requested = parse_timestamp(self.document.get("RequestedAt"))
                valid_until = parse_timestamp(self.expires_text)
                token_expires = valid_until
                if "TokenExpiresAt" in self.document:
                    token_expires = max(valid_until, parse_timestamp(self.document["TokenExpiresAt"]))
                credentials_expiry = valid_until if token_expires > valid_until else None
                self.parsed = AuthToken(self.document["AuthorizationToken"], token_expires,
                                        self.document.get("ProxyEndpoint") or "", credentials_expiry), requested
            except (KeyError, TypeError, ValueError, AWSError):
                pass
        return self.parsed

    @property
    def auth(self):
        """The AuthToken, or None when the entry is unreadable."""
        return self.token()[0]

    def is_fresh(self, now):
        """Readable and, by the half-life rule (fresh_until), still to be served from the cache."""
        auth, requested = self.token()
        return auth is not None and now < auth.fresh_until(requested)

    def is_unexpired(self, now):
        """ExpiresAt is more than EXPIRY_MARGIN_SECONDS away (the Go helper's IsValid, with our margin)."""
        try:
            return now < parse_timestamp(self.expires_text) - EXPIRY_MARGIN_SECONDS
        except ValueError:
            return False


def write_private_file(path, data, durable=True):
    """Write a file readable by its owner only, atomically: a fresh temp file beside it (O_EXCL,
    never through a symlink), renamed over whatever was there. A missing directory is made
    private (make_private_directory); temp files a killed writer left there are removed.
    durable=False skips the fsync (milliseconds of disk latency on every cold get) for what
    can be fetched again: a crash then leaves at worst a damaged cache file, which is ignored
    and rewritten."""
    directory = os.path.dirname(path)
    if directory:
        make_private_directory(directory)
    temp = "%s.%d.%d.tmp" % (path, os.getpid(), now_ns() % 10 ** 9)
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | SAFE_OPEN_FLAGS, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            written_at = os.fstat(handle.fileno()).st_mtime  # the file system's clock, as for the others
        replace_file(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    remove_stale_temp_files(path, written_at)


REPLACE_RETRY_SECONDS = 1.0  # a reader or a virus scanner holds a file open only briefly
REPLACE_RETRY_PAUSE = 0.02


def replace_file(source, target, windows=None):
    """os.replace; on Windows retried for a moment while another process has the target open,
    which Windows refuses (a sharing violation) where POSIX would just rename."""
    deadline = time.time() + REPLACE_RETRY_SECONDS
    while True:
        try:
            return os.replace(source, target)
        except PermissionError:
            if not ((os.name == "nt") if windows is None else windows) or time.time() >= deadline:
                raise
            time.sleep(REPLACE_RETRY_PAUSE)


def make_private_directory(path):
    """Create a directory, and any missing parents, as 0700 (os.makedirs would give parents
    the umask's mode); an existing directory is left as it is."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path:
        make_private_directory(parent)
    make_private_level(path)
    if not os.path.isdir(path):
        raise NotADirectoryError("%s is not a directory" % path)


class TokenCache:
    """cache.json in the cache directory. Reads never lock (writes are atomic renames); a
    miss takes the lock file so that concurrent gets make one GetAuthorizationToken call."""

    enabled = True

    def __init__(self, directory, log, legacy_keys=True):
        self.directory = directory
        self.path = os.path.join(directory, CACHE_FILE)
        self.log = log
        self.legacy_keys = legacy_keys
        self.registries = None  # the map as last read, and (after a second read) the file's stat then
        self.read_as = None

    def slot(self, registry, source):
        return CacheSlot(self, cache_keys(registry, source, self.legacy_keys))

    def entries(self):
        return [entry for entry in map(CacheEntry.from_json, self.load().values()) if entry is not None]

    def load(self):
        """The registries map; {} when the file is missing, unreadable or damaged. The first
        read is unconditional (the warm path pays for nothing more); later ones stat the file
        and read it again only when it has changed since."""
        if self.registries is not None:
            try:
                state = file_state(os.stat(self.path))
            except OSError:
                state = None
            if state is not None and state == self.read_as:
                return self.registries
            self.read_as = state
        self.registries = self.read()
        return self.registries

    def read(self):
        try:
            document = read_json_file(self.path, MAX_CACHE_FILE_BYTES, private=True)
        except OSError as error:
            if getattr(error, "errno", None) != 2:
                self.log.info("ignoring the token cache: %s" % (error.strerror or error))
            return {}
        except ValueError:
            document = None
        if not isinstance(document, dict) or not isinstance(document.get("Registries"), dict) \
                or document.get("Version") != CACHE_VERSION:
            self.log.info("ignoring the token cache %s: not a version %s cache; it will be rewritten" % (
                self.path, CACHE_VERSION))
            return {}
        return document["Registries"]

    def store(self, key, entry, now):
        """Add an entry, dropping expired ones; write it as Go's MarshalIndent would."""
        entries = ((name, CacheEntry.from_json(value)) for name, value in self.load().items())
        kept = dict((name, old) for name, old in entries if old is not None and old.is_unexpired(now))
        kept[key] = entry
        document = {"Registries": dict((name, kept[name].to_json()) for name in sorted(kept)),
                    "Version": CACHE_VERSION}
        write_private_file(self.path, json_dumps(document, indent=2), durable=False)
        self.registries = None

    def lock(self, timeout):
        self.log.debug("taking the cache lock")
        return FileLock(os.path.join(self.directory, LOCK_FILE), timeout, self.log)


def file_state(info):
    """What changes whenever a file is replaced or rewritten (cache.json is always renamed into place)."""
    return info.st_ino, info.st_size, info.st_mtime_ns


class CacheSlot:
    """One registry's place in the cache for one credential source (the Go helper's
    CredentialsCache): it owns the keys, the first being the one written."""

    def __init__(self, cache, keys):
        self.cache = cache
        self.keys = keys

    def get(self):
        """The first entry stored under one of the keys, or None."""
        registries = self.cache.load()
        for key in self.keys:
            entry = CacheEntry.from_json(registries.get(key))
            if entry is not None:
                return entry
        return None

    def put(self, entry):
        """Store a freshly fetched token's entry and forget the last failure; a cache that
        cannot be written is logged and skipped."""
        self.clear_failure()
        try:
            self.cache.store(self.keys[0], entry, time.time())
        except OSError as error:
            self.cache.log.info("could not save the token cache %s: %s" % (self.cache.path, error.strerror or error))

    def lock(self, timeout):
        return self.cache.lock(timeout)

    @property
    def failure_path(self):
        return os.path.join(self.cache.directory, FAILURE_FILE)

    def record_failure(self, reason):
        """Note why a fetch failed (a non-secret reason), for helpers waiting on the lock."""
        try:
            write_private_file(self.failure_path, json_dumps(
                {"Key": self.keys[0], "At": time.time(), "Reason": reason}), durable=False)
        except OSError:
            pass

    def failure_since(self, since):
        """The reason a fetch for this slot failed while we waited (after `since`), or None. A
        record from the future was written under a clock that has since been put right: ignored."""
        try:
            document = read_json_file(self.failure_path, MAX_RESPONSE_BYTES, private=True)
            if document.get("Key") == self.keys[0] and \
                    since <= float(document.get("At")) <= time.time() + CLOCK_SLACK_SECONDS:
                return str(document.get("Reason"))
        except (OSError, ValueError, TypeError, AttributeError):
            pass
        return None

    def clear_failure(self):
        try:
            os.unlink(self.failure_path)
        except OSError:
            pass


class NoTokenCache:
    """The token cache when there is none (AWS_ECR_DISABLE_CACHE, or no trusted cache
    directory), and its only slot: every get misses, nothing is kept, the lock is no lock."""

    enabled = False

    def slot(self, registry, source):
        return self

    def entries(self):
        return []

    def get(self):
        return None

    def put(self, entry):
        pass

    def record_failure(self, reason):
        pass

    def failure_since(self, since):
        return None

    def lock(self, timeout):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


class FileLock:
    """An exclusive OS lock on a file (fcntl on POSIX, msvcrt on Windows). If it cannot be
    had within the timeout, or the directory cannot hold a lock file, the caller goes on
    without it: a duplicate token call is better than a failed pull."""

    def __init__(self, path, timeout, log):
        self.path = path
        self.timeout = timeout
        self.log = log
        self.descriptor = None

    def __enter__(self):
        try:
            self.descriptor = open_private_writable(self.path, os.O_RDWR)
            deadline = time.time() + self.timeout
            while not self.try_lock():
                if time.time() >= deadline:
                    self.log.warning("gave up waiting %gs for the cache lock %s" % (self.timeout, self.path))
                    self.release()
                    break
                time.sleep(LOCK_POLL_SECONDS)
        except OSError as error:  # e.g. ENOLCK, EOPNOTSUPP: NFS, SMB and some FUSE mounts have no locks
            self.log.info("working without the cache lock %s: %s" % (self.path, error.strerror or error))
            self.release()
        return self

    def try_lock(self):
        """True once the lock is ours, False while another process holds it; OSError when this
        file system cannot lock at all."""
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(self.descriptor, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except (BlockingIOError, PermissionError):  # EWOULDBLOCK (flock), EACCES (msvcrt): held
            return False

    def __exit__(self, *exc_info):
        if self.descriptor is not None and os.name == "nt":
            import msvcrt

            try:
                msvcrt.locking(self.descriptor, msvcrt.LK_UNLCK, 1)
            except OSError:
                pass
        self.release()
        return False

    def release(self):
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing releases an flock
            self.descriptor = None


# ============================================================================================
# HTTP (a small HTTP/1.1 client on socket + ssl: proxies, NO_PROXY, CA bundle, no redirects)
# ============================================================================================

#
# Why not urllib or http.client: urllib.request imports http.client, email, datetime, tempfile
# and re, and http.client alone still brings email and re: 10-15 ms of a cold get whose floor is
# about 30 ms. The helper needs far less than they offer: one request per connection, answers
# with Content-Length, chunked or read-to-close bodies, CONNECT tunnels through a proxy, and no
# redirects, ever. That is the code below. Each exchange (connect, send, every read of the answer)
# runs against one deadline, so an endpoint that trickles its answer cannot outlast it.

# Standard retry mode: these error codes are worth another try, like HTTP 500/502/503/504.
RETRYABLE_CODES = frozenset((
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "Throttling", "ThrottlingException",
    "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
    "IDPCommunicationError"))
RETRYABLE_STATUSES = frozenset((500, 502, 503, 504))
MAX_BACKOFF_SECONDS = 20.0
USER_AGENT = "amazon-ecr-credential-helper/%s ecr-login-python/%s" % (VERSION, VERSION)
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_HEAD_BYTES = 64 * 1024  # status line and headers of one answer
MAX_CHUNK_LINE_BYTES = 1024
RECEIVE_BYTES = 65536


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def environment_proxies(env):
    """{"https": url, "http": url, "no": hosts} from *_proxy variables, lower-case names
    winning as in urllib, but read from the helper's environment."""
    proxies = {}
    for lower_case_pass in (False, True):
        for name, value in env.items():
            if value and name.lower().endswith("_proxy") and (name == name.lower()) == lower_case_pass:
                proxies[name.lower()[:-len("_proxy")]] = value
    return proxies


def proxy_bypassed(no_proxy, host, port):
    """urllib's NO_PROXY rule: "*", or an entry equal to the host (or host:port) or a domain
    suffix of it; leading dots do not matter."""
    if no_proxy.strip() == "*":
        return True
    for name in no_proxy.lower().split(","):
        name = name.strip().lstrip(".")
        if name and (name in (host, "%s:%d" % (host, port)) or host.endswith("." + name)):
            return True
    return False


def proxy_for(env, scheme, host, port):
    """(host, port, Proxy-Authorization value or None) of the proxy for this URL, or None."""
    proxies = environment_proxies(env)
    url = proxies.get(scheme)
    if not url or proxy_bypassed(proxies.get("no", ""), host, port):
        return None
    if "://" not in url:
        url = "http://" + url  # "proxy:3128", as urllib reads it
    proxy_scheme, proxy_host, proxy_port, _ = split_url(url)
    authority = url.partition("://")[2].split("/", 1)[0]
    authorization = None
    if "@" in authority:
        import binascii

        user, _, password = authority.rsplit("@", 1)[0].partition(":")
        credentials = "%s:%s" % (percent_decode(user), percent_decode(password))
        authorization = "Basic " + binascii.b2a_base64(credentials.encode("utf-8"), newline=False).decode("ascii")
    return proxy_host, url_port(proxy_port, proxy_scheme, url), authorization


def url_port(port, scheme, url):
    if not port:
        return DEFAULT_PORTS[scheme]
    if not DIGITS.issuperset(port) or not 0 < int(port) < 65536:
        raise ConfigError("invalid port %r in %s" % (port[:10], mask_userinfo(url)[:200]))
    return int(port)


def ascii_host(host):
    """The host as bytes when it is ASCII: socket and ssl then skip the IDNA codec (4 ms)."""
    try:
        return host.encode("ascii")
    except UnicodeError:
        return host


def lazy_ca_directory(env):
    """The system store as an OpenSSL hashed directory (Debian, Ubuntu, Alpine /etc/ssl/certs),
    so OpenSSL reads the one or two issuers a chain needs instead of parsing all ~145 roots
    (20 ms); None where there is none, or SSL_CERT_FILE/SSL_CERT_DIR choose the store."""
    import ssl

    if env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR"):
        return None
    directory = ssl.get_default_verify_paths().capath
    try:
        for name in os.listdir(directory or ""):
            if len(name) == 10 and name.endswith(".0") and HEX_DIGITS.issuperset(name[:8]):
                return directory
    except OSError:
        pass
    return None


def tls_context(request, lazy):
    """The run's TLS context, made once: AWS_CA_BUNDLE (or ca_bundle) alone when set, else the
    system store in full; lazy=True: the store read from its hashed directory, or None when
    there is no such directory or a CA bundle is set."""
    if lazy not in request.tls_contexts:
        request.tls_contexts[lazy] = make_tls_context(request, lazy)
    return request.tls_contexts[lazy]


def make_tls_context(request, lazy):
    import ssl

    ca_bundle = setting("ca_bundle", request.env, request.config.profile())
    if ca_bundle:
        if lazy:
            return None
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as error:
            raise ConfigError("cannot load the CA bundle %s (AWS_CA_BUNDLE): %s" % (
                ca_bundle, getattr(error, "strerror", None) or error))
    if lazy:
        directory = lazy_ca_directory(request.env)
        return ssl.create_default_context(capath=directory) if directory else None
    return ssl.create_default_context()


def is_untrusted(error):
    """A certificate that did not verify (3.6 reports a wrong name as a CertificateError)."""
    return "CERTIFICATE_VERIFY_FAILED" in str(error) or type(error).__name__ == "CertificateError"


class Connection:
    """A socket and what has been received on it; every wait ends at the deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""

    def wait_time(self):
        remaining = self.deadline - time.time()
        if remaining <= 0:
            import socket

            raise socket.timeout("timed out")
        return remaining

    def send(self, data):
        self.sock.settimeout(self.wait_time())
        self.sock.sendall(data)

    def receive(self, limit):
        """Receive more; False at the end of the stream. ValueError past limit bytes."""
        if len(self.buffer) > limit:
            raise ValueError("the answer is larger than %d bytes" % limit)
        self.sock.settimeout(self.wait_time())
        data = self.sock.recv(RECEIVE_BYTES)
        self.buffer += data
        return bool(data)

    def take(self, count):
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_until(self, marker, limit):
        while True:
            index = self.buffer.find(marker)
            if index >= 0:
                return self.take(index + len(marker))[:-len(marker)]
            if not self.receive(limit):
                raise EOFError("the connection closed mid-answer")

    def read_exactly(self, count):
        while len(self.buffer) < count:
            if not self.receive(count):
                raise EOFError("the connection closed mid-answer")
        return self.take(count)

    def read_to_end(self, limit):
        while self.receive(limit):
            pass
        return self.take(len(self.buffer))


def read_head(connection):
    """(status, headers with lower-case names) of the next final answer; 1xx are skipped."""
    while True:
        head = connection.read_until(b"\r\n\r\n", MAX_HEAD_BYTES).decode("latin-1")
        lines = head.split("\r\n")
        fields = lines[0].split(None, 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/1.") or len(fields[1]) != 3 \
                or not DIGITS.issuperset(fields[1]):
            raise ValueError("the answer is not HTTP/1.x")
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                name, value = name.strip().lower(), value.strip()
                headers[name] = headers[name] + ", " + value if name in headers else value
        status = int(fields[1])
        if not 100 <= status < 200:
            return status, headers


def read_body(connection, method, status, headers):
    """The body, by Transfer-Encoding: chunked, Content-Length, or to the end of the stream."""
    if method == "HEAD" or status in (204, 304):
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        total = 0
        while True:
            line = connection.read_until(b"\r\n", MAX_CHUNK_LINE_BYTES).split(b";", 1)[0].strip()
            if not line or not HEX_DIGITS.issuperset(line.decode("latin-1")):
                raise ValueError("a chunk size is not hexadecimal")
            size = int(line, 16)
            total += size
            if total > MAX_RESPONSE_BYTES:
                raise ValueError("the answer is larger than %d bytes" % MAX_RESPONSE_BYTES)
            if not size:
                while connection.read_until(b"\r\n", MAX_HEAD_BYTES):  # trailer fields, then a blank line
                    pass
                return b"".join(chunks)
            chunks.append(connection.read_exactly(size))
            if connection.read_exactly(2) != b"\r\n":
                raise ValueError("a chunk does not end with CRLF")
    length = headers.get("content-length")
    if length is None:
        return connection.read_to_end(MAX_RESPONSE_BYTES)
    if not length or not DIGITS.issuperset(length):
        raise ValueError("the Content-Length is not a number")
    if int(length) > MAX_RESPONSE_BYTES:
        raise ValueError("the answer is larger than %d bytes" % MAX_RESPONSE_BYTES)
    return connection.read_exactly(int(length))


def encode_head(first_line, headers):
    """Request line and headers as bytes; a value that could split the head is refused."""
    lines = [first_line]
    for name, value in headers:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise AWSError("refusing to send the %s header: it contains a line break" % name)
        lines.append("%s: %s" % (name, value))
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeError:
        raise AWSError("refusing to send a request header that is not Latin-1 text")


def connect(host, port, deadline):
    import socket

    sock = socket.create_connection((ascii_host(host), port), timeout=max(deadline - time.time(), 0.001))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the request goes out in one write anyway
    return sock


def open_tunnel(connection, authority, authorization):
    """CONNECT through the proxy; the proxy's credentials are sent to it and nowhere else."""
    headers = [("Host", authority)] + ([("Proxy-Authorization", authorization)] if authorization else [])
    connection.send(encode_head("CONNECT %s HTTP/1.1" % authority, headers))
    status, headers = read_head(connection)
    if status != 200:
        raise AWSError("the proxy refused the tunnel to %s (HTTP %d)" % (authority, status), code="ConnectionError",
                       status=status, retryable=status in RETRYABLE_STATUSES)


def exchange(method, scheme, host, port, target, headers, body, proxy, deadline, context):
    """Connect (through the proxy), send one request, return (status, headers, body)."""
    authority = host_header(scheme, host, str(port))
    connect_to = proxy[:2] if proxy else (host, port)
    connection = Connection(connect(connect_to[0], connect_to[1], deadline), deadline)
    try:
        if proxy and scheme == "http":
            target = "http://%s%s" % (authority, target)  # absolute form, as a forward proxy wants
            if proxy[2]:
                headers = headers + [("Proxy-Authorization", proxy[2])]
        elif proxy:
            open_tunnel(connection, "%s:%d" % (host_header(scheme, host, ""), port), proxy[2])
        if scheme == "https":
            name = ascii_host(host) if sys.version_info >= (3, 7) else host  # 3.6 checks names as str
            connection.sock = context.wrap_socket(connection.sock, server_hostname=name)
        connection.send(encode_head("%s %s HTTP/1.1" % (method, target), headers) + (body or b""))
        status, response_headers = read_head(connection)
        return status, response_headers, read_body(connection, method, status, response_headers)
    finally:
        connection.sock.close()


def http_request(request, method, url, headers, body, timeout, use_proxy=True):
    """One HTTP exchange on a new connection, all of it within timeout seconds. A Response
    for any status but a redirect (never followed: credentials go to exactly one host);
    AWSError when there was no answer: refused, dropped, timed out, TLS failure, a redirect or
    an oversized body (retryable where another try may succeed)."""
    import socket

    scheme, host, port, rest = split_url(url)
    port = url_port(port, scheme, url)
    where = url.split("?")[0]
    target = rest.split("#", 1)[0] or "/"  # the SDKs send "/" for a bare endpoint
    names = set(name.lower() for name in headers)
    request_headers = ([] if "host" in names else [("Host", host_header(scheme, host, str(port)))]) \
        + list(headers.items()) + [("User-Agent", USER_AGENT), ("Accept-Encoding", "identity")]
    if body is not None or method in ("POST", "PUT"):
        request_headers.append(("Content-Length", str(len(body or b""))))
    request_headers.append(("Connection", "close"))
    proxy = proxy_for(request.env, scheme, host, port) if use_proxy else None
    deadline = time.time() + max(timeout, 0.001)
    lazy = tls_context(request, True) if scheme == "https" else None
    try:
        try:
            status, response_headers, data = exchange(
                method, scheme, host, port, target, request_headers, body, proxy, deadline,
                lazy or (tls_context(request, False) if scheme == "https" else None))
        except (OSError, ValueError) as error:
            if lazy is None or not is_untrusted(error):
                raise
            # The hashed directory may lack a root that the full store has: one more try with
            # all of them, so the set of trusted roots is exactly the system store's.
            status, response_headers, data = exchange(method, scheme, host, port, target, request_headers, body,
                                                      proxy, deadline, tls_context(request, False))
    except socket.timeout:
        raise AWSError("no complete answer from %s: timed out after %.3gs" % (where, timeout), code="ConnectionError",
                       retryable=True)
    except (OSError, EOFError, ValueError) as error:
        untrusted = is_untrusted(error)  # a certificate that does not verify will not on the next try
        oversized = "larger than" in str(error)
        raise AWSError("no answer from %s: %s%s" % (where, getattr(error, "strerror", None) or error, (
            untrusted_certificate_advice() if untrusted else "")), code="ConnectionError",
            retryable=not (untrusted or oversized))
    if 300 <= status < 400:  # botocore never follows one
        raise AWSError("%s answered a redirect (HTTP %d), which is not followed" % (
            host_header(scheme, host, str(port)), status), code="Redirect", status=status)
    return Response(status, response_headers, data)


def untrusted_certificate_advice(platform=None):
    """What to do about a certificate that does not verify. Python.org's macOS builds bring
    their own OpenSSL, which has no CA certificates until "Install Certificates.command" runs."""
    if (platform or sys.platform) == "darwin":
        return (" (on macOS, a Python from python.org trusts no CA until you run 'Install Certificates.command' "
                "in its Applications folder; or set AWS_CA_BUNDLE to trust its CA)")
    return " (set AWS_CA_BUNDLE to trust its CA)"


def aws_error(service, status, code, message):
    """An AWSError with botocore's retry classification and a readable one-line reason."""
    code = code.rsplit("#", 1)[-1].split(":", 1)[0].strip()
    message = " ".join(message.split())[:500]
    retryable = code in RETRYABLE_CODES or status in RETRYABLE_STATUSES
    reason = "%s: %s" % (code or "HTTP %d" % status, message) if message else (code or "HTTP %d" % status)
    return AWSError("%s answered %s" % (service, reason), code=code, status=status, retryable=retryable)


def answer_error(response, service="AWS"):
    """An AWSError from an error answer in any form AWS gives one: a JSON body ({"__type" or
    "code", "message"}), an XML body (<Code>, <Message>: STS, and ECR behind some proxies or
    moto), or only the x-amzn-ErrorType header."""
    try:
        document = json_loads(response.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        document = {}
        if response.body.lstrip()[:1] == b"<":
            fields = xml_fields(response.body, ("Code", "Message")) or {}
            document = {"code": fields.get("Code"), "message": fields.get("Message")}
    code = document.get("__type") or document.get("code") or response.headers.get("x-amzn-errortype") or ""
    message = document.get("message") or document.get("Message") or ""
    return aws_error(service, response.status, str(code), str(message))


def aws_call(request, name, url, headers, body, credentials, region, service, error_parser, method="POST"):
    """An AWS API call with standard-mode retries inside an overall deadline; re-signed on
    every attempt. Returns a 2xx Response or raises the last AWSError."""
    deadline = time.time() + request.settings.total_timeout
    last_error = None
    for attempt in range(1, request.settings.max_attempts + 1):
        remaining = deadline - time.time()
        if remaining <= 0:
            attempt -= 1  # this one was never made: say how many were
            break
        request_headers = dict(headers)
        if credentials is not None:
            sign_request(method, url, request_headers, body, credentials, region, service)
        try:
            response = http_request(request, method, url, request_headers, body, min(request.settings.http_timeout, remaining))
        except AWSError as error:
            last_error = error
            if not error.retryable:
                raise
        else:
            if 200 <= response.status < 300:
                return response
            last_error = error_parser(response)
            if not last_error.retryable:
                raise last_error
        request.log.debug("%s attempt %d failed: %s" % (name, attempt, last_error))
        if attempt < request.settings.max_attempts:
            import random  # only now: most calls succeed at once

            delay = random.random() * min(request.settings.retry_delay * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
            time.sleep(max(0.0, min(delay, deadline - time.time())))
    if last_error is None:
        last_error = AWSError("%s: no attempt fitted in %gs" % (name, request.settings.total_timeout), retryable=True)
    raise AWSError("%s failed after %d attempt(s): %s" % (name, attempt, last_error), code=last_error.code,
                   status=last_error.status)


# ============================================================================================
# SIGV4 (AWS Signature Version 4, for ECR, ECR Public and STS)
# ============================================================================================

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
# Headers botocore never signs: proxies and clients may change them on the way.
UNSIGNED_HEADERS = frozenset(("authorization", "connection", "expect", "keep-alive", "proxy-authenticate",
                              "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
                              "user-agent", "x-amzn-trace-id"))


# RFC 3986 unreserved characters, as byte values: never percent-encoded.
URI_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text, safe=""):
    """RFC 3986 percent-encoding of the UTF-8 bytes: unreserved characters (and safe) stay,
    the rest is %XX in upper case (by hand: urllib.parse imports re)."""
    keep = URI_UNRESERVED | frozenset(safe.encode("ascii"))
    return "".join(chr(byte) if byte in keep else "%%%02X" % byte for byte in bytearray(text.encode("utf-8")))


def percent_decode(text):
    """%XX sequences decoded as UTF-8 (invalid bytes replaced); a stray % stays as it is."""
    pieces = text.split("%")
    data = bytearray(pieces[0].encode("utf-8"))
    for piece in pieces[1:]:
        if len(piece) >= 2 and HEX_DIGITS.issuperset(piece[:2]):
            data.append(int(piece[:2], 16))
            data += piece[2:].encode("utf-8")
        else:
            data += b"%" + piece.encode("utf-8")
    return data.decode("utf-8", "replace")


def form_encode(pairs):
    """application/x-www-form-urlencoded (and query strings) from (name, value) pairs."""
    return "&".join("%s=%s" % (uri_encode(name), uri_encode(value)) for name, value in pairs)


def canonical_uri(path):
    """The path as on the wire, dot segments removed, '//' collapsed, then encoded once more."""
    segments = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if segments and (path.endswith("/") or path.endswith("/.") or path.endswith("/..")):
        normalized += "/"
    return uri_encode(normalized, safe="/")


def canonical_query(query):
    """Query parameters decoded, re-encoded, sorted by name then value."""
    pairs = []
    for item in query.split("&") if query else ():
        name, _, value = item.partition("=")
        pairs.append((uri_encode(percent_decode(name)), uri_encode(percent_decode(value))))
    return "&".join("%s=%s" % pair for pair in sorted(pairs))


def canonical_headers(header_pairs):
    """(canonical header block, signed header list) from (name, value) pairs; repeated names
    are joined with ',' in their order, values trimmed with inner whitespace collapsed."""
    values = {}
    for name, value in header_pairs:
        name = name.strip().lower()
        if name in UNSIGNED_HEADERS:
            continue
        values.setdefault(name, []).append(" ".join(value.split()))
    names = sorted(values)
    block = "".join("%s:%s\n" % (name, ",".join(values[name])) for name in names)
    return block, ";".join(names)


# HMAC (RFC 2104) over SHA-256 by hand, since the hmac module imports hashlib, which loads
# OpenSSL's digests: the key XOR-ed with these pads, padded to the 64-byte block.
HMAC_BLOCK_BYTES = 64
HMAC_INNER_PAD = bytes(bytearray(byte ^ 0x36 for byte in range(256)))
HMAC_OUTER_PAD = bytes(bytearray(byte ^ 0x5C for byte in range(256)))


def hmac_sha256(key, data):
    if len(key) > HMAC_BLOCK_BYTES:
        key = sha256_digest(key)
    key = key.ljust(HMAC_BLOCK_BYTES, b"\0")
    inner = sha256_digest(key.translate(HMAC_INNER_PAD) + data)
    return sha256_digest(key.translate(HMAC_OUTER_PAD) + inner)


def signing_key(secret_key, date, region, service):
    key = hmac_sha256(("AWS4" + secret_key).encode("utf-8"), date.encode("utf-8"))
    for part in (region, service, "aws4_request"):
        key = hmac_sha256(key, part.encode("utf-8"))
    return key


def sigv4_parts(method, path, query, header_pairs, body, credentials, region, service, amz_date):
    """(canonical request, string to sign, signature, Authorization value) of a request whose
    header_pairs already hold Host, X-Amz-Date and any X-Amz-Security-Token."""
    import binascii

    header_block, signed_names = canonical_headers(header_pairs)
    payload_hash = binascii.hexlify(sha256_digest(body or b"")).decode("ascii")
    request = "\n".join((method.upper(), canonical_uri(path), canonical_query(query), header_block,
                         signed_names, payload_hash))
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    request_hash = binascii.hexlify(sha256_digest(request.encode("utf-8"))).decode("ascii")
    to_sign = "\n".join((SIGV4_ALGORITHM, amz_date, scope, request_hash))
    key = signing_key(credentials.secret_key, amz_date[:8], region, service)
    signature = binascii.hexlify(hmac_sha256(key, to_sign.encode("utf-8"))).decode("ascii")
    authorization = "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        SIGV4_ALGORITHM, credentials.access_key, scope, signed_names, signature)
    return request, to_sign, signature, authorization


def host_header(scheme, host, port):
    """The Host value to send and sign: the port only when it is not the scheme's default."""
    if ":" in host:
        host = "[%s]" % host
    default = "443" if scheme == "https" else "80"
    return host if not port or port == default else "%s:%s" % (host, port)


def sign_request(method, url, headers, body, credentials, region, service, now=None):
    """Add Host, X-Amz-Date, X-Amz-Security-Token and Authorization to headers (a dict)."""
    scheme, host, port, rest = split_url(url)
    path, _, query = rest.partition("?")
    amz_date = "%04d%02d%02dT%02d%02d%02dZ" % utc_fields(time.time() if now is None else now)
    headers["Host"] = host_header(scheme, host, port)
    headers["X-Amz-Date"] = amz_date
    if credentials.token:
        headers["X-Amz-Security-Token"] = credentials.token
    headers["Authorization"] = sigv4_parts(method, path or "/", query, list(headers.items()), body,
                                           credentials, region, service, amz_date)[3]
    return headers


# ============================================================================================
# ES256 (ECDSA on P-256 with SHA-256, RFC 6979 nonces: the DPoP proof of an `aws login` refresh)
# ============================================================================================

# The NIST P-256 curve y^2 = x^3 - 3x + b over the prime field P, with base point G of prime order N.
P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
P256_BYTES = 32


def jacobian_double(point):
    """2 * (X, Y, Z) in Jacobian coordinates (x = X/Z^2, y = Y/Z^3); Z = 0 is infinity."""
    x, y, z = point
    if not y or not z:
        return (0, 1, 0)
    p = P256_P
    y2 = y * y % p
    s = 4 * x * y2 % p
    z2 = z * z % p
    m = 3 * (x - z2) * (x + z2) % p  # a = -3
    nx = (m * m - 2 * s) % p
    return nx, (m * (s - nx) - 8 * y2 * y2) % p, 2 * y * z % p


def jacobian_add(first, second):
    """first + second in Jacobian coordinates."""
    x1, y1, z1 = first
    x2, y2, z2 = second
    if not z1:
        return second
    if not z2:
        return first
    p = P256_P
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    if u1 == u2:
        return jacobian_double(first) if s1 == s2 else (0, 1, 0)
    h, r = (u2 - u1) % p, (s2 - s1) % p
    h2 = h * h % p
    h3 = h * h2 % p
    v = u1 * h2 % p
    nx = (r * r - h3 - 2 * v) % p
    return nx, (r * (v - nx) - s1 * h3) % p, h * z1 * z2 % p


def p256_multiply(scalar, point=P256_G):
    """scalar * point as affine (x, y); scalar in [1, N-1], so never the point at infinity."""
    result, addend = (0, 1, 0), (point[0], point[1], 1)
    while scalar:
        if scalar & 1:
            result = jacobian_add(result, addend)
        addend = jacobian_double(addend)
        scalar >>= 1
    x, y, z = result
    z_inverse = pow(z, P256_P - 2, P256_P)  # Fermat: P is prime (pow(z, -1, P) needs 3.8)
    z_inverse2 = z_inverse * z_inverse % P256_P
    return x * z_inverse2 % P256_P, y * z_inverse2 * z_inverse % P256_P


def int_bytes(value, length=P256_BYTES):
    return value.to_bytes(length, "big")


def rfc6979_nonce(private_key, digest):
    """The deterministic ECDSA nonce k of RFC 6979 section 3.2 for P-256 and HMAC-SHA256."""
    x = int_bytes(private_key)
    h1 = int_bytes(int.from_bytes(digest, "big") % P256_N)  # bits2octets: qlen = hlen = 256
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac_sha256(k, v + b"\x00" + x + h1)
    v = hmac_sha256(k, v)
    k = hmac_sha256(k, v + b"\x01" + x + h1)
    v = hmac_sha256(k, v)
    while True:
        v = hmac_sha256(k, v)
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < P256_N:
            return candidate
        k = hmac_sha256(k, v + b"\x00")
        v = hmac_sha256(k, v)


def es256_sign(private_key, message):
    """The ES256 signature (r || s, 64 bytes, as JWS wants it) of message, deterministic."""
    digest = sha256_digest(message)
    e = int.from_bytes(digest, "big")
    k = rfc6979_nonce(private_key, digest)
    while True:
        r = p256_multiply(k)[0] % P256_N
        s = pow(k, P256_N - 2, P256_N) * (e + r * private_key) % P256_N
        if r and s:
            return int_bytes(r) + int_bytes(s)
        k = k % (P256_N - 1) + 1  # unreachable in practice (probability 2^-256); stay in range


def der_elements(data):
    """The (tag, content) elements of DER bytes, in order; ValueError for malformed DER."""
    elements, index = [], 0
    while index < len(data):
        if index + 2 > len(data):
            raise ValueError("truncated DER")
        tag, length = data[index], data[index + 1]
        index += 2
        if length & 0x80:
            count = length & 0x7F
            if not 1 <= count <= 3 or index + count > len(data):
                raise ValueError("bad DER length")
            length = int.from_bytes(data[index:index + count], "big")
            index += count
        if index + length > len(data):
            raise ValueError("truncated DER")
        elements.append((tag, data[index:index + length]))
        index += length
    return elements


DER_SEQUENCE, DER_INTEGER, DER_OCTET_STRING = 0x30, 0x02, 0x04


def ec_private_key(pem):
    """The private scalar of a P-256 key in PEM: SEC1 "EC PRIVATE KEY" (what `aws login`
    writes) or PKCS#8 "PRIVATE KEY". ValueError when it is neither or out of range."""
    import binascii

    body = "".join(line.strip() for line in pem.strip().splitlines() if not line.startswith("-----"))
    try:
        (tag, content), = der_elements(binascii.a2b_base64(body.encode("ascii")))
    except (binascii.Error, UnicodeError):
        raise ValueError("not base64")
    if tag != DER_SEQUENCE:
        raise ValueError("not a DER sequence")
    fields = der_elements(content)
    if len(fields) >= 3 and fields[1][0] == DER_SEQUENCE and fields[2][0] == DER_OCTET_STRING:  # PKCS#8
        (tag, content), = der_elements(fields[2][1])
        fields = der_elements(content)
    if len(fields) < 2 or fields[0] != (DER_INTEGER, b"\x01") or fields[1][0] != DER_OCTET_STRING:
        raise ValueError("not an EC private key")
    scalar = int.from_bytes(fields[1][1], "big")
    if not 1 <= scalar < P256_N:
        raise ValueError("the private key is out of range")
    return scalar


def b64url(data):
    """base64url without padding (JWS)."""
    return b64(data).replace("+", "-").replace("/", "_").rstrip("=")


def dpop_proof(private_key, url, now, jti):
    """A DPoP proof (RFC 9449) for POST url: a JWT with the public key as jwk, signed ES256."""
    x, y = p256_multiply(private_key)
    header = {"typ": "dpop+jwt", "alg": "ES256",
              "jwk": {"kty": "EC", "x": b64url(int_bytes(x)), "y": b64url(int_bytes(y)), "crv": "P-256"}}
    payload = {"htm": "POST", "htu": url, "iat": int(now), "jti": jti}
    signing_input = b64url(json_dumps(header)) + "." + b64url(json_dumps(payload))
    return signing_input + "." + b64url(es256_sign(private_key, signing_input.encode("ascii")))


# ============================================================================================
# ECR API (GetAuthorizationToken, private and public)
# ============================================================================================

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
ECR_PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
JSON_11 = "application/x-amz-json-1.1"
BASE64_CHARS = ALNUM | frozenset("+/")


class AuthToken:
    """What GetAuthorizationToken answered: the base64 token, its expiry and the endpoint, and
    when the credentials that minted it expire (None for keys that do not): ECR refuses the
    token once they have, whatever its own expiresAt says."""

    __slots__ = ("token", "expires_at", "proxy_endpoint", "username", "password", "credentials_expiry")

    def __init__(self, token, expires_at, proxy_endpoint, credentials_expiry=None):
        self.token = token
        self.expires_at = expires_at
        self.proxy_endpoint = proxy_endpoint
        self.credentials_expiry = credentials_expiry
        self.username, self.password = decode_token(token)

    @property
    def limited_by_credentials(self):
        return self.credentials_expiry is not None and self.credentials_expiry < self.expires_at

    @property
    def valid_until(self):
        """When the token stops working: its own expiry, or its credentials' when earlier."""
        return self.credentials_expiry if self.limited_by_credentials else self.expires_at

    def fresh_until(self, requested):
        """Until when a token requested then is served from the cache (see fresh_until)."""
        return fresh_until(requested, self.expires_at, self.valid_until)


def decode_token(token):
    """(user, password) from base64 "user:password", split at the first colon."""
    import binascii

    try:
        decoded = binascii.a2b_base64(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError, AttributeError):
        raise AWSError("ECR returned an authorization token that is not base64 text")
    username, colon, password = decoded.partition(":")
    if not colon:
        raise AWSError("ECR returned an authorization token without a ':' between user and password")
    return username, password


def is_strict_base64(text):
    """Only base64 characters and correct padding (a2b_base64 alone skips stray characters
    before 3.11; base64's validate=True imports re)."""
    import binascii

    data = text.rstrip("=")
    if len(text) - len(data) > 2 or not BASE64_CHARS.issuperset(data):
        return False
    try:
        binascii.a2b_base64(text.encode("ascii"))
    except binascii.Error:
        return False
    return True


def get_authorization_token(request, credentials):
    """Call (private or public) GetAuthorizationToken for the request's registry."""
    registry = request.registry
    if registry.is_public:
        target, body, service = ECR_PUBLIC_TARGET, b"{}", "ecr-public"
    else:
        target, service = ECR_TARGET, "ecr"
        body = ('{"registryIds":["%s"]}' % registry.account if registry.account else "{}").encode("ascii")
    what = "ECR Public" if registry.is_public else "ECR"
    headers = {"Content-Type": JSON_11, "X-Amz-Target": target}
    response = aws_call(request, what + " GetAuthorizationToken", ecr_endpoint(request), headers, body,
                        credentials, registry.region, service, lambda r: answer_error(r, what))
    try:
        data = json_loads(response.body)["authorizationData"]
    except (ValueError, KeyError, TypeError):
        raise AWSError("%s answered GetAuthorizationToken without authorizationData" % what)
    if isinstance(data, list):  # private ECR answers a list, ECR Public a single object
        data = data[0] if data else None
    if not isinstance(data, dict):
        raise AWSError("%s answered GetAuthorizationToken without authorizationData" % what)
    token, expires_at = data.get("authorizationToken"), data.get("expiresAt")
    if not isinstance(token, str) or not token:
        raise AWSError("%s answered GetAuthorizationToken without an authorizationToken" % what)
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        raise AWSError("%s answered GetAuthorizationToken without a numeric expiresAt" % what)
    if not 0 < expires_at < 32503680000:  # before 3000-01-01, so every platform can format it
        raise AWSError("%s answered GetAuthorizationToken with an expiresAt that is not a time: %s" % (
            what, str(expires_at)[:30]))
    if expires_at - EXPIRY_MARGIN_SECONDS <= time.time():
        raise AWSError("%s answered a token that expires at %s, which this machine's clock says is now or past: "
                       "check the clock" % (what, format_expiry(expires_at)))
    if not is_strict_base64(token):
        raise AWSError("%s answered an authorization token that is not valid base64" % what)
    proxy_endpoint = data.get("proxyEndpoint") if not registry.is_public else None
    if proxy_endpoint is None or proxy_endpoint == "":
        proxy_endpoint = "https://" + registry.host
    elif endpoint_registry(proxy_endpoint) is None or endpoint_registry(proxy_endpoint).is_public:
        # As the Go helper: the answer names a host that is no ECR registry; it is neither
        # cached (list would show it) nor trusted for anything else.
        raise AWSError("Invalid ProxyEndpoint returned by ECR: %r" % str(proxy_endpoint)[:100])
    auth = AuthToken(token, float(expires_at), proxy_endpoint)
    request.remember_secret(auth.password)
    request.remember_secret(token)
    return auth


# ============================================================================================
# GET (registry -> source -> cache -> token): the part every command shares
# ============================================================================================


class Context:
    """What one run knows: the environment, the AWS profile the helper's name chose (if any),
    the settings, the log, the cache directory and the secrets seen so far (for redaction).
    It is not changed by what a request chooses: that is in the Request."""

    def __init__(self, env, profile=None):
        self.env = env
        self.profile = profile  # chosen by the name the helper runs under (docker-credential-ecr-login-PROFILE)
        self.secrets = set()
        self.trusted_cache_dir = None
        self.cache_problem = None  # why the cache directory is not used, once it has been looked at
        self.cache_refused = False
        self.settings = Settings(env)
        self.log = Log(env, self.secrets, self.cache_subdirectory)
        self.shared_configs = {}
        self.program = ""  # the path this copy was run as, for doctor's look at PATH

    def shared_config(self, profile=None):
        """The AWS config files as read for a profile (else the helper's name's, else the one
        the environment selects); read once per profile."""
        profile = profile or self.profile
        if profile not in self.shared_configs:
            self.shared_configs[profile] = SharedConfig(self.env, profile)
        return self.shared_configs[profile]

    def remember_secret(self, value):
        if value and isinstance(value, str) and len(value) >= 4:
            self.secrets.add(value)

    def cache_dir(self, create=False):
        """The cache directory if it passes the trust rule (directory_problem; with create,
        made first if missing), else None, with the reason in cache_problem."""
        if self.trusted_cache_dir is None and not self.cache_refused:
            path = cache_directory(self.env)
            self.cache_problem = directory_problem(path, create) if path else "there is no home directory"
            if self.cache_problem is None:
                self.trusted_cache_dir = path
            self.cache_refused = create or not path  # a missing directory may still be made
        return self.trusted_cache_dir

    def cache_subdirectory(self, name):
        """<cache dir>/<name>, made 0700 if missing, if both pass the trust rule; else None."""
        directory = self.cache_dir(create=True)
        path = os.path.join(directory, name) if directory else None
        return path if path and subdirectory_problem(path, create=True) is None else None

    def token_cache(self):
        """The TokenCache, or a NoTokenCache when AWS_ECR_DISABLE_CACHE is set or there is no
        trusted cache directory."""
        if self.settings.disable_cache:
            return NoTokenCache()
        directory = self.cache_dir(create=True)
        return TokenCache(directory, self.log, legacy_keys=not go_fips_mode(self.env)) if directory else NoTokenCache()


class Request:
    """One request, made once from the run's Context and passed down: the registry (None when
    doctor is given none), its region, the AWS profile chosen for it (by the command, the
    helper's name or the host's helper config entry) and that profile's config files, the
    host's helper config settings; and the run's environment, settings and log."""

    def __init__(self, ctx, registry=None, host_settings=None, profile=None):
        self.ctx = ctx
        self.env, self.settings, self.log = ctx.env, ctx.settings, ctx.log
        self.registry = registry
        self.region = registry.region if registry else None
        self.host_settings = host_settings or {}
        # A chosen profile is used as botocore's Session(profile=...) uses one: environment
        # keys no longer take precedence over it.
        self.profile = profile or ctx.profile or self.host_settings.get("profile") or None
        self.config = ctx.shared_config(self.profile)
        self.tls_contexts = {}

    def remember_secret(self, value):
        self.ctx.remember_secret(value)


def with_host_role(request, source):
    """The chain's source for a request, wrapped in the role of the host's helper config entry
    if it names one."""
    if request.host_settings.get("role_arn"):
        source = AssumeRoleSource("(helper config)", request.host_settings["role_arn"], source, request.host_settings)
    return source


def registry_token(request):
    """The AuthToken for the request's registry: from the cache when it is fresh, else from
    ECR, with concurrent helpers waiting on the cache lock for the one that calls ECR."""
    try:
        return token_for_source(request, with_host_role(request, plan_credentials(request)))
    except HelperError as error:
        hint = region_hint(request.registry)  # a typo in the region fails here, as a name that does not resolve
        if hint:
            error.args = ("%s (%s)" % (error, hint),)
        raise


def token_for_source(request, source):
    """The AuthToken for the request's registry and a planned credential source (see registry_token)."""
    registry = request.registry
    slot = request.ctx.token_cache().slot(registry, source)
    entry = slot.get()
    if entry is not None and entry.is_fresh(time.time()):
        request.log.debug("using the cached token for %s" % registry.host)
        return entry.auth
    request.settings.resolve(FETCH_SETTINGS)
    waiting_since = time.time()
    request.log.debug("no fresh token for %s in the cache" % registry.host)
    with slot.lock(request.settings.lock_timeout):
        entry = slot.get()  # another helper may have fetched it while we waited
        if entry is not None and entry.is_fresh(time.time()):
            request.log.debug("using the token another helper just cached for %s" % registry.host)
            return entry.auth
        failure = slot.failure_since(waiting_since)
        if failure:  # the helper we waited for just failed: do not make the burst wait again
            raise AWSError("%s (the same answer a concurrent helper got a moment ago)" % failure)
        try:
            auth, fresh = fetch_token(request, source, entry)
        except HelperError as error:
            slot.record_failure(redact(str(error), request.ctx.secrets))
            raise
        if fresh:
            slot.put(CacheEntry.for_token(auth, registry.service))
        return auth


def fetch_token(request, source, stale_entry):
    """(AuthToken, fresh): a new token from ECR; if that fails, a cached token (private or
    ECR Public, as the Go helper serves both) that has not expired yet, nor its credentials;
    never an expired one: Docker would fail the pull with it, where without it a public pull
    can still go anonymous."""
    registry = request.registry
    try:
        credentials = source.fetch(request)
        auth = get_authorization_token(request, credentials)
        auth.credentials_expiry = credentials.expiry
    except HelperError as error:
        if stale_entry is not None and stale_entry.auth is not None and stale_entry.is_unexpired(time.time()):
            request.log.warning("%s; using the cached token for %s, valid until %s" % (
                error, registry.host, stale_entry.expires_text))
            return stale_entry.auth, False
        raise
    request.log.info("fetched a token for %s with %s; it expires at %s%s" % (
        registry.host, source.describe(), format_expiry(auth.valid_until),
        " (when the credentials that minted it do)" if auth.limited_by_credentials else ""))
    return auth, True


# ============================================================================================
# COMMANDS (what Docker, the kubelet and people run: one sub-banner each, main last)
# ============================================================================================

# ---- the docker protocol (get, store, erase, list, version on stdin and stdout) --------------

def read_input(data):
    """Protocol input (bytes): lines joined without a separator and trimmed, as the Go helper
    reads it. HelperError when it is too long or not UTF-8."""
    if len(data) > MAX_STDIN_BYTES:
        raise HelperError("the input is longer than %d bytes" % MAX_STDIN_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HelperError("the input is not UTF-8 text")
    if "\0" in text:
        raise HelperError("the input contains a NUL character")
    # bufio.Scanner's lines: split at "\n", one trailing "\r" dropped from each
    return "".join(line[:-1] if line.endswith("\r") else line for line in text.split("\n")).strip()


class Streams:
    """Binary stdin/stdout/stderr, written as UTF-8 whatever the locale says. A stream is None
    when Python started with its descriptor closed: stdin then reads as empty, and stderr
    swallows what it is given, so that a valid get still answers."""

    def __init__(self, stdin, stdout, stderr):
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.data = None

    def read(self):
        """stdin's bytes (up to one past the cap), read once: a fallback helper gets the same."""
        if self.data is None:
            self.data = self.stdin.read(MAX_STDIN_BYTES + 1) if self.stdin is not None else b""
        return self.data

    def out(self, text):
        if self.stdout is None:
            raise HelperError("standard output is closed")
        try:
            self.stdout.write(output_bytes(text))
            self.stdout.flush()
        except (OSError, ValueError) as error:
            discard_output(self.stdout)
            raise HelperError("cannot write to standard output: %s" % (getattr(error, "strerror", None) or error))

    def err(self, text):
        try:
            self.stderr.write(output_bytes(text))
            self.stderr.flush()
        except (AttributeError, OSError, ValueError):
            discard_output(self.stderr)


def output_bytes(text):
    """UTF-8 for the terminal; surrogateescape gives back the very bytes of a non-UTF-8 path
    (or of a non-ASCII HOME read under the C locale) instead of failing on them."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that came from JSON, not from the OS
        return text.encode("utf-8", "replace")


def discard_output(stream):
    """Point a broken stream's descriptor at /dev/null: Python flushes it again at exit, and
    would print 'Exception ignored ... BrokenPipeError' for what is still buffered."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def internal_error(error):
    """The one line for a bug or a broken Python. A missing standard-library module is named,
    with what to install: Debian's python3-minimal lacks json, hmac, http.client, xml, shlex."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return ("this Python lacks the standard-library module %s; install the full python3 package, "
                "not only python3-minimal" % error.name)
    return "internal error: %s" % type(error).__name__


def fail(ctx, streams, reason):
    """A failure: its reason, on one line and with secrets masked, on stderr and in the log."""
    reason = redact(" ".join(str(reason).split()), ctx.secrets)
    ctx.log.error(reason)
    streams.err("%s: %s\n" % (PROGRAM, reason))
    return 1


def not_found(ctx, streams, reason):
    """The protocol's answer to anything get cannot serve, after fail()."""
    fail(ctx, streams, reason)
    streams.out(NOT_FOUND + "\n")
    return 1


def is_other_registry(ctx, server_url):
    """True for a well-formed host that is not ECR (see OtherRegistryError); False for an ECR
    registry, or a malformed or mistyped one, which must never go to a fallback helper."""
    try:
        resolve_registry(ctx, server_url)
    except OtherRegistryError:
        return True
    except HelperError:
        return False
    return False


def action_get(ctx, streams):
    try:
        server_url = read_input(streams.read())
    except HelperError as error:
        return not_found(ctx, streams, error)
    if not server_url:
        streams.out(NO_SERVER_URL + "\n")
        return 1
    try:
        registry, settings = resolve_registry(ctx, server_url)
    except OtherRegistryError as error:  # Docker shows stderr: say nothing about other registries
        ctx.log.debug(str(error))
        try:
            name = fallback_helper(ctx)
        except HelperError as problem:
            return not_found(ctx, streams, problem)
        if name:
            return run_fallback(ctx, streams, name, "get")
        streams.out(NOT_FOUND + "\n")
        return 1
    except HelperError as error:
        return not_found(ctx, streams, error)
    try:
        auth = registry_token(Request(ctx, registry, settings))
    except HelperError as error:
        return not_found(ctx, streams, error)
    except Exception as error:  # a bug or a broken Python: Docker then pulls anonymously
        return not_found(ctx, streams, internal_error(error))
    streams.out('{"ServerURL":%s,"Username":%s,"Secret":%s}\n' % (
        json_string(server_url), json_string(auth.username), json_string(auth.password)))
    return 0


def refuse_storage(ctx, streams, action, server_url, other):
    """store/erase, which this helper does not do: exit 0 only when AWS_ECR_IGNORE_CREDS_STORAGE
    is exactly "true", as in Go; else the protocol's "not implemented", and on stderr (Docker
    shows it under its own error) a line saying why and what to do instead. other: the server
    URL names a registry that is not ECR."""
    if ctx.settings.ignore_creds_storage:
        ctx.log.debug("ignoring %s: AWS_ECR_IGNORE_CREDS_STORAGE is set" % action)
        return 0
    try:
        host = server_url_host(server_url)
    except NotECRError:
        host = "this registry"
    command = "login" if action == "store" else "logout"
    if other:
        reason = ("%s is not an ECR registry, and this helper keeps no logins: route only your ECR registries "
                  "to it (credHelpers), or name a helper for the others: %s configure --fallback NAME" % (
                      host, PROGRAM))
    else:
        reason = ("no %s is needed for %s: this helper gets ECR tokens itself. To make it succeed anyway "
                  "(storing nothing), set AWS_ECR_IGNORE_CREDS_STORAGE=true" % (command, host))
    fail(ctx, streams, reason)
    streams.out(NOT_IMPLEMENTED + "\n")
    return 1


def storage_action(ctx, streams, action, server_url):
    """store/erase for a valid request: a fallback helper's for other registries, else refused."""
    other = is_other_registry(ctx, server_url)
    if other:
        try:
            name = fallback_helper(ctx)
        except HelperError as error:
            fail(ctx, streams, error)
            streams.out("%s\n" % error)
            return 1
        if name:
            return run_fallback(ctx, streams, name, action)
    return refuse_storage(ctx, streams, action, server_url, other)


def action_store(ctx, streams):
    try:
        document = json_loads(read_input(streams.read()) or "null")
    except (HelperError, ValueError) as error:
        streams.out("%s\n" % (error if isinstance(error, HelperError) else "invalid JSON on stdin"))
        return 1
    if not isinstance(document, dict):
        streams.out("EOF\n" if document is None else "invalid credentials JSON on stdin\n")
        return 1
    fields = dict((str(name).lower(), value) for name, value in document.items())
    if not fields.get("serverurl"):
        streams.out(NO_SERVER_URL + "\n")
        return 1
    if not fields.get("username"):
        streams.out(NO_USERNAME + "\n")
        return 1
    return storage_action(ctx, streams, "store", str(fields["serverurl"]))


def action_erase(ctx, streams):
    try:
        server_url = read_input(streams.read())
    except HelperError as error:
        streams.out("%s\n" % error)
        return 1
    if not server_url:
        streams.out(NO_SERVER_URL + "\n")
        return 1
    return storage_action(ctx, streams, "erase", server_url)


def docker_cred_helpers(env):
    """The credHelpers object of Docker's config ({} when there is none or it is unreadable)."""
    try:
        document = read_json_file(docker_config_path(env), MAX_CONFIG_FILE_BYTES)
    except (OSError, ValueError, HelperError):
        return {}
    helpers = document.get("credHelpers") if isinstance(document, dict) else None
    return helpers if isinstance(helpers, dict) else {}


def routed_hosts(ctx):
    """The hosts Docker's config routes to this helper (credHelpers entries naming it) and the
    hosts of the helper config, each that names an ECR registry directly or by the helper config."""
    name = DOCKER_HELPER_NAME + ("-" + ctx.profile if ctx.profile else "")
    try:
        helper_hosts = load_helper_config(ctx)
    except ConfigError as error:  # the cache's hosts are still worth listing
        ctx.log.info("list: %s" % error)
        helper_hosts = {}
    hosts = [host for host, helper in docker_cred_helpers(ctx.env).items() if helper == name]
    routed = []
    for host in hosts + sorted(helper_hosts):
        try:
            host = server_url_host(host)
            host_registry(ctx, host, helper_hosts.get(host, {}))
        except HelperError:
            continue
        routed.append(host)
    return routed


def list_registries(ctx):
    """{"https://<host>": username} for each decodable entry of the token cache, and "AWS" for
    each host routed to this helper, so Docker's legacy builder asks for them on first use.
    No network."""
    listed = dict(("https://" + host, "AWS") for host in routed_hosts(ctx))
    for entry in ctx.token_cache().entries():
        auth = entry.auth
        if auth is not None and endpoint_registry(auth.proxy_endpoint) is not None:  # never a planted host
            listed[auth.proxy_endpoint] = auth.username
    return listed


def fallback_list(ctx, name):
    """The fallback helper's list ({server URL: username}); {} when it fails (logged)."""
    import io

    answer = Streams(io.BytesIO(b""), io.BytesIO(), io.BytesIO())
    if run_fallback(ctx, answer, name, "list") != 0:
        ctx.log.info("list: docker-credential-%s list failed: %s" % (name, answer.stdout.getvalue()[:200]))
        return {}
    try:
        listed = json_loads(answer.stdout.getvalue())
    except ValueError:
        listed = None
    if not isinstance(listed, dict) or not all(isinstance(value, str) for value in listed.values()):
        ctx.log.info("list: docker-credential-%s list did not print a JSON object of strings" % name)
        return {}
    return listed


def action_list(ctx, streams):
    try:
        listed = list_registries(ctx)
    except Exception as error:  # list never fails, as in Go: Docker calls it on every build
        ctx.log.info("list: %s" % error)
        listed = {}
    try:
        name = fallback_helper(ctx)
        if name:
            merged = fallback_list(ctx, name)
            merged.update(listed)  # an ECR registry's entry is ours
            listed = merged
    except HelperError as error:
        ctx.log.info("list: %s" % error)
    streams.out("{%s}\n" % ",".join("%s:%s" % (json_string(key), json_string(listed[key])) for key in sorted(listed)))
    return 0


def action_version(ctx, streams):
    streams.out("%s (ecr-login, a Python port of github.com/awslabs/amazon-ecr-credential-helper) %s\n" % (
        PROGRAM, VERSION))
    return 0


# ---- kubelet (the image credential provider: a request on stdin, a response on stdout) -------

def format_go_duration(seconds):
    """A whole number of seconds as Go's time.Duration.String() writes it: 6h0m0s, 59m59s, 0s."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return "%dh%dm%ds" % (hours, minutes, seconds)
    if minutes:
        return "%dm%ds" % (minutes, seconds)
    return "%ds" % seconds


KUBELET_API_GROUP = "credentialprovider.kubelet.k8s.io/"
KUBELET_API_VERSIONS = (KUBELET_API_GROUP + "v1", KUBELET_API_GROUP + "v1beta1")
KUBELET_ROLE_ANNOTATION = "eks.amazonaws.com/ecr-role-arn"
KUBELET_SESSION_NAME = "ecr-credential-provider"


def kubelet_registry(ctx, authority):
    """(Registry, settings) for an image's registry host. A host that is neither ECR nor in the
    helper config (a pull-through name, a CNAME) gets the caller's registry in the default
    region, as ecr-credential-provider has done since 2023, rather than a failure."""
    host = server_url_host(authority)
    try:
        return resolve_registry(ctx, host)
    except NotECRError:
        region = default_region(ctx.env, ctx.shared_config())
        if not region:
            raise NotECRError("%s is not an Amazon ECR registry host and no default region is set to fall back on "
                              "(AWS_REGION, AWS_DEFAULT_REGION or region in the profile)" % host[:255])
    ctx.log.info("%s is not an ECR registry host; using the caller's registry in the default region %s" % (
        host[:255], region))
    return caller_registry(region, "default region"), {}


def kubelet_response(ctx, provider_request):
    """A CredentialProviderResponse for a CredentialProviderRequest (both JSON objects)."""
    if not isinstance(provider_request, dict):
        raise HelperError("the provider_request is not a JSON object")
    api_version = provider_request.get("apiVersion")
    if api_version not in KUBELET_API_VERSIONS:
        raise HelperError("group version %s is not supported" % str(api_version)[:100])
    if provider_request.get("kind") != "CredentialProviderRequest":
        raise HelperError("kind was %r, expected CredentialProviderRequest" % str(provider_request.get("kind"))[:100])
    image = provider_request.get("image")
    if not isinstance(image, str) or not image.strip():
        raise HelperError("image in plugin provider_request was empty")
    authority = image.strip().split("/", 1)[0].lower()
    registry, settings = kubelet_registry(ctx, authority)
    token = provider_request.get("serviceAccountToken")
    annotations = provider_request.get("serviceAccountAnnotations") or {}
    role_arn = (annotations.get(KUBELET_ROLE_ANNOTATION) if isinstance(annotations, dict) else None) \
        or ctx.settings.kubelet_role_arn or None
    if role_arn is not None and not isinstance(role_arn, str):
        raise HelperError("the %s service account annotation is not a string" % KUBELET_ROLE_ANNOTATION)
    if isinstance(token, str) and token and role_arn:
        ctx.remember_secret(token)
        source = WebIdentitySource(role_arn, None, KUBELET_SESSION_NAME, "kubelet service account", token=token)
        auth = token_for_source(Request(ctx, registry), source)
    else:
        auth = registry_token(Request(ctx, registry, settings))
    # Exactly the fields of the kubelet's CredentialProviderResponse, which it decodes strictly
    # (how service-account tokens are cached is its own CredentialProviderConfig's
    # tokenAttributes.cacheType, not the plugin's answer).
    return {
        "kind": "CredentialProviderResponse",
        "apiVersion": api_version,
        "cacheKeyType": "Registry",
        "cacheDuration": format_go_duration(kubelet_cache_seconds(auth, time.time())),
        "auth": {authority: {"username": auth.username, "password": auth.password}},
    }


def kubelet_cache_seconds(auth, now):
    """How long the kubelet may reuse the answer: half the token's remaining life, as the
    upstream provider says, and never past EXPIRY_MARGIN_SECONDS before it stops working."""
    return max(0.0, min((auth.expires_at - now) / 2, auth.valid_until - EXPIRY_MARGIN_SECONDS - now))


# With no action, how long stdin may stay silent before the helper decides that no kubelet
# is writing a request to it (the kubelet writes at once) and prints its usage.
KUBELET_STDIN_WAIT_SECONDS = 2.0


def waiting_kubelet_request(stdin):
    """With no action: the input, as a new stream, when it is a kubelet CredentialProviderRequest
    (people install the helper itself as the kubelet plugin, with no args); None otherwise. A
    terminal is never read, and a pipe only if something arrives on it within the wait."""
    try:
        descriptor = stdin.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream: reading cannot block
        descriptor = None
    if descriptor is not None:
        if os.isatty(descriptor):
            return None
        if os.name != "nt":
            import select

            if not select.select([descriptor], [], [], KUBELET_STDIN_WAIT_SECONDS)[0]:
                return None
    try:
        data = stdin.read(MAX_STDIN_BYTES + 1)
        request = json_loads(data)
    except (OSError, ValueError):
        return None
    if not isinstance(request, dict) or not (request.get("kind") == "CredentialProviderRequest" or str(
            request.get("apiVersion", "")).startswith(KUBELET_API_GROUP)):
        return None
    import io

    return io.BytesIO(data)


def action_kubelet(ctx, streams, args):
    """The kubelet image credential provider protocol (exec plugin): request in, response out."""
    try:
        request = json_loads(read_input(streams.read()) or "null")
    except ValueError:
        return fail(ctx, streams, "the CredentialProviderRequest on stdin is not valid JSON")
    except HelperError as error:
        return fail(ctx, streams, error)
    try:
        response = kubelet_response(ctx, request)
    except HelperError as error:
        return fail(ctx, streams, error)
    streams.out(json_dumps(response).decode("utf-8") + "\n")
    return 0


# ---- get-login-password (only the password, for docker login --password-stdin) ---------------

GET_LOGIN_PASSWORD_USAGE = """\
usage: %(program)s get-login-password [--profile PROFILE] (REGISTRY | --region REGION)
Prints only the registry password, for tools that keep their own login:
  %(program)s get-login-password 123456789012.dkr.ecr.us-west-2.amazonaws.com | helm registry login \\
      --username AWS --password-stdin 123456789012.dkr.ecr.us-west-2.amazonaws.com
With --region instead of a registry, as `aws ecr get-login-password`: your own account's registry there.
""" % {"program": PROGRAM}


def action_get_login_password(ctx, streams, args):
    """Print only the password, for `| docker login --username AWS --password-stdin`: for a
    registry, or as the AWS CLI's `aws ecr get-login-password --region R [--profile P]` does,
    for the caller's own registry in a region."""
    options, registries = parse_args(args, valued=("--region", "--profile"))
    if len(registries) > 1:
        raise UsageError("name at most one registry")
    profile = options.get("--profile")
    try:
        if registries:
            registry, settings = resolve_registry(ctx, registries[0])
            if options.get("--region", registry.region) != registry.region:
                raise ConfigError("--region %s is not the region of %s; give one or the other" % (
                    options["--region"][:64], registries[0][:255]))
        else:
            region = options.get("--region") or default_region(ctx.env, ctx.shared_config(profile))
            if not region:
                raise ConfigError("You must specify a region: --region, AWS_REGION or region in the profile")
            registry, settings = caller_registry(region, "--region" if "--region" in options else "default region"), {}
        auth = registry_token(Request(ctx, registry, settings, profile))
    except HelperError as error:
        return fail(ctx, streams, error)
    streams.out(auth.password + "\n")
    return 0


# ---- configure (routing registries to this helper in Docker's config.json) -------------------

DOCKER_HELPER_NAME = "ecr-login"
CONFIGURE_USAGE = """\
usage: %(program)s configure [--profile PROFILE] [--remove] REGISTRY...
       %(program)s configure --fallback NAME [--switch-creds-store]
       %(program)s configure --switch-creds-store
Adds (or with --remove takes away) credHelpers entries in Docker's config.json
($DOCKER_CONFIG, else ~/.docker) that route each REGISTRY to this helper; with --profile,
to the copy named %(program)s-PROFILE.
--fallback NAME makes ecr-login Docker's credsStore for every registry and has
docker-credential-NAME (desktop, pass, secretservice, osxkeychain, wincred...) serve all that
are not ECR, so other logins keep working. Replacing a credsStore Docker already has needs
--switch-creds-store, which alone makes the current credsStore the fallback.
""" % {"program": PROGRAM}


def docker_config_path(env):
    """$DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    directory = env.get("DOCKER_CONFIG", "")
    if not directory:
        home = home_directory(env)
        if not home:
            raise ConfigError("cannot find the Docker config: neither DOCKER_CONFIG nor HOME is set")
        directory = os.path.join(home, ".docker")
    return os.path.join(expand_home(directory, env), "config.json")


def ownership_hint(path):
    """How to get back a file (or its directory) that another user, usually root after
    `sudo docker login`, owns, or that is read-only; "" on systems without uids."""
    if not hasattr(os, "getuid"):
        return ""
    directory = os.path.dirname(path) or "."
    for candidate in (path, directory):
        try:
            owner = os.stat(candidate).st_uid
        except OSError:
            continue
        if owner != os.getuid():
            return "; %s is owned by uid %d (sudo docker?), to give it back: sudo chown -R %d:%d %s" % (
                candidate, owner, os.getuid(), os.getgid(), directory)
    return "; to make it writable: chmod u+rwx %s" % directory


def file_error(verb, path, error):
    """A ConfigError for a config file that could not be read or written: the path, the
    reason, that nothing changed, and for a permission problem what fixes it."""
    import errno

    hint = ownership_hint(path) if error.errno in (errno.EACCES, errno.EPERM) else ""
    return ConfigError("cannot %s %s: %s; nothing was changed%s" % (verb, path, error.strerror or error, hint))


def read_json_object(path):
    """(the JSON object in a config file, its mode); (empty, None) when the file does not exist.
    Any other failure to read it is a ConfigError: a file that cannot be read must never be
    replaced by one without what it held."""
    import errno

    try:
        data, info = read_plain_file(path, MAX_CONFIG_FILE_BYTES)
    except UntrustedFile:
        raise ConfigError("%s is not a regular file; it was left untouched" % path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return {}, None
        raise file_error("read", path, error)
    if len(data) > MAX_CONFIG_FILE_BYTES:
        raise ConfigError("%s is larger than %d bytes; it was left untouched" % (path, MAX_CONFIG_FILE_BYTES))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("%s is not UTF-8 text; it was left untouched" % path)
    try:
        document = json_loads(text) if text.strip() else {}
    except ValueError:
        raise ConfigError("%s is not valid JSON; it was left untouched" % path)
    if not isinstance(document, dict):
        raise ConfigError("%s does not hold a JSON object; it was left untouched" % path)
    return document, stat.S_IMODE(info.st_mode)


def update_json_file(ctx, path, edit):
    """Apply edit(document) -> [changes] to a JSON config file and return the changes. Runs
    under a lock file beside it, so that concurrent runs each see the others' entries; the
    file is rewritten atomically, keeping its mode, only when something changed."""
    target = os.path.realpath(path)  # a symlinked config stays a symlink
    with FileLock(path + ".lock", ctx.settings.lock_timeout, ctx.log):  # without one if it cannot be made
        document, mode = read_json_object(path)
        changes = edit(document)
        if changes:
            data = json_dumps(document, indent="\t") + b"\n"  # as Docker writes it
            try:
                write_private_file(target, data)
                if mode is not None:
                    os.chmod(target, mode)
            except OSError as error:
                raise file_error("write", target, error)
    return changes


def cred_helpers_edit(path, hosts, helper, remove):
    """An update_json_file edit that adds (or removes) credHelpers entries naming helper."""
    def edit(document):
        if not isinstance(document.get("credHelpers", {}), dict):
            raise ConfigError("%s has a credHelpers that is not a JSON object; it was left untouched" % path)
        helpers = document.setdefault("credHelpers", {})
        changes = []
        for host in hosts:
            if remove:
                if helpers.get(host) == DOCKER_HELPER_NAME or str(helpers.get(host)).startswith(
                        DOCKER_HELPER_NAME + "-"):
                    del helpers[host]
                    changes.append("removed credHelpers[%s]" % host)
            elif helpers.get(host) != helper:
                changes.append("credHelpers[%s]: %s -> %s" % (host, helpers.get(host, "(none)"), helper))
                helpers[host] = helper
        if not helpers:
            del document["credHelpers"]
        return changes

    return edit


def check_creds_store_switch(path, current, fallback, switch):
    """ConfigError unless Docker's credsStore (current) may become ecr-login: it has none, or
    is ecr-login already, or the user consented with switch."""
    if current and current != DOCKER_HELPER_NAME and not switch:
        raise ConfigError(
            "Docker's credsStore in %s is %s; to make it ecr-login with %s serving every registry that is not "
            "ECR, run: %s configure --switch-creds-store%s" % (
                path, current, fallback, PROGRAM, "" if fallback == current else " --fallback " + fallback))


def creds_store_edit(path, fallback, switch):
    """An update_json_file edit that makes ecr-login Docker's credsStore (see
    check_creds_store_switch)."""

    def edit(document):
        current = document.get("credsStore")
        if current is not None and not isinstance(current, str):
            raise ConfigError("%s has a credsStore that is not a string; it was left untouched" % path)
        if current == DOCKER_HELPER_NAME:
            return []
        check_creds_store_switch(path, current, fallback, switch)
        document["credsStore"] = DOCKER_HELPER_NAME
        return ["credsStore: %s -> %s" % (current or "(none)", DOCKER_HELPER_NAME)]

    return edit


def fallback_edit(name):
    """An update_json_file edit that sets the helper config's fallback helper."""

    def edit(document):
        if document.get(FALLBACK_KEY) == name:
            return []
        change = "%s: %s -> %s" % (FALLBACK_KEY, document.get(FALLBACK_KEY, "(none)"), name)
        document[FALLBACK_KEY] = name
        return [change]

    return edit


def current_creds_store(path):
    """Docker's credsStore in path, or None."""
    store = read_json_object(path)[0].get("credsStore")
    return store if isinstance(store, str) and store else None


def path_lookup(env, name):
    """The first executable called name on the PATH of env, or None: shutil.which where
    Windows' PATHEXT rules need it, a plain walk elsewhere (python3-minimal has no shutil)."""
    path = env.get("PATH", os.defpath)
    if os.name == "nt":
        import shutil

        return shutil.which(name, path=path)
    for directory in path.split(os.pathsep) if path else ():  # an empty PATH finds nothing, as for which
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_helper_note(env, helper, runner="Docker"):
    """A line saying that runner (Docker, or this helper for a fallback) will not find
    docker-credential-<helper> on PATH and how to fix it, or "" when it is there."""
    program = DOCKER_HELPER_PREFIX + helper
    if path_lookup(env, program):
        return ""
    if not helper.startswith(PROFILE_PROGRAM_PREFIX[len(DOCKER_HELPER_PREFIX):]):
        return "note: %s will run %s, and it is not on PATH: install it there" % (runner, program)
    ours = path_lookup(env, PROGRAM)
    if ours is None:
        return "note: %s will run %s, and neither it nor %s is on PATH: install %s first" % (
            runner, program, PROGRAM, PROGRAM)
    return "note: %s will run %s, which is not on PATH; create it with: ln -s %s %s" % (
        runner, program, ours, os.path.join(os.path.dirname(ours), program))


def configure_creds_store(ctx, path, fallback, switch):
    """Make ecr-login Docker's credsStore (config at path) with a fallback helper (None: the
    current credsStore, which then needs switch): (the fallback, the changes made). The
    helper config is written first: the store never points here without it."""
    current = current_creds_store(path)
    if fallback is None:
        if current in (None, DOCKER_HELPER_NAME):
            raise UsageError("Docker has no other credsStore to keep as the fallback: give --fallback NAME")
        fallback = current
    check_fallback_name(fallback, "--fallback")
    check_creds_store_switch(path, current, fallback, switch)  # before any write
    helper_config = helper_config_path(ctx.env)
    if helper_config is None:
        raise ConfigError("there is no helper config to keep the fallback in: set HOME or AWS_ECR_CONFIG_FILE")
    if not ctx.settings.config_file and ctx.cache_dir(create=True) is None:
        raise ConfigError("a fallback kept in %s would be ignored: the cache directory is not used (%s); set %s "
                          "instead" % (helper_config, ctx.cache_problem, FALLBACK_VARIABLE))
    changes = ["%s: %s" % (helper_config, change)
               for change in update_json_file(ctx, helper_config, fallback_edit(fallback))]
    changes += ["%s: %s" % (path, change)
                for change in update_json_file(ctx, path, creds_store_edit(path, fallback, switch))]
    return fallback, changes


def action_configure(ctx, streams, args):
    """configure: name this helper in Docker's config (see CONFIGURE_USAGE)."""
    options, hosts = parse_args(args, flags=("--remove", "--switch-creds-store"), valued=("--profile", "--fallback"))
    store_wanted = "--fallback" in options or "--switch-creds-store" in options
    if not hosts and not store_wanted:
        raise UsageError("name a registry, or give --fallback NAME")
    if store_wanted and ("--remove" in options or "--profile" in options):
        raise UsageError("--fallback and --switch-creds-store go without --remove and --profile")
    notes, changes = [], []
    try:
        names = []
        for host in hosts:
            registry = resolve_registry(ctx, host)[0]  # refuse what get could never serve
            names.append(server_url_host(host))
            notes.append(region_hint(registry))
        path = docker_config_path(ctx.env)
        profile = options.get("--profile")
        if profile is None:  # run as docker-credential-ecr-login-<profile>?
            profile = ctx.profile
        helper = DOCKER_HELPER_NAME + ("-" + profile if profile else "")
        if store_wanted:
            fallback, changes = configure_creds_store(ctx, path, options.get("--fallback"),
                                                      "--switch-creds-store" in options)
            notes.append(missing_helper_note(ctx.env, fallback, "this helper, for other registries,"))
        if names:
            changes += ["%s: %s" % (path, change) for change in update_json_file(
                ctx, path, cred_helpers_edit(path, names, helper, "--remove" in options))]
        if store_wanted or names and "--remove" not in options:
            notes.append(missing_helper_note(ctx.env, helper))
    except UsageError:
        raise
    except HelperError as error:
        return fail(ctx, streams, error)
    for change in changes:
        streams.out(change + "\n")
    if not changes:
        streams.out("%s: already %s\n" % (path, "without these entries" if "--remove" in options else "configured"))
    for note in notes:
        if note:
            streams.err("%s: %s\n" % (PROGRAM, note))
    return 0


# ---- doctor (what the helper would use and why, and a token tried; never a secret shown) -----

DOCTOR_USAGE = """\
usage: %s doctor [--no-cache] [REGISTRY]
Explains which AWS credentials, profile, cache and log the helper uses and, given a registry,
whether Docker will run this helper for it, and tries to get a token (never printing it or a
secret). The token comes from the cache when it holds a fresh one; --no-cache asks AWS.
The exit status is 0 when a token was had.
""" % PROGRAM

NEWCOMER_ADVICE = """\
No AWS credentials are configured for this user. Pick one:
  - keys:     aws configure   (writes ~/.aws/credentials), or export AWS_ACCESS_KEY_ID and
              AWS_SECRET_ACCESS_KEY
  - SSO:      aws configure sso, then aws sso login --profile NAME; export AWS_PROFILE=NAME
  - a role:   add role_arn and source_profile to a profile in ~/.aws/config
  - on EC2, ECS or EKS: attach a role to the instance, task or pod; nothing to configure here
Then run:   docker-credential-ecr-login doctor ACCOUNT.dkr.ecr.REGION.amazonaws.com"""


UNTRUSTED_CACHE_ADVICE = (
    "  so the helper runs without its token cache, role cache, lock, log and bytecode cache.\n"
    "  Another user who can change that directory could plant a token, a helper config or code\n"
    "  that runs as you: point AWS_ECR_CACHE_DIR at a directory only you can write (mode 0700)\n"
    "  on a path no one else can change, such as ~/.ecr.")


def cache_report(ctx, registry, source):
    """Lines about the cache directory, the token cache and this registry's entry."""
    if cache_directory(ctx.env) is None:
        return ["cache directory: none (no home directory; set HOME or AWS_ECR_CACHE_DIR)"]
    if ctx.cache_dir(create=True) is None:
        return ["cache directory: not used: %s," % ctx.cache_problem, UNTRUSTED_CACHE_ADVICE]
    lines = ["cache directory: %s (trusted: private to you, and no other user can change the path to it)"
             % ctx.cache_dir()]
    cache = ctx.token_cache()
    if not cache.enabled:
        return lines + ["  token cache: off (AWS_ECR_DISABLE_CACHE is set)"]
    lines.append("  token cache: %s (%d entries)" % (cache.path, len(cache.load())))
    if registry is not None and source is not None:
        entry = cache.slot(registry, source).get()
        auth, requested = entry.token() if entry is not None else (None, None)
        if entry is None:
            lines.append("  this registry: no cached token")
        elif auth is None:
            lines.append("  this registry: unreadable cache entry (it will be replaced)")
        else:
            now = time.time()
            lines.append("  this registry: token cached %d min ago, %s; %s" % (
                (now - requested) // 60, expiry_limit(auth),
                "fresh until %s" % format_expiry(auth.fresh_until(requested))
                if now < auth.fresh_until(requested) else "due for refresh"))
    return lines


def expiry_limit(auth):
    """Which of the token's two ends comes first, for doctor."""
    if auth.limited_by_credentials:
        return "usable until %s, when the credentials that minted it expire (the token itself lasts until %s)" % (
            format_expiry(auth.valid_until), format_expiry(auth.expires_at))
    return "usable until %s, the token's own expiry%s" % (
        format_expiry(auth.expires_at), "" if auth.credentials_expiry is None else
        " (its credentials last until %s)" % format_expiry(auth.credentials_expiry))


def same_program(path, other):
    """True when two paths run the same helper: one file, or two copies of the same bytes."""
    try:
        if os.path.samefile(path, other):
            return True
        if os.path.getsize(path) != os.path.getsize(other):
            return False
        with open(path, "rb") as first, open(other, "rb") as second:
            return first.read(MAX_CONFIG_FILE_BYTES) == second.read(MAX_CONFIG_FILE_BYTES)
    except OSError:
        return False


def describe_program(path):
    """What kind of program a file is, for saying which helper shadows this one."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError:
        return "unreadable"
    if magic == b"\x7fELF" or magic[:2] == b"MZ" or magic in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "a compiled program: the Go helper?"
    return "a script, another version of this helper?" if magic[:2] == b"#!" else "not this helper"


def same_host(server_url, host):
    """True when a server URL (a credHelpers key, say) names host."""
    try:
        return server_url_host(server_url) == host
    except NotECRError:
        return False


def docker_report(ctx, host):
    """(lines, verdict) about whether the Docker CLI will run this helper for host: the config
    file it reads, the credHelpers or credsStore entry that routes host, and the executable
    that entry names as the first on PATH. The verdict is 'OK' or what to fix."""
    try:
        path = docker_config_path(ctx.env)
        document, mode = read_json_object(path)
    except ConfigError as error:
        return ["docker: %s" % error], "fix: %s" % error
    lines = ["docker config: %s (%s%s)" % (path, "found" if mode is not None else "not found",
                                           ", from DOCKER_CONFIG" if ctx.env.get("DOCKER_CONFIG") else "")]
    helpers = document.get("credHelpers")
    helpers = helpers if isinstance(helpers, dict) else {}
    if helpers.get(host):
        helper, route = helpers[host], "credHelpers[%s]" % host
    else:
        helper, route = document.get("credsStore"), "credsStore"
    configure = "%s configure %s" % (PROGRAM, host)
    if not isinstance(helper, str) or not helper:
        wrong_keys = [key for key in helpers if key != host and same_host(key, host)]
        if wrong_keys:
            return lines, "fix: credHelpers has %r, but Docker looks up the bare host %s; run: %s" % (
                wrong_keys[0], host, configure)
        return lines, "fix: Docker routes %s to no helper (it would use its own store); run: %s" % (host, configure)
    lines.append("  %s: %s" % (route, helper))
    if helper != DOCKER_HELPER_NAME and not helper.startswith(DOCKER_HELPER_NAME + "-"):
        return lines, "fix: Docker asks docker-credential-%s for %s, not this helper; run: %s" % (helper, host, configure)
    program = DOCKER_HELPER_PREFIX + helper
    found = path_lookup(ctx.env, program)
    if found is None:
        return lines, "fix: " + missing_helper_note(ctx.env, helper)[len("note: "):]
    lines.append("  first %s on PATH: %s" % (program, found))
    if ctx.program and not same_program(found, ctx.program):
        return lines, "fix: %s is not this helper (%s, %s); put %s before it on PATH, or replace it" % (
            found, describe_program(found), ctx.program, os.path.dirname(os.path.abspath(ctx.program)))
    return lines, "Docker will use %s for %s: OK" % (found, host)


def fresh_in_cache(ctx, registry, source):
    """True when the token cache holds a fresh token for registry and source."""
    entry = ctx.token_cache().slot(registry, source).get()
    return entry is not None and entry.is_fresh(time.time())


def ignored_settings(ctx):
    """Lines naming settings the helper reads but ignores as they are written."""
    lines = list(ctx.log.problems)
    ignore = ctx.env.get("AWS_ECR_IGNORE_CREDS_STORAGE")
    if ignore is not None and ignore != "true" and ignore.strip().lower() in ("true", "1", "yes", "on"):
        lines.append("AWS_ECR_IGNORE_CREDS_STORAGE=%r: only exactly true counts (as in the Go helper), so "
                     "store and erase are refused" % ignore[:40])
    return lines


def credentials_advice(source, problem, unconfigured):
    """What to do about missing or failing credentials, or "" when there is nothing to say."""
    if unconfigured or isinstance(problem, CredentialsError) and source is None:
        return NEWCOMER_ADVICE
    if isinstance(source, SSOSource) and isinstance(problem, CredentialsError):
        return ("The SSO session of profile %s needs a new login: aws sso login --profile %s\n"
                "Then run:   %s doctor again." % (source.profile, source.profile, PROGRAM))
    return ""


def action_doctor(ctx, streams, args):
    """doctor [--no-cache] [REGISTRY]: explain what the helper would do, and try it; each line
    is printed as soon as it is known. Never shows a secret."""
    options, args = parse_args(args, flags=("--no-cache",))
    if len(args) > 1:
        raise UsageError("name at most one registry")

    def say(line):
        streams.out(redact(line, ctx.secrets) + "\n")

    say("%s %s on Python %s (%s)" % (PROGRAM, VERSION, sys.version.split()[0], sys.executable))
    registry = settings = source = request = None
    problem = None
    try:
        if args:
            registry, settings = resolve_registry(ctx, args[0])
            say("registry: %s: %s account %s in %s%s" % (
                registry.host, "ECR Public" if registry.is_public else "private ECR", registry.account or "-",
                registry.region, " (FIPS)" if registry.fips else ""))
            if region_hint(registry):
                say("  hint: %s" % region_hint(registry))
        request = Request(ctx, registry, settings)
        if registry is not None:
            say("  API endpoint: %s" % ecr_endpoint(request))
            if settings:
                say("  helper config %s: %s" % (helper_config_path(ctx.env), ", ".join(
                    "%s=%s" % item for item in sorted(settings.items()))))
        config = request.config
        say("profile: %s (%s)" % (config.profile_name, "from AWS_PROFILE/AWS_DEFAULT_PROFILE or the "
                                  "helper's name" if config.profile_explicit else "default"))
        for label, path in (("config file", config.config_path), ("credentials file", config.credentials_path)):
            say("  %s: %s (%s)" % (label, path, "found" if path and os.path.isfile(path) else "not found"))
        say("credential sources, in the order they are tried:")
        for row_name, source, why_none in chain_walk(request):  # the walk get makes, to the same end
            say("  %-28s %s" % (row_name, source.describe() if source else why_none))
        source = with_host_role(request, source)
        say("  => %s" % source.describe())
    except HelperError as error:
        problem = error
        say("  => %s" % error)
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
                     "AWS_CA_BUNDLE"):
        if ctx.env.get(variable):
            say("%s=%s" % (variable, ctx.env[variable]))  # say() masks the user info
    for line in cache_report(ctx, registry, source):
        say(line)
    say("log: %s (level %s)" % (ctx.log.usable_path() or "off", [
        name for name, value in LOG_LEVELS.items() if value == ctx.log.level][0]))
    for line in ignored_settings(ctx):
        say("ignored: %s" % line)
    verdict = None
    if args:
        lines, verdict = docker_report(ctx, server_url_host(args[0]))
        for line in lines:
            say(line)
    unconfigured = isinstance(source, IMDSSource) and not os.path.isfile(request.config.config_path or "") and \
        not os.path.isfile(request.config.credentials_path or "") and not ctx.settings.imds_endpoint
    if problem is None and registry is not None and not (unconfigured and not looks_like_ec2()):
        cached = "--no-cache" not in options and fresh_in_cache(ctx, registry, source)
        if not cached:
            say("asking ECR for a token (up to %g s for each AWS call)..." % ctx.settings.total_timeout)
        try:
            if "--no-cache" in options:
                auth = fetch_token(request, source, None)[0]
            else:
                auth = token_for_source(request, source)
            say("token: OK from %s, user %s, %s" % (
                "the cache (--no-cache asks AWS)" if cached else "AWS", auth.username, expiry_limit(auth)))
        except HelperError as error:
            problem = error
            say("token: FAILED: %s" % error)
    elif problem is None and registry is None:
        say("token: not tried (name a registry: %s doctor ACCOUNT.dkr.ecr.REGION.amazonaws.com)" % PROGRAM)
    advice = credentials_advice(source, problem, unconfigured)
    if advice:
        say(advice)
        problem = problem or CredentialsError("no credentials configured")
    if verdict is not None:
        if problem is not None and verdict.endswith(": OK"):
            verdict = "fix: the credentials (above); Docker's side is right: it %s" % verdict[len("Docker "):-4]
        say("verdict: %s" % verdict)
    return 1 if problem is not None or registry is None and source is None else 0


def looks_like_ec2():
    """A cheap local hint that this is an EC2 instance, so doctor probes IMDS only there."""
    for path, marker in (("/sys/devices/virtual/dmi/id/sys_vendor", "amazon"),
                         ("/sys/devices/virtual/dmi/id/board_asset_tag", "i-"),
                         ("/sys/hypervisor/uuid", "ec2")):
        try:
            with open(path) as handle:
                if handle.read(64).strip().lower().startswith(marker):
                    return True
        except OSError:
            continue
    return False


# ---- main (the program's name picks a role; the commands, their arguments, the entry point) --

HELP = """\
%(program)s %(version)s: Amazon ECR credentials for Docker, Podman, skopeo, buildah and BuildKit.

Start here (checks your AWS credentials and Docker's config, and tries to get a token):
  %(program)s doctor 123456789012.dkr.ecr.us-west-2.amazonaws.com

Docker runs this helper; you normally do not. Route your ECR registries to it in
~/.docker/config.json (%(program)s configure REGISTRY writes this for you):
  {"credHelpers": {"123456789012.dkr.ecr.us-west-2.amazonaws.com": "ecr-login"}}

Commands (each has -h):
  doctor [REGISTRY]           explain the setup and try to get a token (never shows it)
  configure REGISTRY...       add credHelpers entries to Docker's config (--profile, --remove,
                              --fallback NAME to make ecr-login the credsStore for every registry)
  get-login-password REGISTRY print only the password, for  | docker login -u AWS --password-stdin
  get-login-password --region R [--profile P]   the same for your own account's registry in R
  kubelet                     kubelet image credential provider (also as ecr-credential-provider)
  -v, --version               the version banner

The docker credential-helper protocol (stdin and stdout, as Docker calls it):
  get     read a registry URL, print {"ServerURL","Username","Secret"}
  list    print the registries in the cache and those routed here, as {"https://host": "AWS"}
  store   refused (ECR tokens are temporary), or a no-op with AWS_ECR_IGNORE_CREDS_STORAGE=true
  erase   likewise
  version print the version

Settings people need most:
  AWS_PROFILE                    the AWS profile (or install a copy named %(program)s-PROFILE)
  AWS_ECR_LOG_LEVEL              debug, info (default), warning, error or off;
                                 the log is ~/.ecr/log/ecr-login.log (AWS_ECR_LOG_FILE)
  AWS_ECR_IGNORE_CREDS_STORAGE   true: docker login/logout succeed and store nothing
  AWS_ECR_FALLBACK_HELPER        NAME: docker-credential-NAME serves every registry that is not ECR
See the README for the rest.
"""
SEE_HELP = "%s: run '%s --help' for the commands\n" % (PROGRAM, PROGRAM)


class UsageError(HelperError):
    """Arguments a command does not take: exit 2, with the reason and the command's usage."""


class HelpRequest(Exception):
    """-h or --help given to a command: its usage on stdout, exit 0."""


def parse_args(args, flags=(), valued=()):
    """(options, operands) of a command's arguments; options maps each flag given to True and
    each valued option ("--name value" or "--name=value") to its value. -h/--help raise
    HelpRequest; an unknown option, or one without its value, is a UsageError naming it."""
    options, operands, rest = {}, [], list(args)
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if arg in ("-h", "--help"):
            raise HelpRequest()
        if arg in flags:
            options[arg] = True
        elif name in valued:
            if not equals:
                if not rest:
                    raise UsageError("%s needs a value" % arg)
                value = rest.pop(0)
            options[name] = value
        elif arg.startswith("-"):
            raise UsageError("unknown option %s" % arg[:60])
        else:
            operands.append(arg)
    return options, operands


ACTIONS = {
    "get": action_get,
    "store": action_store,
    "erase": action_erase,
    "list": action_list,
    "version": action_version,
}

# Commands beyond the docker protocol, with their usage; they take arguments.
COMMANDS = {
    "kubelet": (action_kubelet, "usage: %s kubelet  (reads a CredentialProviderRequest on stdin)\n" % PROGRAM),
    "get-login-password": (action_get_login_password, GET_LOGIN_PASSWORD_USAGE),
    "configure": (action_configure, CONFIGURE_USAGE),
    "doctor": (action_doctor, DOCTOR_USAGE),
}
KUBELET_PROGRAM = "ecr-credential-provider"


def program_role(argv0):
    """(kubelet mode, profile) from the name the helper was installed under."""
    name = os.path.basename(argv0 or "")
    for extension in (".py", ".pyz", ".exe"):
        if name.endswith(extension):
            name = name[: -len(extension)]
    if name == KUBELET_PROGRAM:
        return True, None
    if name.startswith(PROFILE_PROGRAM_PREFIX) and len(name) > len(PROFILE_PROGRAM_PREFIX):
        return False, name[len(PROFILE_PROGRAM_PREFIX):]
    return False, None


def run(argv, env, streams):
    args = argv[1:]
    kubelet, profile = program_role(argv[0] if argv else "")
    if args and args[0] in ("-v", "--version", "-version", "--v"):
        streams.out("amazon-ecr-credential-helper\nVersion:    %s\nGit commit: %s\n" % (VERSION, "python"))
        return 0
    if args and args[0] in ("-h", "--help", "-help", "help"):
        streams.out(HELP % {"program": PROGRAM, "version": VERSION})
        return 0
    ctx = Context(env, profile)
    for problem in ctx.log.problems if args[:1] != ["doctor"] else ():  # doctor reports them itself
        streams.err("%s: ignored: %s\n" % (PROGRAM, problem))
    if kubelet:
        return action_kubelet(ctx, streams, args)
    if args and args[0] in COMMANDS:
        command, usage = COMMANDS[args[0]]
        ctx.program = argv[0]
        try:
            return command(ctx, streams, args[1:])
        except HelpRequest:
            streams.out(usage)
            return 0
        except UsageError as error:
            streams.err("%s %s: %s\n%s" % (PROGRAM, args[0], error, usage))
            return 2
    request = waiting_kubelet_request(streams.stdin) if not args else None
    if request is not None:
        return action_kubelet(ctx, Streams(request, streams.stdout, streams.stderr), args)
    if len(args) != 1:
        streams.out(USAGE + "\n")  # the protocol's answer; the hint is for a person
        streams.err(SEE_HELP)
        return 1
    action = ACTIONS.get(args[0])
    if action is None:
        streams.out("%s: unknown action: %s\n" % (PROGRAM, args[0]))
        streams.err(unknown_action_hint(args[0]))
        return 1
    return action(ctx, streams)


def unknown_action_hint(action):
    """'did you mean get?' for a typo of an action or command, and where the help is (only the
    latter where this Python has no difflib: python3-minimal)."""
    try:
        import difflib
    except ImportError:
        return SEE_HELP
    close = difflib.get_close_matches(action.lower(), sorted(ACTIONS) + sorted(COMMANDS), 1, 0.6)
    return ("%s: did you mean %s?\n" % (PROGRAM, close[0]) if close else "") + SEE_HELP


def main(argv=None, env=None, stdin=None, stdout=None, stderr=None):
    """Run the helper; returns the exit status. Never lets a traceback reach the user."""
    streams = Streams(stdin if stdin is not None else binary_stream(sys.stdin),
                      stdout if stdout is not None else binary_stream(sys.stdout),
                      stderr if stderr is not None else binary_stream(sys.stderr))
    try:
        return run(sys.argv if argv is None else argv, os.environ if env is None else env, streams)
    except KeyboardInterrupt:
        return 130
    except HelperError as error:
        streams.err("%s: %s\n" % (PROGRAM, mask_userinfo(str(error))))
        return 1
    except Exception as error:  # a bug: say what broke in one line, not with a traceback
        streams.err("%s: %s\n" % (PROGRAM, internal_error(error)))
        return 1


def binary_stream(stream):
    """The bytes layer under sys.stdin/stdout/stderr; None when the descriptor was closed."""
    return getattr(stream, "buffer", None)


if __name__ == "__main__":
    sys.exit(main())
