"""Install step, pure parts: version specs, pip's progress and failures, validation, planning."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from wizard.apply.journal import Journal
from wizard.core.answers import Answers, answers_from_dict
from wizard.plan.actions import ApplyContext, Cancelled
from wizard.plan.steps import install
from wizard.plan.steps.install_actions import CreateVenv, PipInstall
from wizard.plan.steps.pip_output import PipProgress, explain_pip_failure, pip_progress
from wizard.plan.steps.versions import requirement, satisfies, spec_problem
from wizard.probe.environments import Environment, default_venv_path, describe_env_dir
from wizard.probe.facts import Facts, probe
from wizard.probe.interpreter import Interpreter


def interp(**kw: object) -> Interpreter:
    base: dict[str, object] = dict(
        executable="/opt/env/bin/python",
        python_version="3.11.2",
        prefix="/opt/env",
        is_venv=True,
        is_conda=False,
        externally_managed=False,
        has_pip=True,
        has_venv=True,
        scripts_dir="/opt/env/bin",
        versions={"jupyterlab": None},
        config_path=["/opt/env/etc/jupyter", "/home/u/.jupyter"],
        config_dir="/home/u/.jupyter",
        runtime_dir="/home/u/.local/share/jupyter/runtime",
    )
    base.update(kw)
    return Interpreter(**base)  # type: ignore[arg-type]


def facts(i: Interpreter | None, base: Interpreter | None = None) -> Facts:
    return Facts(interpreter=i, config_dir="/home/u/.jupyter", base_interpreter=base)


def answers(action: str, python: str = "/opt/env/bin/python", **ins: str) -> Answers:
    a = Answers().replace("install", action=action, **ins)
    return a.replace("jupyter", python=python)


def fields(problems: list[object]) -> list[str]:
    return [p.field for p in problems]  # type: ignore[attr-defined]


# --- version specs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "req"),
    [
        ("", "jupyterlab"),
        ("4.2.5", "jupyterlab==4.2.5"),
        (">=4.2", "jupyterlab>=4.2"),
        (">=4, <5", "jupyterlab>=4,<5"),
        ("~=4.2.0", "jupyterlab~=4.2.0"),
    ],
)
def test_requirement(spec: str, req: str) -> None:
    assert spec_problem(spec) is None
    assert requirement(spec) == req


@pytest.mark.parametrize(
    "spec", ["latest", ">=4 --index-url http://x", "4.2; rm -rf /", "==", "4..2"]
)
def test_bad_specs_are_refused(spec: str) -> None:
    assert spec_problem(spec)


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("4.2.5", "", True),
        ("4.2.5", ">=4.2", True),
        ("4.1.9", ">=4.2", False),
        ("4.2.5", "4.2.5", True),
        ("4.2.5", "==4.2.*", True),
        ("4.3.0", "==4.2.*", False),
        ("4.2.7", "~=4.2.0", True),
        ("4.3.0", "~=4.2.0", False),
        ("4.10.0", ">4.9", True),
        ("5.0.0a1", "<5", True),
        ("4.6.6", ">=4,<5", True),
        ("5.0.0", ">=4,<5", False),
        ("4.6.6", "!=4.6.6", False),
    ],
)
def test_satisfies(version: str, spec: str, ok: bool) -> None:
    assert satisfies(version, spec) is ok


# --- pip's output --------------------------------------------------------------------------------

PIP_LINES = """\
Looking in indexes: http://127.0.0.1:3141/simple
Collecting jupyterlab
  Downloading jupyterlab-4.6.6-py3-none-any.whl (17.3 MB)
Collecting async-lru>=1.0.0 (from jupyterlab)
  Using cached async_lru-2.4.0-py3-none-any.whl (6.1 kB)
