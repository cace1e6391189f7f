"""Print one of the README's set-up commands, so that CI runs them verbatim.

The README marks each command with an HTML comment, ``<!-- command: NAME -->``,
on the line before its fenced block; the block holds exactly one command line.

    python3 .ci/readme_command.py main-job
"""

import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def command(name, text):
    pattern = rf"<!-- command: {re.escape(name)} -->\s*```bash\n(.*?)```"
    match = re.search(pattern, text, flags=re.S)
    if match is None:
        raise SystemExit(f"README.md has no command marked {name!r}")
    lines = [line for line in match.group(1).splitlines() if line.strip()]
    if len(lines) != 1:
        raise SystemExit(f"README.md's {name!r} block must hold one command line")
    return lines[0]


if __name__ == "__main__":
    print(command(sys.argv[1], README.read_text()))
