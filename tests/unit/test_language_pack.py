"""`[install] language_pack`: JupyterLab's own language pack into its environment, and the
locale as JupyterLab's default in <app dir>/settings/overrides.json (validation, the plan, the
file's merge, undo and the journal)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from wizard.apply.journal import Journal
from wizard.core.answers import Answers, dump_answers, parse_answers
from wizard.plan.actions import ApplyContext, WriteFile
from wizard.plan.effects import PackagesEffect
from wizard.plan.plan import Plan
from wizard.plan.steps import install, install_actions, language_pack
from wizard.plan.steps.install_actions import CreateVenv, InstallSpec, PipInstall, UvInstall
from wizard.plan.steps.language_pack import PLUGIN, InstallLanguagePack
from wizard.probe.facts import Facts, probe
from wizard.probe.interpreter import Interpreter, inspect_interpreter


def interp(tmp_path: Path, **kw: object) -> Interpreter:
    prefix = tmp_path / "env"
    base: dict[str, object] = dict(
        executable=str(prefix / "bin" / "python"),
        python_version="3.11.2",
        prefix=str(prefix),
        is_venv=True,
        is_conda=False,
        externally_managed=False,
        has_pip=True,
        has_venv=True,
        scripts_dir=str(prefix / "bin"),
        versions={"jupyterlab": "4.2.5"},
        config_path=[str(prefix / "etc" / "jupyter")],
        config_dir=str(tmp_path / "cfg"),
        runtime_dir=str(tmp_path / "rt"),
        lab_app_dir=str(prefix / "share" / "jupyter" / "lab"),
    )
    base.update(kw)
    return Interpreter(**base)  # type: ignore[arg-type]


def zh(action: str = "keep", python: str = "", **ins: str) -> Answers:
    a = Answers().replace("install", action=action, language_pack="zh_CN", **ins)
    return a.replace("jupyter", python=python)


def facts(i: Interpreter | None, *, uv: str | None = None) -> Facts:
    return Facts(interpreter=i, config_dir="/nonexistent/cfg", uv=uv)


def overrides(i: Interpreter) -> Path:
    return Path(i.lab_app_dir) / "settings" / "overrides.json"


def test_the_answer_round_trips_and_defaults_to_none() -> None:
    assert Answers().install.language_pack == ""
    a = zh()
    assert parse_answers(dump_answers(a).encode(), "t").install.language_pack == "zh_CN"
    assert "install.language_pack" in dict(Answers().fields())


def test_an_unknown_locale_is_refused(tmp_path: Path) -> None:
    a = zh().replace("install", language_pack="fr_FR")
    (p,) = language_pack.validate(a, interp(tmp_path), can_install=False)
    assert p.field == "install.language_pack" and "zh_CN" in p.message


def test_keep_needs_an_environment_that_takes_packages(tmp_path: Path) -> None:
    system = interp(tmp_path, externally_managed=True, is_venv=False)
    (p,) = install.validate(zh(python=system.executable), facts(system))
    assert p.field == "install.language_pack" and "PEP 668" in p.message
    nopip = interp(tmp_path, has_pip=False)
    (p,) = install.validate(zh(python=nopip.executable), facts(nopip))
    assert p.field == "install.language_pack" and "no pip" in p.message
    # already there: nothing to install, only the default to write
    has = interp(tmp_path, externally_managed=True, is_venv=False, language_packs=["zh_CN"])
    assert install.validate(zh(python=has.executable), facts(has)) == []


def test_keep_with_a_language_pack_checks_the_installer(tmp_path: Path) -> None:
    i = interp(tmp_path)
    (p,) = install.validate(zh(python=i.executable, installer="uv"), facts(i, uv=None))
    assert p.field == "install.installer"


def test_an_unreadable_overrides_json_is_refused_untouched(tmp_path: Path) -> None:
    i = interp(tmp_path)
    overrides(i).parent.mkdir(parents=True)
    overrides(i).write_text("{not json")
    (p,) = install.validate(zh(python=i.executable), facts(i))
    assert p.field == "install.language_pack" and "not valid JSON" in p.message
    overrides(i).write_text('["a list"]')
    (p,) = install.validate(zh(python=i.executable), facts(i))
    assert "not an object" in p.message


def test_keep_plans_the_pack_then_the_default_locale(tmp_path: Path) -> None:
    i = interp(tmp_path)
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i))
    pack, write = plan.actions
    assert isinstance(pack, InstallLanguagePack) and isinstance(write, WriteFile)
    assert isinstance(pack.installer, PipInstall) and not isinstance(pack.installer, UvInstall)
    assert pack.installer.argv == [
        i.executable,
        "-m",
        "pip",
        "install",
        "jupyterlab-language-pack-zh-CN",
    ]
    assert "jupyterlab-language-pack-zh-CN" in pack.preview()
    assert "undo: uninstall the packages it added" in pack.preview()
    assert write.path == overrides(i)
    assert json.loads(write.content or b"") == {PLUGIN: {"locale": "zh_CN"}}
    assert '"locale": "zh_CN"' in write.preview()
    texts = [n.text for n in plan.notes]
    assert any(t.startswith("installer: pip;") for t in texts)
    # the JupyterLab itself is kept: no install of it
    assert not any(type(a) in (PipInstall, UvInstall) for a in plan.actions)


def test_uv_installs_the_pack_when_it_is_the_installer(tmp_path: Path) -> None:
    i = interp(tmp_path)
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i, uv="/usr/bin/uv"))
    pack = plan.actions[0]
    assert isinstance(pack, InstallLanguagePack) and isinstance(pack.installer, UvInstall)
    assert pack.installer.uv_argv[:5] == ["/usr/bin/uv", "pip", "install", "--python", i.executable]
    assert pack.installer.uv_argv[-1] == "jupyterlab-language-pack-zh-CN"
    assert "--upgrade-package" not in pack.installer.uv_argv
    assert pack.preview().startswith("$ /usr/bin/uv pip install")


def test_existing_overrides_are_kept_and_noted(tmp_path: Path) -> None:
    i = interp(tmp_path)
    overrides(i).parent.mkdir(parents=True)
    theirs = {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        PLUGIN: {"locale": "fr_FR", "displayStringsPrefix": True},
    }
    overrides(i).write_text(json.dumps(theirs))
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i))
    write = plan.actions[-1]
    assert isinstance(write, WriteFile)
    assert json.loads(write.content or b"") == {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        PLUGIN: {"locale": "zh_CN", "displayStringsPrefix": True},
    }
    texts = " | ".join(n.text for n in plan.notes)
    assert "'fr_FR' -> 'zh_CN'" in texts
    assert "stays in force: @jupyterlab/apputils-extension:themes" in texts


def test_a_pack_already_there_is_not_installed_again(tmp_path: Path) -> None:
    i = interp(tmp_path, language_packs=["zh_CN"])
    overrides(i).parent.mkdir(parents=True)
    overrides(i).write_text(json.dumps({PLUGIN: {"locale": "zh_CN"}}, indent=2) + "\n")
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i))
    (write,) = plan.actions
    assert isinstance(write, WriteFile) and write.is_noop()
    assert plan.changes() == []
    assert any("already in" in n.text for n in plan.notes)


def test_no_language_pack_plans_nothing_for_keep(tmp_path: Path) -> None:
    i = interp(tmp_path)
    plan = Plan("t")
    a = zh(python=i.executable).replace("install", language_pack="")
    install.plan_install(plan, a, facts(i))
    assert plan.actions == [] and plan.notes == []


def test_create_venv_puts_the_pack_into_the_new_venv(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    a = zh("create-venv", venv_path=str(venv))
    f = install.target_facts(a, probe(None, str(tmp_path / "cfg")))
    assert install.validate(a, f) == []
    plan = Plan("t")
    install.plan_install(plan, a, f)
    create, lab, pack, write = plan.actions
    assert isinstance(create, CreateVenv) and type(lab) in (PipInstall, UvInstall)
    assert isinstance(pack, InstallLanguagePack) and pack.spec.fresh
    assert pack.spec.python == str(venv / "bin" / "python")
    assert "undo" not in pack.preview()  # the venv goes
    assert isinstance(write, WriteFile)
    assert write.path == venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert sum(n.text.startswith("installer:") for n in plan.notes) == 1


def test_the_override_is_undone_byte_for_byte(tmp_path: Path) -> None:
    i = interp(tmp_path)
    overrides(i).parent.mkdir(parents=True)
    original = b'{\n    "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}\n}\n'
    overrides(i).write_bytes(original)
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i))
    write = plan.actions[-1]
    journal = Journal.create("t", tmp_path / "j")
    ctx = ApplyContext(journal)
    write.apply(ctx)
    assert json.loads(overrides(i).read_text())[PLUGIN] == {"locale": "zh_CN"}
    write.undo(ctx)
    assert overrides(i).read_bytes() == original
    # a new file (and the directories made for it) go again
    fresh = interp(tmp_path / "b")
    plan = Plan("t")
    install.plan_install(plan, zh(python=fresh.executable), facts(fresh))
    write = plan.actions[-1]
    write.apply(ctx)
    assert overrides(fresh).exists()
    write.undo(ctx)
    assert not Path(fresh.prefix, "share").exists()


def test_the_install_is_journaled_for_a_later_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    i = interp(tmp_path)
    plan = Plan("t")
    install.plan_install(plan, zh(python=i.executable), facts(i))
    pack = plan.actions[0]
    assert isinstance(pack, InstallLanguagePack)
    seen = iter(
        [{"jupyterlab": "4.2.5"}, {"jupyterlab": "4.2.5", "jupyterlab-language-pack-zh-cn": "4.5"}]
    )
    monkeypatch.setattr(install_actions, "installed_packages", lambda python: next(seen))
    ran: list[list[str]] = []
    monkeypatch.setattr(pack.installer, "install", lambda ctx: ran.append(["install"]))
    monkeypatch.setattr(
        language_pack, "run_streaming", lambda argv, ctx, **kw: ran.append(list(argv))
    )
    journal = Journal.create("t", tmp_path / "j")
    pack.apply(ApplyContext(journal))
    assert ran[0] == ["install"] and ran[1][0] == i.executable
    # first what was there (before pip ran: a crash mid-install can still be undone), then
    # the full account
    first, eff = [e for e in journal.effects if isinstance(e, PackagesEffect)]
    assert first.before == {"jupyterlab": "4.2.5"} and not first.added
    assert eff.python == i.executable
    assert eff.added == ["jupyterlab-language-pack-zh-cn"] and eff.changed == {}


def test_the_check_asks_jupyterlabs_entry_points() -> None:
    pack = InstallLanguagePack(
        None,
        InstallSpec(sys.executable, "", upgrade=False, previous=None, fresh=False, lab_bin=""),
        "zh_CN",
        "jupyterlab-language-pack-zh-CN",
    )
    import subprocess

    r = subprocess.run(pack.check_argv(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "jupyterlab.languagepack entry point zh_CN" in r.stderr


def test_the_probe_says_where_jupyterlab_reads_its_defaults() -> None:
    i = inspect_interpreter(sys.executable)
    assert i.lab_app_dir.endswith("/share/jupyter/lab")
    assert isinstance(i.language_packs, list)


def test_the_install_form_offers_the_pack_with_every_action() -> None:
    from wizard.forms import install as form

    for action in ("keep", "install", "upgrade", "create-venv"):
        assert form.LANGUAGE_PACK.name in form.shown(action)
    assert form.values(Answers())[form.LANGUAGE_PACK.name] == ""  # off by default
    assert not form.language_pack_default(Answers())
    typed = {"python": "/opt/env/bin/python", "venv_path": "", "base_python": "", "version": ""}
    on = form.collect(Answers(), "keep", {**typed, "language_pack": form.PACK_LOCALE})
    assert on.install.language_pack == "zh_CN" and form.language_pack_default(on)
    assert form.values(on)[form.LANGUAGE_PACK.name] == "zh_CN"
    off = form.collect(on, "keep", {**typed, "language_pack": ""})
    assert off.install.language_pack == ""
    kept = form.collect(on, "keep", typed)  # a front-end without the field keeps the answer
    assert kept.install.language_pack == "zh_CN"
    assert form.LANGUAGE_PACK.prompt().endswith("?")


def test_a_default_language_the_previous_setup_set_goes_when_no_longer_asked(
    tmp_path: Path,
) -> None:
    i = interp(tmp_path)
    Path(i.executable).parent.mkdir(parents=True)
    Path(i.executable).symlink_to(sys.executable)  # as a venv's python links to its base
    overrides(i).parent.mkdir(parents=True)
    theme = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
    overrides(i).write_text(json.dumps({**theme, PLUGIN: {"locale": "zh_CN"}}))
    previous = zh(python=i.executable)
    now = previous.replace("install", language_pack="")
    plan = Plan("t")
    install.plan_install(plan, now, facts(i), previous)
    (write,) = plan.actions
    assert isinstance(write, WriteFile) and json.loads(write.content or b"") == theme
    assert "previous setup set zh_CN" in write.description
    # A locale set since (in JupyterLab's file by someone) is theirs: it stays.
    overrides(i).write_text(json.dumps({PLUGIN: {"locale": "fr_FR"}}))
    plan = Plan("t")
    install.plan_install(plan, now, facts(i), previous)
    assert plan.actions == []
    # Another JupyterLab than the one of record (a venv of the same base Python, saying the
    # same locale): nothing of ours there.
    other = interp(tmp_path / "other")
    Path(other.executable).parent.mkdir(parents=True)
    Path(other.executable).symlink_to(sys.executable)
    overrides(other).parent.mkdir(parents=True)
    overrides(other).write_text(json.dumps({PLUGIN: {"locale": "zh_CN"}}))
    plan = Plan("t")
    install.plan_install(plan, now, facts(other), previous)
    assert plan.actions == []
