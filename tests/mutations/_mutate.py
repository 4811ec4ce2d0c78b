# SPDX-License-Identifier: GPL-2.0
"""Shared by the mutation scripts: replace one anchored piece of a file."""
import sys


def mutate(rel_path, old, new):
    """Replace the one occurrence of old by new in TREE/rel_path and print
    rel_path, which scripts/mutate.sh restores afterwards."""
    path = sys.argv[1] + '/' + rel_path
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    if text.count(old) != 1:
        sys.exit(f'{rel_path}: the text to mutate is not there exactly once '
                 '(the series changed: update the mutation)')
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text.replace(old, new, 1))
    print(rel_path)
