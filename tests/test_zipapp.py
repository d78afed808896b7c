"""The shipped zipapp: a reproducible build, its layout, and the bootstrap's bytecode cache.

Each test runs the built archive with this interpreter in a private HOME and cache dir.
"""

import ast
import glob
import marshal
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import build_zipapp  # noqa: E402

APP_NAME = "docker-credential-ecr-login"
VERSION_PREFIX = "docker-credential-ecr-login ("
FAKE_MAIN = "def main():\n    print('from cached bytecode')\n    return 0\n"


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def bound_names(node):
    """Every name node binds anywhere inside it: assigned, a parameter, defined, imported, caught."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            names.add(child.id)
        elif isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, (ast.FunctionDef, ast.ClassDef)):
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
    return names


def make_temp_dir(test):
    path = tempfile.mkdtemp(prefix="ecr-login-zipapp-")
    test.addCleanup(shutil.rmtree, path, True)
    return path


class ZipappTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dist = tempfile.mkdtemp(prefix="ecr-login-dist-")
        cls.app = build_zipapp.build(os.path.join(cls.dist, APP_NAME))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dist, True)

    def setUp(self):
        self.home = make_temp_dir(self)
        self.cache_dir = os.path.join(self.home, "cache")
        self.pycache = os.path.join(self.cache_dir, "pycache")

    def env(self, **changes):
        """A clean environment for the helper; a value of None removes the variable."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "PYTHON"))
        }
        env.update(HOME=self.home, AWS_EC2_METADATA_DISABLED="true", AWS_ECR_CACHE_DIR=self.cache_dir)
        for name, value in changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run_app(self, *args, **env_changes):
        return subprocess.run(
            [sys.executable, "-S", self.app] + list(args),  # -S: no site start-up cost
            env=self.env(**env_changes),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=60,
        )

    def assert_version_runs(self, **env_changes):
        result = self.run_app("version", **env_changes)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith(VERSION_PREFIX), result.stdout)
        self.assertEqual(result.stderr, "")
        return result

    def bytecode_files(self, pycache=None):
        return glob.glob(os.path.join(pycache or self.pycache, "ecr_login-*.pyc"))

    def only_bytecode_file(self):
        files = self.bytecode_files()
        self.assertEqual(len(files), 1, files)
        return files[0]

    def plant_fake_bytecode(self):
        """Run once, then swap the cached code for a module whose main() says where it came from."""
        self.assert_version_runs()
        path = self.only_bytecode_file()
        header = read_bytes(path)[:16]
        write_bytes(path, header + marshal.dumps(compile(FAKE_MAIN, "fake", "exec")))
        return path

    # The build

    def test_building_twice_gives_identical_bytes(self):
        first = build_zipapp.build(os.path.join(make_temp_dir(self), APP_NAME))
        second = build_zipapp.build(os.path.join(make_temp_dir(self), APP_NAME))
        self.assertEqual(read_bytes(first), read_bytes(second))
        self.assertEqual(read_bytes(first), read_bytes(self.app))

    def test_output_starts_with_python3_shebang_and_is_executable(self):
        self.assertTrue(read_bytes(self.app).startswith(b"#!/usr/bin/env python3\n"))
        self.assertEqual(stat.S_IMODE(os.stat(self.app).st_mode), 0o755)

    def test_build_leaves_no_temporary_files_beside_the_output(self):
        self.assertEqual(os.listdir(self.dist), [APP_NAME])

    def test_archive_holds_only_the_bootstrap_and_the_program_uncompressed(self):
        with zipfile.ZipFile(self.app) as archive:
            self.assertEqual(archive.namelist(), ["__main__.py", "ecr_login.py"])
            self.assertEqual(archive.read("ecr_login.py"), read_bytes(os.path.join(ROOT, "ecr_login.py")))
            for info in archive.infolist():
                self.assertEqual(info.compress_type, zipfile.ZIP_STORED)
                self.assertEqual(info.date_time, (1980, 1, 1, 0, 0, 0))

    def test_bootstrap_copies_the_trust_rule_from_the_module_and_defines_every_name_it_uses(self):
        import builtins

        source = read_bytes(os.path.join(ROOT, "ecr_login.py"))
        bootstrap = build_zipapp.render_bootstrap(source).decode("utf-8")
        self.assertIn(build_zipapp.shared_definitions(source), bootstrap)
        self.assertIn("def directory_problem(", bootstrap)
        # ast, not symtable: PyPy's symtable tells globals from locals differently.
        statements = ast.parse(bootstrap).body
        defined = set(dir(builtins)) | {"__loader__", "__file__"}
        for statement in statements:
            defined |= {statement.name} if isinstance(statement, (ast.FunctionDef, ast.ClassDef)) \
                else bound_names(statement)
        missing = set()
        for statement in statements:  # a name a definition loads but binds nowhere in itself
            missing |= set(node.id for node in ast.walk(statement) if isinstance(node, ast.Name)
                           and isinstance(node.ctx, ast.Load)) - bound_names(statement) - defined
        self.assertEqual(sorted(missing), [], "names the bootstrap would look up in vain")

    # Running it

    def test_version_runs_from_the_zipapp(self):
        self.assert_version_runs()

    def test_first_run_leaves_a_private_bytecode_file_that_the_second_run_uses(self):
        self.assert_version_runs()
        path = self.only_bytecode_file()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.pycache).st_mode), 0o700)
        before = read_bytes(path)
        self.assert_version_runs()
        self.assertEqual(self.bytecode_files(), [path])
        self.assertEqual(read_bytes(path), before)

    def test_bytecode_file_is_named_for_this_build_and_interpreter(self):
        import importlib.util

        self.assert_version_runs()
        name = os.path.basename(self.only_bytecode_file())
        source_hash = build_zipapp.source_hash(read_bytes(os.path.join(ROOT, "ecr_login.py")))
        self.assertEqual(name, "ecr_login-%s-%s.pyc" % (source_hash, importlib.util.MAGIC_NUMBER.hex()))

    def test_warm_run_executes_the_cached_bytecode(self):
        self.plant_fake_bytecode()
        result = self.run_app("version")
        self.assertEqual((result.returncode, result.stdout), (0, "from cached bytecode\n"), result.stderr)

    def test_corrupt_bytecode_file_is_ignored_and_rewritten(self):
        self.assert_version_runs()
        path = self.only_bytecode_file()
        good = read_bytes(path)
        corruptions = {
            "garbage": b"this is not bytecode",
            "empty": b"",
            "header only": good[:16],
            "truncated": good[: len(good) // 2],
            "bad marshal data": good[:16] + b"\x00\xff garbage",
            "not a code object": good[:16] + marshal.dumps(42),
        }
        for label, data in sorted(corruptions.items()):
            with self.subTest(label):
                write_bytes(path, data)
                self.assert_version_runs()
                # The same code, not always the same bytes: PyPy marks a string interned or not
                # by what the process interned before (here: the half it read of the broken file).
                rewritten = read_bytes(path)
                self.assertEqual(rewritten[:16], good[:16])
                self.assertEqual(marshal.loads(rewritten[16:]), marshal.loads(good[16:]))

    def test_unwritable_cache_dir_does_not_stop_the_helper(self):
        blocker = os.path.join(self.home, "a-file")
        write_bytes(blocker, b"")
        self.assert_version_runs(AWS_ECR_CACHE_DIR=os.path.join(blocker, "cache"))
        self.assertEqual(read_bytes(blocker), b"")

    def test_disable_bytecode_cache_writes_no_bytecode(self):
        self.assert_version_runs(AWS_ECR_DISABLE_BYTECODE_CACHE="1")
        self.assertFalse(os.path.exists(self.pycache))

    def test_disable_bytecode_cache_ignores_existing_bytecode(self):
        self.plant_fake_bytecode()
        self.assert_version_runs(AWS_ECR_DISABLE_BYTECODE_CACHE="1")

    def test_disable_cache_keeps_the_bytecode_cache(self):
        """AWS_ECR_DISABLE_CACHE is about tokens and role credentials; compiled code holds no secret."""
        self.assert_version_runs(AWS_ECR_DISABLE_CACHE="1")
        self.only_bytecode_file()
        self.plant_fake_bytecode()
        result = self.run_app("version", AWS_ECR_DISABLE_CACHE="1")
        self.assertEqual(result.stdout, "from cached bytecode\n", result.stderr)

    def test_pythondontwritebytecode_does_not_turn_off_the_bytecode_cache(self):
        self.assert_version_runs(PYTHONDONTWRITEBYTECODE="1")
        self.only_bytecode_file()

    def test_default_cache_dir_is_dot_ecr_in_home(self):
        self.assert_version_runs(AWS_ECR_CACHE_DIR=None)
        self.assertEqual(len(self.bytecode_files(os.path.join(self.home, ".ecr", "pycache"))), 1)

    def test_leading_tilde_in_cache_dir_means_home(self):
        self.assert_version_runs(AWS_ECR_CACHE_DIR="~/elsewhere")
        self.assertEqual(len(self.bytecode_files(os.path.join(self.home, "elsewhere", "pycache"))), 1)

    def test_runs_without_home_and_without_cache_dir(self):
        self.assert_version_runs(HOME=None, AWS_ECR_CACHE_DIR=None)
        self.assertEqual(os.listdir(self.home), [])


if __name__ == "__main__":
    unittest.main()
