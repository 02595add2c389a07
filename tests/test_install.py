"""Installing corsight: the core alone, and each extra, give commands that work or say in one line
which extra to install (exit 2), never a traceback.

The core-only install is real: a wheel built from this checkout, installed with ``--no-deps`` into a
new virtual environment of every CPython on this machine that the project claims (3.10 to 3.13 where
pyenv has them). The per-extra matrix runs in this test environment with the modules the missing
extras would bring made unimportable (``sys.modules[name] = None``, which is exactly how Python
reports a package that is not installed): installing each combination from the package index would
take minutes and the network, for the same import failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The third-party modules each extra brings (pyproject.toml's optional-dependencies).
EXTRA_MODULES = {
    "cli": ("click", "rich", "httpx"),
    "scan": ("publicsuffixlist",),
    "proxy": ("uvicorn", "aiohttp", "limits", "httptools"),
    "ui": ("starlette", "uvicorn"),
}
# The extra each command needs (beyond the core).
COMMAND_EXTRA = {
    "check": "cli", "export": "cli", "har": "cli", "lint": "cli",
    "scan": "scan", "proxy": "proxy", "ui": "ui",
}  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("corsight-*.whl")
    return built


def test_wheel_carries_the_licence_and_spdx_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Programming Language :: Python :: 3.10" in metadata
    # Working on corsight is not a user extra.
    assert "Provides-Extra: test" not in metadata and "Provides-Extra: bench" not in metadata
    assert "Provides-Extra: redis" in metadata
    assert 'Requires-Dist: tomli>=2; python_version < "3.11"' in metadata


def _pythons() -> list[str]:
    """This interpreter and every other claimed CPython that pyenv has here."""
    found = [sys.executable]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        found += [
            str(p / "bin" / "python3") for p in sorted(pyenv.glob(f"{minor}.*")) if (p / "bin").is_dir()
        ]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("python", _pythons())
def test_core_only_install(python: str, wheel: Path, tmp_path: Path) -> None:
    """``pip install corsight`` alone: the middleware works and the command says what to install."""
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, env=env)
    smoke = (
        "from corsight.asgi import CORSMiddleware\n"
        "from corsight.wsgi import CORSMiddleware as W\n"
        "from corsight import Policy\n"
        "import corsight.testing, corsight.browser\n"
        "p = Policy(allow_origins=['https://app.example'], allow_credentials=True)\n"
        "print(p.allow_origins)\n"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", smoke], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "https://app.example" in done.stdout
    for argv in (["--help"], ["check", "http://127.0.0.1:9/"], []):
        run = subprocess.run([str(venv / "bin" / "corsight"), *argv], capture_output=True, text=True, env=env)
        assert run.returncode == 2, (argv, run.stderr)
        assert run.stderr == "corsight: error: the command line needs click: pip install 'corsight[cli]'\n"
        assert run.stdout == ""


# Runs each command line in one interpreter (starting one per command line costs more than the
# commands): stdout, stderr and the exit status of each, or the traceback that escaped.
_DRIVER = """
import contextlib, io, json, sys, traceback
for name in BLOCKED: sys.modules[name] = None
from corsight.__main__ import run
results = []
for argv in ARGVS:
    out, err, status = io.StringIO(), io.StringIO(), 0
    sys.argv = ["corsight", *argv]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run()
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            status = 1
    results.append({"argv": argv, "status": status, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps(results))
"""


def _corsight(argvs: list[list[str]], missing: set[str], cwd: Path, **env_vars: str) -> list[dict[str, Any]]:
    """Run each ``corsight`` command line with the modules of the ``missing`` extras unimportable."""
    kept = {m for extra in set(EXTRA_MODULES) - missing for m in EXTRA_MODULES[extra]}
    blocked = sorted({m for extra in missing for m in EXTRA_MODULES[extra]} - kept)
    code = f"BLOCKED = {blocked!r}\nARGVS = {argvs!r}\n" + _DRIVER
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200", **env_vars}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout.splitlines()[-1])
    return results


def _real_invocation(command: str, tmp: Path) -> list[str]:
    """One invocation of ``command`` that does real work and ends on its own."""
    har = tmp / "empty.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    config = tmp / "corsight.toml"
    config.write_text('allow_origins = ["https://app.example"]\n')
    return {
        "check": ["check", "http://127.0.0.1:9/", "--origin", "http://127.0.0.1:1"],
        "export": ["export", "--to", "nginx", "--allow-origin", "https://app.example"],
        "har": ["har", str(har)],
        "lint": ["lint", str(config)],
        "scan": ["scan", "--json", "http://127.0.0.1:9/"],
        "proxy": ["proxy", "--allow-origin", "https://app.example", "--print-config"],
        # A public address is refused before anything listens: real work that ends on its own.
        "ui": ["ui", "--no-open", "--host", "192.0.2.1"],
    }[command]


INSTALLS = [{"cli"}, {"cli", "scan"}, {"cli", "proxy"}, {"cli", "ui"}, {"cli", "scan", "proxy", "ui"}]


@pytest.mark.parametrize("installed", INSTALLS, ids=["+".join(sorted(i)) for i in INSTALLS])
def test_every_command_works_or_names_its_extra(installed: set[str], tmp_path: Path) -> None:
    missing = set(EXTRA_MODULES) - installed
    argvs = [["--help"]]
    for command in COMMAND_EXTRA:
        argvs += [[command, "--help"], _real_invocation(command, tmp_path)]
    listing, *runs = _corsight(argvs, missing, tmp_path)
    assert listing["status"] == 0, listing["stderr"]
    assert all(command in listing["stdout"] for command in COMMAND_EXTRA)
    for run in runs:
        argv, stderr = run["argv"], run["stderr"]
        command, extra = argv[0], COMMAND_EXTRA[argv[0]]
        assert "Traceback" not in stderr, (argv, stderr)
        if argv[-1] == "--help" and run["status"] == 0:
            assert "Usage:" in run["stdout"], (argv, stderr)  # help never needs the extra
        elif extra in installed:
            assert "pip install 'corsight[" not in stderr, (argv, stderr)
            assert run["status"] in (0, 1, 2), (argv, stderr)
            if run["status"] == 2:  # a usage or network error: one line
                assert len(stderr.splitlines()) == 1, (argv, stderr)
        else:
            assert run["status"] == 2, (argv, run["stdout"], stderr)
            assert stderr.startswith(f"corsight {command}: error: "), (argv, stderr)
            assert stderr.endswith(f"pip install 'corsight[{extra}]'\n"), (argv, stderr)
            assert len(stderr.splitlines()) == 1, (argv, stderr)


def test_missing_extra_shows_in_the_command_list(tmp_path: Path) -> None:
    (listing,) = _corsight([["--help"]], {"scan", "proxy", "ui"}, tmp_path)
    scan_line = next(line for line in listing["stdout"].splitlines() if line.strip().startswith("scan"))
    assert "pip install 'corsight[scan]'" in scan_line


def test_shell_completion_as_the_readme_documents(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "_CORSIGHT_COMPLETE": "bash_complete",
           "COMP_WORDS": "corsight sc", "COMP_CWORD": "1"}  # fmt: skip
    code = "import sys; sys.argv = ['corsight']; from corsight.__main__ import run; run()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "plain,scan" in done.stdout.splitlines()
    assert "_CORSIGHT_COMPLETE=bash_source corsight" in (ROOT / "README.md").read_text()
