"""The binary finder: argument, SONA_BINARY, next to the script, the virtualenv's bin/, then PATH."""

import os
import stat
import sys
import tempfile
import unittest
from unittest import mock

import _support  # noqa: F401  (puts ../src on sys.path)
from sonapy import SonaError, find_binary
from sonapy._binary import EXE


def make_exe(directory: str, name: str = EXE) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class FinderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        root = self.tmp.name
        self.arg = make_exe(os.path.join(root, "arg"))
        self.env = make_exe(os.path.join(root, "env"))
        self.script_dir = os.path.join(root, "script")
        self.script = os.path.join(self.script_dir, "app.py")
        self.venv = os.path.join(root, "venv")
        self.path_dir = os.path.join(root, "path")
        self.empty = os.path.join(root, "empty")
        os.makedirs(self.empty)
        # nothing found anywhere unless a test puts it there
        self.patch_env({"PATH": self.empty})
        self.patch(sys, "argv", [self.script])
        self.patch(sys, "prefix", sys.base_prefix)

    def patch(self, target, name, value):
        p = mock.patch.object(target, name, value)
        p.start()
        self.addCleanup(p.stop)

    def patch_env(self, values, clear=("SONA_BINARY",)):
        env = {k: v for k, v in os.environ.items() if k not in clear}
        env.update(values)
        p = mock.patch.dict(os.environ, env, clear=True)
        p.start()
        self.addCleanup(p.stop)

    def test_argument_first(self):
        make_exe(self.script_dir)
        self.patch_env({"SONA_BINARY": self.env, "PATH": self.empty})
        self.assertEqual(find_binary(self.arg), self.arg)

    def test_missing_argument_is_an_error_not_a_fallback(self):
        make_exe(self.path_dir)
        self.patch_env({"PATH": self.path_dir})
        with self.assertRaises(SonaError) as cm:
            find_binary(os.path.join(self.tmp.name, "nope", "sona"))
        self.assertEqual(cm.exception.code, "binary_not_found")
        self.assertIn("does not exist", cm.exception.message)

    def test_non_executable_argument(self):
        path = os.path.join(self.tmp.name, "plain")
        open(path, "w").close()
        with self.assertRaises(SonaError) as cm:
            find_binary(path)
        self.assertIn("not an executable", cm.exception.message)

    def test_argument_name_on_path(self):
        make_exe(self.path_dir, "sona-nightly")
        self.patch_env({"PATH": self.path_dir})
        self.assertEqual(find_binary("sona-nightly"), os.path.join(self.path_dir, "sona-nightly"))

    def test_env_before_script_dir(self):
        make_exe(self.script_dir)
        self.patch_env({"SONA_BINARY": self.env, "PATH": self.empty})
        self.assertEqual(find_binary(), self.env)

    def test_missing_env_is_an_error(self):
        self.patch_env({"SONA_BINARY": os.path.join(self.empty, "sona"), "PATH": self.empty})
        with self.assertRaises(SonaError) as cm:
            find_binary()
        self.assertIn("SONA_BINARY", cm.exception.message)

    def test_script_dir_before_virtualenv(self):
        here = make_exe(self.script_dir)
        make_exe(os.path.join(self.venv, "bin"))
        self.patch(sys, "prefix", self.venv)
        self.assertEqual(find_binary(), here)

    def test_virtualenv_before_path(self):
        venv_sona = make_exe(os.path.join(self.venv, "Scripts" if os.name == "nt" else "bin"))
        make_exe(self.path_dir)
        self.patch(sys, "prefix", self.venv)
        self.patch_env({"PATH": self.path_dir})
        self.assertEqual(find_binary(), venv_sona)

    def test_virtualenv_ignored_outside_one(self):
        make_exe(os.path.join(self.venv, "bin"))
        with mock.patch.object(sys, "base_prefix", self.venv), mock.patch.object(sys, "prefix", self.venv):
            with self.assertRaises(SonaError):
                find_binary()

    def test_path_last(self):
        on_path = make_exe(self.path_dir)
        self.patch_env({"PATH": self.path_dir})
        self.assertEqual(find_binary(), on_path)

    def test_not_found_lists_where_it_looked(self):
        with self.assertRaises(SonaError) as cm:
            find_binary()
        err = cm.exception
        self.assertEqual((err.status, err.code), (None, "binary_not_found"))
        self.assertIn(self.script_dir, err.message)
        self.assertIn("PATH", err.message)


if __name__ == "__main__":
    unittest.main()