Processing /opt/wheels/tornado-6.6.1-cp39-abi3-manylinux_2_17_x86_64.whl (from jupyterlab)
Installing collected packages: tornado, async-lru, jupyterlab
Successfully installed async-lru-2.4.0 jupyterlab-4.6.6 tornado-6.6.1
""".splitlines()


def test_pip_progress_follows_the_phases() -> None:
    states = [PipProgress()]
    for line in PIP_LINES:
        states.append(pip_progress(states[-1], line))
    phases = [s.phase for s in states]
    assert phases[:3] == ["starting", "starting", "collecting"]
    assert states[3].phase == "downloading" and states[3].current.startswith("jupyterlab-4.6.6")
    assert states[6] == dataclasses.replace(states[6], phase="collecting", current="tornado")
    assert states[6].collected == 3 and states[6].downloaded == 2
    assert states[7].phase == "installing" and states[7].installing == 3
    assert states[7].fraction == 0.9 and "Installing 3 packages" in states[7].label()
    assert states[8].phase == "done" and states[8].fraction == 1.0
    assert states[2].fraction is None and "Resolving" in states[2].label()
    assert pip_progress(PipProgress(), "ERROR: No matching distribution").phase == "failed"
    assert pip_progress(PipProgress(), "random noise") == PipProgress()


def test_pip_failures_are_explained_with_a_way_forward() -> None:
    pep668 = [
        "error: externally-managed-environment",
        "",
        "× This environment is externally managed",
    ]
    assert "create-venv" in (explain_pip_failure(pep668) or "")
    network = [
        "WARNING: Retrying (Retry(total=4, ...)) after connection broken by "
        "'NewConnectionError(...: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/jupyterlab/",
        "ERROR: Could not find a version that satisfies the requirement jupyterlab (from versions: none)",
    ]
    assert "could not be reached" in (explain_pip_failure(network) or "")
    disk = [
        "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device"
    ]
    assert "disk space" in (explain_pip_failure(disk) or "")
    assert explain_pip_failure(["something else entirely"]) is None


def test_an_unreachable_index_is_named(tmp_path: Path) -> None:
    lines = [
        f"Looking in indexes: http://127.0.0.1:9/simple, file://{tmp_path}",
        "ERROR: Could not find a version that satisfies the requirement jupyterlab (from versions: none)",
    ]
    msg = explain_pip_failure(lines) or ""
    assert "index http://127.0.0.1:9/simple could not be reached" in msg


# --- validation ----------------------------------------------------------------------------------


def test_unknown_action() -> None:
    assert fields(install.validate(answers("conjure"), facts(interp()))) == ["install.action"]


def test_keep_needs_jupyterlab_and_says_what_to_do() -> None:
    (p,) = install.validate(answers("keep"), facts(interp()))
    assert p.field == "jupyter.python" and "install" in p.message and "create-venv" in p.message
    with_lab = interp(versions={"jupyterlab": "4.1.0"})
    assert install.validate(answers("keep"), facts(with_lab)) == []
    (p,) = install.validate(answers("keep", version=">=4.2"), facts(with_lab))
    assert p.field == "install.version" and "upgrade" in p.message


def test_missing_interpreter() -> None:
    (p,) = install.validate(answers("install", python="/nope/bin/python"), facts(None))
    assert p.field == "jupyter.python" and "does not exist" in p.message


def test_install_into_externally_managed_python_offers_a_venv() -> None:
    system = interp(
        executable="/usr/bin/python3", prefix="/usr", is_venv=False, externally_managed=True
    )
    (p,) = install.validate(answers("install", python="/usr/bin/python3"), facts(system))
    assert p.field == "install.action" and "PEP 668" in p.message and "create-venv" in p.message


def test_not_enough_disk_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(install, "NEED_FREE_BYTES", 1 << 60)
    (p,) = install.validate(answers("install"), facts(interp()))
    assert "not enough disk space" in p.message and "MiB free" in p.message


def test_create_venv_without_venv_module_names_the_apt_package(tmp_path: Path) -> None:
    base = interp(executable="/usr/bin/python3.11", prefix="/usr", is_venv=False, has_venv=False)
    a = answers("create-venv", python="", venv_path=str(tmp_path / "v"))
    (p,) = install.validate(a, facts(interp(), base))
    assert p.field == "install.base_python" and "apt install python3.11-venv" in p.message
    debian = dataclasses.replace(base, executable="/usr/bin/python3")
    (p,) = install.validate(a, facts(interp(), debian))
    assert "apt install python3-venv" in p.message


def test_create_venv_path_checks(tmp_path: Path) -> None:
    base = interp(is_venv=False)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    (p,) = install.validate(
        answers("create-venv", python="", venv_path=str(busy)), facts(None, base)
    )
    assert p.field == "install.venv_path" and "not empty" in p.message
    (p,) = install.validate(
        answers("create-venv", python="", venv_path="rel/venv"), facts(None, base)
    )
    assert "absolute" in p.message
    other = answers("create-venv", python="/usr/bin/python3", venv_path=str(tmp_path / "v"))
    (p,) = install.validate(other, facts(None, base))
    assert p.field == "jupyter.python" and "base_python" in p.message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        install.validate(answers("create-venv", python="", venv_path=str(empty)), facts(None, base))
        == []
    )


# --- defaults, prediction, planning --------------------------------------------------------------


def test_resolve_answers_points_jupyter_python_at_the_venv() -> None:
    a = install.resolve_answers(answers("create-venv", python=""))
    assert a.install.venv_path == str(default_venv_path())
    assert a.jupyter.python == str(default_venv_path() / "bin" / "python")
    assert "jupyter-setup-wizard" in a.install.venv_path and a.install.venv_path.endswith(
        "venvs/jupyterlab"
    )
    assert install.resolve_answers(answers("keep")) == answers("keep")


def test_base_python_is_an_answers_key() -> None:
    a = answers_from_dict({"install": {"action": "create-venv", "base_python": "/usr/bin/python3"}})
    assert a.install.base_python == "/usr/bin/python3"


def test_suggest_prefers_an_environment_with_jupyterlab() -> None:
    envs = [
        Environment("/a/bin/python", "3.11.2", "venv", "/a", None, True),
        Environment("/b/bin/python", "3.11.2", "venv", "/b", "4.1.0", True),
        Environment("/c/bin/python", "3.11.2", "conda", "/c", "4.10.1", True),
    ]
    s = install.suggest(envs)
    assert (s.action, s.python) == ("keep", "/c/bin/python")
    s = install.suggest(envs[:1])
    assert s.action == "create-venv" and s.venv_path == str(default_venv_path())
    a = s.to_answers(Answers())
    assert a.jupyter.python == str(default_venv_path() / "bin" / "python")


def test_predicted_venv_follows_jupyters_path_rules(tmp_path: Path) -> None:
    base = interp(is_venv=False, prefix="/usr", executable="/usr/bin/python3")
    v = install.predict_venv(base, tmp_path / "v")
    assert v.jupyter_lab_bin == str(tmp_path / "v" / "bin" / "jupyter-lab")
    assert v.config_path[:2] == [str(tmp_path / "v" / "etc" / "jupyter"), "/home/u/.jupyter"]
    assert v.is_venv and not v.externally_managed and v.jupyterlab_version is None


def test_probe_accepts_a_venv_python_that_does_not_exist_yet(tmp_path: Path) -> None:
    assert probe(str(tmp_path / "v" / "bin" / "python")).interpreter is None


def test_plan_for_create_venv(tmp_path: Path) -> None:
    """target_facts predicts the venv from a real base Python; the plan makes it, then pip."""
    venv = tmp_path / "v"
    a = answers("create-venv", python="", venv_path=str(venv))
    f = install.target_facts(a, probe(None, str(tmp_path / "cfg")))
    assert f.interpreter is not None and f.interpreter.executable == str(venv / "bin" / "python")
    assert f.base_interpreter is not None and f.base_interpreter.has_venv
    assert install.validate(a, f) == []
    from wizard.plan.plan import Plan

    plan = Plan("t")
    install.plan_install(plan, a, f)
    create, pip = plan.actions
    assert isinstance(create, CreateVenv) and isinstance(pip, PipInstall)
    assert pip.argv[-4:] == ["-m", "pip", "install", "jupyterlab"] and pip.fresh
    assert f"remove {venv}" in create.preview()
    assert any(str(venv) in n.text for n in plan.notes)


def test_upgrade_records_the_previous_version() -> None:
    from wizard.plan.plan import Plan

    plan = Plan("t")
    lab = interp(versions={"jupyterlab": "4.1.0"})
    install.plan_install(plan, answers("upgrade", version=">=4.2"), facts(lab))
    (pip,) = plan.actions
    assert isinstance(pip, PipInstall) and pip.previous == "4.1.0" and "--upgrade" in pip.argv
    assert "jupyterlab==4.1.0" in pip.preview()
    plan = Plan("t")
    install.plan_install(plan, answers("install"), facts(lab))
    assert plan.actions == [] and "already installed" in plan.notes[0].text


def test_create_venv_cancelled_before_it_ran_leaves_nothing(tmp_path: Path) -> None:
    venv = tmp_path / "a" / "b" / "venv"
    action = CreateVenv("/bin/true", venv)
    ctx = ApplyContext(Journal.create("t", tmp_path / "j"), cancelled=threading.Event())
    ctx.cancelled.set()
    with pytest.raises(Cancelled):
        action.apply(ctx)
    action.undo(ctx)
    assert not (tmp_path / "a").exists()


def test_static_description_of_envs(tmp_path: Path) -> None:
    v = tmp_path / "uvenv"
    (v / "bin").mkdir(parents=True)
    (v / "bin" / "python").symlink_to("/usr/bin/python3")
    sp = v / "lib" / "python3.12" / "site-packages"
    (sp / "jupyterlab-4.3.0.dist-info").mkdir(parents=True)
    (v / "pyvenv.cfg").write_text("home = /usr/bin\nuv = 0.4.1\nversion_info = 3.12.1\n")
    env = describe_env_dir(v)
    assert env is not None
    assert (env.kind, env.python_version, env.jupyterlab_version) == ("uv", "3.12.1", "4.3.0")
    assert not env.pip_ok and "no pip" in env.why_not
    conda = tmp_path / "conda"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "conda-meta" / "python-3.10.14-hd12c33a_0_cpython.json").write_text("{}")
    (conda / "lib" / "python3.10" / "site-packages" / "pip").mkdir(parents=True)
    env = describe_env_dir(conda)
    assert env is not None and (env.kind, env.python_version) == ("conda", "3.10.14")
    assert describe_env_dir(tmp_path) is None


def test_pyenv_shims_resolve_to_the_global_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.probe.environments import resolve_pyenv_shim

    root = tmp_path / ".pyenv"
    (root / "shims").mkdir(parents=True)
    real = root / "versions" / "3.12.1" / "bin" / "python3"
    real.parent.mkdir(parents=True)
    real.touch()
    (root / "version").write_text("3.12.1\n")
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    assert resolve_pyenv_shim(root / "shims" / "python3") == real
    assert resolve_pyenv_shim(Path("/usr/bin/python3")) == Path("/usr/bin/python3")


def test_asking_a_running_python_is_quick_and_complete() -> None:
    import sys
    import time

    from wizard.probe.environments import ask_python

    start = time.monotonic()
    env = ask_python(sys.executable, "test")
    assert env is not None and time.monotonic() - start < 2
    assert env.python_version == ".".join(map(str, sys.version_info[:3]))
    assert ask_python("/nonexistent/python") is None
