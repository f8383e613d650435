"""Kernels step, pure parts: names, kernel.json, the answers' lists, kernelspecs read from disk,
what is broken, and the plan's actions (on real files in a temp dir, no interpreter run)."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from wizard.core import grammar
from wizard.core.answers import Answers, answers_from_dict, dump_answers, parse_answers
from wizard.core.errors import InputError
from wizard.plan.actions import WriteFile
from wizard.plan.plan import Plan
from wizard.plan.steps import kernels
from wizard.plan.steps.kernel_files import LAUNCHER, kernel_json
from wizard.plan.steps.kernel_names import assign_names, base_name, display_name, label
from wizard.probe.environments import Environment
from wizard.probe.jupyter_paths import kernel_dirs
from wizard.probe.kernelspecs import OURS_KEY, KernelFacts, KernelSpec, scan_kernelspecs


def env(python: str, kind: str = "venv", version: str = "3.11.7", **kw: object) -> Environment:
    prefix = str(Path(python).parent.parent)
    fields: dict[str, object] = {"jupyterlab_version": None, "pip_ok": True, **kw}
    return Environment(python, version, kind, prefix, **fields)  # type: ignore[arg-type]


def spec(name: str, python: str = "", ours: bool = False) -> KernelSpec:
    meta = {OURS_KEY: {"python": python}} if ours else {}
    return KernelSpec(name, Path("/k") / name, argv=(python,), metadata=meta)


def test_names_say_what_the_environment_is() -> None:
    assert base_name(env("/opt/conda/envs/torch/bin/python", "conda")) == "conda-torch"
    assert display_name(env("/opt/conda/envs/torch/bin/python", "conda")) == "Python 3.11 (torch)"
    # a .venv says nothing: the project above it does
    assert base_name(env("/home/u/proj/My App/.venv/bin/python")) == "venv-my-app"
    assert base_name(env("/usr/bin/python3", "system", "3.12.1")) == "python3.12"
    assert base_name(env("/home/u/.pyenv/versions/3.10.4/bin/python", "system")) == ("pyenv-3.10.4")


def test_conda_envs_are_named_as_conda_names_them(tmp_path: Path) -> None:
    base = tmp_path / "miniforge3"
    (base / "condabin").mkdir(parents=True)
    named = base / "envs" / "torch"
    by_path = tmp_path / "opt" / "geo"  # conda create -p /opt/geo
    for prefix in (named, by_path):
        prefix.mkdir(parents=True)
    names = {p: base_name(env(str(p / "bin/python"), "conda")) for p in (base, named, by_path)}
    assert names == {base: "conda-base", named: "conda-torch", by_path: "conda-geo"}
    assert label(env(str(by_path / "bin/python"), "conda")) == "geo"
    spec = json.loads(kernel_json(env(str(by_path / "bin/python"), "conda"), "x"))
    assert spec["env"]["CONDA_DEFAULT_ENV"] == str(by_path)  # conda's own value for -p envs
    spec = json.loads(kernel_json(env(str(base / "bin/python"), "conda"), "x"))
    assert spec["env"]["CONDA_DEFAULT_ENV"] == "base"


def test_names_are_stable_and_never_collide() -> None:
    a, b = env("/a/x/.venv/bin/python"), env("/b/x/.venv/bin/python")
    names = assign_names([a, b], [])
    assert len(set(names.values())) == 2 and names[a.python] == "venv-x"
    assert names == assign_names([b, a], [])  # the same whatever the order
    # A kernel the wizard gave an interpreter keeps its name; another's name is not taken.
    kept = assign_names([b], [spec("venv-x", b.python, ours=True)])
    assert kept[b.python] == "venv-x"
    other = assign_names([a], [spec("venv-x", "/elsewhere/bin/python")])
    assert other[a.python].startswith("venv-x-") and other[a.python] != "venv-x"
    # Someone already has the suffixed name too: still never theirs.
    suffixed = other[a.python]
    taken = [spec("venv-x", "/elsewhere/bin/python"), spec(suffixed, "/other/bin/python")]
    third = assign_names([a], taken)[a.python]
    assert third not in ("venv-x", suffixed) and third.startswith("venv-x-")
    assert assign_names([a], taken)[a.python] == third  # and stable


def test_kernel_json_runs_the_environments_own_python(tmp_path: Path) -> None:
    venv = json.loads(kernel_json(env("/e/v/bin/python"), "Python 3.11 (v)"))
    assert venv["argv"] == [
        "/e/v/bin/python",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    assert venv["metadata"][OURS_KEY]["python"] == "/e/v/bin/python" and "env" not in venv
    prefix = tmp_path / "envs" / "geo"
    conda = json.loads(kernel_json(env(str(prefix / "bin/python"), "conda"), "x"))
    assert conda["env"]["PATH"] == f"{prefix}/bin:${{PATH}}"
    assert (
        conda["env"]["CONDA_PREFIX"] == str(prefix) and conda["env"]["CONDA_DEFAULT_ENV"] == "geo"
    )
    assert conda["argv"][1] == "-m"  # no activation scripts: no launcher
    (prefix / "etc/conda/activate.d").mkdir(parents=True)
    (prefix / "etc/conda/activate.d/gdal.sh").write_text("export GDAL_DATA=x\n")
    conda = json.loads(kernel_json(env(str(prefix / "bin/python"), "conda"), "x"))
    assert conda["argv"][:2] == [str(prefix / "bin/python"), "{resource_dir}/" + LAUNCHER]


def test_kernels_answers_are_lists_of_checked_strings() -> None:
    a = answers_from_dict({"kernels": {"environments": ["/e/bin/python"], "remove": ["old"]}})
    assert parse_answers(dump_answers(a).encode(), "x") == a
    with pytest.raises(InputError) as bad:
        answers_from_dict({"kernels": {"environments": "/e/bin/python"}})
    assert "a list of strings" in str(bad.value)
    problems = grammar.problems(
        Answers().replace("kernels", environments=["e/bin/python"], remove=["../etc"])
    )
    assert [p.field for p in problems] == ["kernels.environments", "kernels.remove"]


def test_kernel_path_and_shadowing(tmp_path: Path) -> None:
    prefix, data = tmp_path / "lab", tmp_path / "data"
    assert kernel_dirs(data, str(prefix), prefer_env=True)[:2] == [
        prefix / "share/jupyter/kernels",
        data / "kernels",
    ]
    assert kernel_dirs(data, "/usr", prefer_env=False)[0] == data / "kernels"
    for d in (prefix / "share/jupyter/kernels/python3", data / "kernels/python3"):
        d.mkdir(parents=True)
        (d / "kernel.json").write_text(json.dumps({"argv": ["python"], "display_name": "P"}))
    (data / "kernels/bad").mkdir()
    (data / "kernels/bad/kernel.json").write_text("{not json")
    specs = scan_kernelspecs(kernel_dirs(data, str(prefix), prefer_env=True))
    assert [(s.name, s.shadowed) for s in specs] == [
        ("python3", False),
        ("bad", False),
        ("python3", True),
    ]
    assert specs[1].error and "cannot be read" in specs[1].error


def _facts(tmp_path: Path, specs: list[KernelSpec]) -> KernelFacts:
    import pwd

    me = pwd.getpwuid(os.geteuid()).pw_name
    return KernelFacts(me, tmp_path / "data", [tmp_path / "data/kernels"], specs, "/lab/bin/python")


def test_broken_says_why_and_the_fix(tmp_path: Path) -> None:
    kf = _facts(tmp_path, [])
    gone = KernelSpec("gone", tmp_path / "gone", argv=("/nowhere/bin/python", "-m", "x"))
    why = kernels.broken(gone, kf)
    assert why is not None and "/nowhere/bin/python does not exist" in why.cause
    assert why.fix == "remove it (kernels.remove = ['gone'])"
    assert str(why) == f"{why.cause}; {why.fix}"  # status --json's `broken`
    fine = KernelSpec("ok", tmp_path / "ok", argv=(os.path.realpath("/bin/sh"),))
    assert kernels.broken(fine, kf) is None
    assert kernels.broken(KernelSpec("r", tmp_path, argv=("R",)), kf) is None  # on PATH


def test_the_plan_removes_what_left_the_list_and_writes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kdir = tmp_path / "data/kernels"
    old = KernelSpec("venv-old", kdir / "venv-old", argv=("/old/bin/python",),
                     metadata={OURS_KEY: {"python": "/old/bin/python"}}, files=("kernel.json",))  # fmt: skip
    kf = _facts(tmp_path, [old])
    new = env("/new/proj/.venv/bin/python", ipykernel_version="6.29.0")
    monkeypatch.setattr(kernels, "described", lambda python: new)
    from wizard.probe.facts import Facts

    facts = Facts(interpreter=None, config_dir="", euid=os.geteuid(), kernels=kf)
    answers = Answers().replace("kernels", environments=[new.python])
    assert kernels.validate(answers, facts) == []
    plan = Plan("t")
    kernels.plan_kernels(plan, answers, facts)
    writes = [a for a in plan.actions if isinstance(a, WriteFile)]
    assert [(w.path, w.content is None) for w in writes] == [
        (kdir / "venv-old/kernel.json", True),
        (kdir / "venv-proj/kernel.json", False),
    ]
    assert json.loads(writes[1].content or b"")["argv"][0] == new.python


def test_an_environment_without_ipykernel_needs_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.probe.facts import Facts

    bare = env("/e/bin/python")
    managed = env(
        "/usr/bin/python3",
        "system",
        pip_ok=False,
        why_not="externally managed (PEP 668)",
        externally_managed=True,
    )
    facts = Facts(interpreter=None, config_dir="", euid=os.geteuid(), kernels=_facts(tmp_path, []))
    monkeypatch.setattr(kernels, "described", lambda python: bare)
    answers = Answers().replace("kernels", environments=[bare.python])
    assert "set kernels.install_ipykernel = true" in str(kernels.validate(answers, facts))
    with_install = answers.replace("kernels", install_ipykernel=True)
    assert kernels.validate(with_install, facts) == []
    monkeypatch.setattr(kernels, "described", lambda python: managed)
    said = str(
        kernels.validate(with_install.replace("kernels", environments=[managed.python]), facts)
    )
    assert "apt install python3-ipykernel" in said


def test_a_rollback_takes_out_the_packages_an_apply_put_in(tmp_path: Path) -> None:
    from wizard.apply.journal import Journal
    from wizard.apply.rollback import rollback_plan
    from wizard.plan.effects import PackagesEffect
    from wizard.plan.steps.kernel_actions import RestorePackages

    python = tmp_path / "env/bin/python"
    python.parent.mkdir(parents=True)
    python.write_text("")  # there: the restore is a change (it is never run here)
    j = Journal.create("setup", root=tmp_path / "applies")
    j.record(PackagesEffect(str(python), added=["comm", "ipykernel"], changed={"tornado": "6.4"}))
    j.status = "applied"
    j.save()
    loaded = Journal.load(j.id, tmp_path / "applies")
    assert loaded.effects == j.effects
    plan = rollback_plan(j.id, tmp_path / "applies")
    restore = [a for a in plan.actions if isinstance(a, RestorePackages)]
    assert len(restore) == 1 and not restore[0].is_noop()
    preview = restore[0].preview()
    assert "pip uninstall -y comm ipykernel" in preview
    assert "pip install --no-deps tornado==6.4" in preview


def test_the_kernel_path_puts_the_env_first_only_for_its_owner(tmp_path: Path) -> None:
    """jupyter_core's rule: a venv ranks above the user's data dir only when the user running
    JupyterLab owns it; a root-owned venv in /opt run by a service user does not."""
    venv = tmp_path / "opt-jlab"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    lab = str(venv / "bin" / "python")
    owner = pwd.getpwuid(os.stat(venv).st_uid).pw_name
    other = "daemon" if owner != "daemon" else "nobody"
    env_kernels = venv / "share/jupyter/kernels"
    assert kernels.locate(owner, lab).dirs[0] == env_kernels
    served = kernels.locate(other, lab).dirs
    assert served[0] != env_kernels and served.index(env_kernels) == 1, served


def test_an_ipykernel_install_cut_short_is_still_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Journaled before pip runs: after a crash mid-install, a rollback takes out whatever is
    new since and puts back what changed; a full account, once there, is what counts."""
    from wizard.plan.effects import PackagesEffect
    from wizard.plan.steps import kernel_actions

    now = {"pip": "24.0", "ipykernel": "6.29.0", "tornado": "6.4", "traitlets": "5.14.3"}
    monkeypatch.setattr(kernel_actions, "installed_packages", lambda python: now)
    cut_short = PackagesEffect("/e/bin/python", before={"pip": "24.0", "traitlets": "5.9.0"})
    restore = kernel_actions.RestorePackages(cut_short, "j1")
    assert restore._restores(None) == (["ipykernel", "tornado"], ["traitlets==5.9.0"])
    full = PackagesEffect("/e/bin/python", added=["ipykernel"], changed={})
    assert kernel_actions.RestorePackages(full, "j1")._restores(now) == (["ipykernel"], [])
