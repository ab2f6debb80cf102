"""The layering checker on small trees: each kind of broken rule is reported
as file:line with the rule, and a tree that follows the rules passes."""

import contextlib
import io
import os
import tempfile
import unittest

import checklayering

RULES = """\
library core  model/core  core/
library lsnap model/lsnap lsnap/
library views views       views/
library gui   app/gui     gui/
core  ->
lsnap -> core
views -> core lsnap
gui   -> core lsnap views
qt core  Core
qt lsnap Core
qt views Core Widgets
external lsnap sqlite3.h
"""


class CheckLayeringTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        self.qt = os.path.join(self.root, 'qtinclude')
        for module, header in (('QtCore', 'QString'), ('QtWidgets', 'QWidget')):
            os.makedirs(os.path.join(self.qt, module))
            open(os.path.join(self.qt, module, header), 'w').close()
        self.write('layering.txt', RULES)
        self.write('model/core/session.h', '#include <QString>\n')
        self.write('model/lsnap/reader.cpp', '#include "core/session.h"\n#include <sqlite3.h>\n')
        self.write('views/table.cpp', '#include "lsnap/reader.h"\n#include <QWidget>\n#include "table.moc"\n')
        self.write('app/gui/window.cpp', '#include "views/table.h"\n')

    def tearDown(self):
        self.dir.cleanup()

    def write(self, relpath, text):
        path = os.path.join(self.root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)

    def run_checker(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = checklayering.main(['--qt-include-dir', self.qt, self.root])
        return code, out.getvalue()

    def test_clean_tree_passes(self):
        code, out = self.run_checker()
        self.assertEqual(code, 0, out)

    def test_upward_include_fails_with_file_line_and_rule(self):
        self.write('model/core/session.cpp', '#include <QString>\n\n#include "views/table.h"\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('model/core/session.cpp:3: #include "views/table.h": core may not use views '
                      '(layering.txt: core -> nothing)', out)

    def test_model_including_app_fails(self):
        self.write('model/lsnap/writer.cpp', '#include "gui/window.h"\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('model/lsnap/writer.cpp:1: #include "gui/window.h": lsnap may not use gui', out)

    def test_include_without_folder_fails(self):
        self.write('views/chart.cpp', '#include "table.h"\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('views/chart.cpp:1: #include "table.h" does not name its folder', out)

    def test_forbidden_qt_module_fails(self):
        self.write('model/core/growth.cpp', '#include <QWidget>\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('model/core/growth.cpp:1: #include <QWidget>: core may not use Qt Widgets', out)

    def test_third_party_header_outside_its_library_fails(self):
        self.write('model/core/cache.cpp', '#include <sqlite3.h>\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('model/core/cache.cpp:1: #include <sqlite3.h>: only lsnap may include it', out)

    def test_file_outside_every_library_fails(self):
        self.write('model/stray.cpp', '\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('model/stray.cpp:1: file lies in no library folder', out)

    def test_rule_naming_unknown_library_fails(self):
        self.write('layering.txt', RULES + 'lsnap -> heapgraph\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1)
        self.assertIn('rule "lsnap -> heapgraph" names no library', out)


if __name__ == '__main__':
    unittest.main()
