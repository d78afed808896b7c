"""The settings table (ecr_login.SETTINGS) against the README's environment-variable section:
every documented variable is in the table, every entry is documented, with the same default."""

import os
import re
import unittest

import ecr_login

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def environment_section():
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    start = text.index("## Environment variables")
    return text[start:text.index("\n## ", start + 1)]


def documented_table():
    """{variable: default column} of the helper-specific table."""
    return dict(re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*) \|", environment_section(), re.M))


class SettingsTableTest(unittest.TestCase):
    def test_every_documented_helper_variable_is_a_setting(self):
        variables = set(entry[0] for entry in ecr_login.SETTINGS.values())
        self.assertEqual(set(documented_table()) - variables, set())

    def test_every_setting_is_documented(self):
        section = environment_section()
        table = documented_table()
        for name, (variable, _, _, _, _) in sorted(ecr_login.SETTINGS.items()):
            with self.subTest(setting=name):
                self.assertIn("`%s`" % variable, section)
                if variable.startswith("AWS_ECR_"):
                    self.assertIn(variable, table)

    def test_documented_number_defaults_are_the_tables(self):
        table = documented_table()
        for name, (variable, _, kind, default, _) in sorted(ecr_login.SETTINGS.items()):
            if variable in table and kind in ("number", "count", "bytes"):
                with self.subTest(setting=name):
                    self.assertEqual(float(table[variable].strip()), default)

    def test_a_bad_number_is_one_config_error_naming_the_variable(self):
        for raw in ("abc", "-1", "nan", "inf"):
            with self.subTest(raw=raw):
                with self.assertRaises(ecr_login.ConfigError) as raised:
                    ecr_login.Settings({"AWS_ECR_RETRY_DELAY": raw}).resolve(ecr_login.FETCH_SETTINGS)
                self.assertIn("AWS_ECR_RETRY_DELAY", str(raised.exception))

    def test_a_bad_log_setting_falls_back_and_is_named(self):
        log = ecr_login.Log({"AWS_ECR_LOG_MAX_BYTES": "1MB", "AWS_ECR_LOG_FILE": "off"}, set(), lambda name: None)
        self.assertEqual(log.max_bytes, 1024 * 1024)
        self.assertEqual(len(log.problems), 1)
        self.assertIn("AWS_ECR_LOG_MAX_BYTES='1MB'", log.problems[0])


if __name__ == "__main__":
    unittest.main()
