#!/usr/bin/env python3
"""Checks every #include of the C++ sources against layering.txt.

Usage: checklayering.py [--qt-include-dir DIR] [ROOT]

ROOT is the source tree (default: two levels above this script) and holds
layering.txt. Prints one line per broken rule, "file:line: rule", and exits
with 1 when there is any, 0 otherwise. Standard library only.
"""

import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = ('.h', '.hpp', '.cpp', '.cc')


class Rules:
    def __init__(self):
        self.folders = []       # (folder, library), longest folder first
        self.prefixes = {}      # include prefix -> library
        self.allowed = {}       # library -> set of libraries
        self.qt = {}            # library -> set of Qt modules
        self.external = {}      # header -> set of libraries


def parse_rules(path):
    rules = Rules()
    errors = []
    with open(path, encoding='utf-8') as f:
        for number, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            words = line.split()
            where = '%s:%d' % (path, number)
            if words[0] == 'library' and len(words) == 4:
                rules.folders.append((words[2].rstrip('/'), words[1]))
                if words[3] != '-':
                    rules.prefixes[words[3]] = words[1]
            elif words[0] == 'qt' and len(words) >= 2:
                rules.qt[words[1]] = set(words[2:])
            elif words[0] == 'external' and len(words) >= 3:
                for header in words[2:]:
                    rules.external.setdefault(header, set()).add(words[1])
            elif len(words) >= 2 and words[1] == '->':
                rules.allowed[words[0]] = set(words[2:])
            else:
                errors.append('%s: cannot read rule "%s"' % (where, line))
    names = {name for _, name in rules.folders}
    for name in names:
        if name not in rules.allowed:
            errors.append('%s: library %s has no "%s -> ..." rule' % (path, name, name))
    for name, deps in rules.allowed.items():
        for dep in deps:
            if dep not in names:
                errors.append('%s: rule "%s -> %s" names no library' % (path, name, dep))
    rules.folders.sort(key=lambda item: -len(item[0]))
    return rules, errors


def qt_modules(qt_include_dir):
    """Maps each Qt class header (QWidget) to its module (Widgets)."""
    modules = {}
    if not qt_include_dir or not os.path.isdir(qt_include_dir):
        return modules
    for entry in sorted(os.listdir(qt_include_dir)):
        directory = os.path.join(qt_include_dir, entry)
        if not entry.startswith('Qt') or not os.path.isdir(directory):
            continue
        module = entry[2:]
        modules.setdefault(entry, module)
        for header in os.listdir(directory):
            if header.startswith('Q') and '.' not in header:
                modules.setdefault(header, module)
    return modules


def library_of(rules, relpath):
    for folder, name in rules.folders:
        if relpath == folder or relpath.startswith(folder + '/'):
            return name
    return None


def check(root, rules, modules):
    problems = []
    for top in sorted({folder.split('/')[0] for folder, _ in rules.folders}):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for filename in sorted(filenames):
                if not filename.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, filename)
                relpath = os.path.relpath(path, root).replace(os.sep, '/')
                library = library_of(rules, relpath)
                if library is None:
                    problems.append('%s:1: file lies in no library folder of layering.txt' % relpath)
                    continue
                problems.extend(check_file(path, relpath, library, rules, modules))
    return problems


def check_file(path, relpath, library, rules, modules):
    problems = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for number, line in enumerate(f, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            kind, name = match.groups()
            where = '%s:%d' % (relpath, number)
            if kind == '"':
                problems.extend(check_quoted(where, name, library, rules))
            else:
                problems.extend(check_angled(where, name, library, rules, modules))
    return problems


def check_quoted(where, name, library, rules):
    if name.endswith('.moc'):
        return []
    if '/' not in name or name.startswith('.'):
        return ['%s: #include "%s" does not name its folder ("core/session.h")' % (where, name)]
    prefix = name.split('/', 1)[0] + '/'
    target = rules.prefixes.get(prefix)
    if target is None:
        return ['%s: #include "%s" names no library of layering.txt' % (where, name)]
    if target != library and target not in rules.allowed.get(library, set()):
        return ['%s: #include "%s": %s may not use %s (layering.txt: %s -> %s)'
                % (where, name, library, target, library,
                   ' '.join(sorted(rules.allowed.get(library, set()))) or 'nothing')]
    return []


def check_angled(where, name, library, rules, modules):
    owners = rules.external.get(name)
    if owners is not None and library not in owners:
        return ['%s: #include <%s>: only %s may include it (layering.txt external)'
                % (where, name, ', '.join(sorted(owners)))]
    first = name.split('/', 1)[0]
    module = modules.get(first)
    if module is not None and library in rules.qt and module not in rules.qt[library]:
        return ['%s: #include <%s>: %s may not use Qt %s (layering.txt: qt %s %s)'
                % (where, name, library, module, library, ' '.join(sorted(rules.qt[library])))]
    return []


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--qt-include-dir', help='Qt 6 include directory (holds QtCore/, QtWidgets/ ...)')
    parser.add_argument('root', nargs='?',
                        default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    args = parser.parse_args(argv)
    rules_path = os.path.join(args.root, 'layering.txt')
    rules, errors = parse_rules(rules_path)
    if errors:
        print('\n'.join(errors))
        return 1
    modules = qt_modules(args.qt_include_dir)
    if args.qt_include_dir and not modules:
        print('%s: no Qt module headers found' % args.qt_include_dir)
        return 1
    problems = check(args.root, rules, modules)
    for problem in problems:
        print(problem)
    if problems:
        print('%d layering problem(s); the rules are in %s' % (len(problems), rules_path))
        return 1
    print('layering: all includes follow %s' % rules_path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
