"""The committed lock, setup.cfg's ranges and the README's commands agree."""

import configparser
import pathlib
import re

import pytest

requirements = pytest.importorskip("packaging.requirements")
utils = pytest.importorskip("packaging.utils")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def lock():
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"lock line {line!r} is not NAME==VERSION"
        key = utils.canonicalize_name(name)
        assert key not in pins, f"{name} is locked twice"
        pins[key] = version
    return pins


def setup_requirements():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    blocks = {"install_requires": config["options"]["install_requires"]}
    blocks.update(
        {f"extra {k}": v for k, v in config["options.extras_require"].items()}
    )
    for where, block in blocks.items():
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line:
                yield where, requirements.Requirement(line)


def test_lock_satisfies_every_range_in_setup_cfg():
    pins = lock()
    problems = []
    for where, requirement in setup_requirements():
        key = utils.canonicalize_name(requirement.name)
        if key not in pins:
            problems.append(f"{requirement} ({where}) is not in the lock")
        elif not requirement.specifier.contains(pins[key], prereleases=True):
            problems.append(
                f"{requirement} ({where}) but the lock has {requirement.name}=="
                f"{pins[key]}"
            )
    assert not problems, "; ".join(problems)


def test_lock_holds_exactly_one_tensorflow():
    names = set(lock())
    assert "tensorflow" in names
    assert not names & {"tensorflow-cpu", "tensorflow-gpu", "tf-nightly"}


def test_readme_commands_install_with_the_lock():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"<!-- command: [\w-]+ -->\s*```bash\n(.*?)\n```", readme)
    assert len(commands) == 2
    for command in commands:
        assert "pip install -c requirements/constraints.txt -e" in command
