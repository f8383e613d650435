"""JupyterLab in another language (`[install] language_pack`): JupyterLab's own language pack
for a locale goes into JupyterLab's environment, and that locale becomes JupyterLab's default.

The default is a setting default, not a user setting: JupyterLab's translation plugin
(`@jupyterlab/translation-extension:plugin`) reads its `locale` setting, and jupyterlab_server
takes setting defaults from `<app dir>/settings/overrides.json` (the app dir is
`<sys.prefix>/share/jupyter/lab`; `jupyter lab path` shows it). That file is JSON, one object
per plugin id, merged key by key over the schema's defaults (after any `overrides.d/*.json`,
before `overrides.json5` and the labconfig `default_setting_overrides`). A person who picks
another language in JupyterLab's Settings menu still has it: user settings win over defaults.

The pack is installed with the install step's own installer (uv or pip, the same index), its
undo takes back what it added; the override is a WriteFile (backup, undo, rollback), the rest
of overrides.json kept as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from wizard.core.answers import Answers
from wizard.core.errors import InputError, Problem
from wizard.core.fileops import UnsafePath, read_file
from wizard.core.i18n import _
from wizard.core.run_as import RunAs
from wizard.plan.actions import Action, ApplyContext, WriteFile, run_streaming
from wizard.plan.plan import Plan
from wizard.plan.steps.install_actions import InstallSpec, PipInstall
from wizard.plan.steps.install_actions import install_action as installer_action
from wizard.probe.interpreter import Interpreter
from wizard.probe.jupyter_config import json_with_changes, render_json

# locale -> JupyterLab's language pack for it (the locales these answers know)
LANGUAGE_PACKS = {"zh_CN": "jupyterlab-language-pack-zh-CN"}
PLUGIN = "@jupyterlab/translation-extension:plugin"
LOCALE_KEY = (PLUGIN, "locale")
ENTRY_POINTS = "jupyterlab.languagepack"  # how JupyterLab finds language packs
OVERRIDES = "overrides.json"


def app_dir(interp: Interpreter) -> Path:
    """JupyterLab's application directory for this interpreter (as its probe found it; for an
    interpreter without JupyterLab yet, the default under its prefix)."""
    return Path(interp.lab_app_dir or Path(interp.prefix) / "share" / "jupyter" / "lab")


def overrides_path(interp: Interpreter) -> Path:
    return app_dir(interp) / "settings" / OVERRIDES


def validate(answers: Answers, interp: Interpreter | None, *, can_install: bool) -> list[Problem]:
    """The locale is one with a known pack; `can_install`: the environment takes packages (the
    install step says so for install/upgrade/create-venv; with keep it is checked here)."""
    locale = answers.install.language_pack
    if not locale:
        return []
    if locale not in LANGUAGE_PACKS:
        known = ", ".join(LANGUAGE_PACKS)
        return [
            Problem(
                "install.language_pack",
                _("{locale!r} is not one of: {known} (or empty)").format(
                    locale=locale, known=known
                ),
            )
        ]
    if interp is None:
        return []
    problems: list[Problem] = []
    if locale not in interp.language_packs and not can_install:
        if interp.externally_managed:
            problems.append(
                Problem(
                    "install.language_pack",
                    _(
                        "{executable} is managed by the system (PEP 668): the language pack {package} cannot be installed there; choose install.action = create-venv, or leave the language pack empty"
                    ).format(executable=interp.executable, package=LANGUAGE_PACKS[locale]),
                )
            )
        elif not interp.has_pip:
            problems.append(
                Problem(
                    "install.language_pack",
                    _(
                        "{executable} has no pip to install {package} with; choose install.action = create-venv, or leave the language pack empty"
                    ).format(executable=interp.executable, package=LANGUAGE_PACKS[locale]),
                )
            )
    return problems + _overrides_problems(overrides_path(interp))


def _read_overrides(path: Path) -> dict[str, Any]:
    """overrides.json as JupyterLab reads it; ValueError when it cannot be kept as it is."""
    try:
        raw = read_file(path, limit=4 * 1024 * 1024)
    except (OSError, UnsafePath) as exc:
        raise ValueError(str(exc)) from exc
    if raw is None:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(_("is not valid JSON ({error})").format(error=exc)) from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(_("is not an object of plugin settings"))
    return data


def _overrides_problems(path: Path) -> list[Problem]:
    try:
        _read_overrides(path)
    except ValueError as exc:
        return [
            Problem(
                "install.language_pack",
                _("{path} {exc}; fix or move it away").format(path=path, exc=exc),
            )
        ]
    return []


def plan_language_pack(
    plan: Plan,
    answers: Answers,
    interp: Interpreter,
    *,
    uv: str | None,
    spec: InstallSpec,
) -> None:
    """Append the pack's install (unless the environment has it) and the default locale.
    `spec`: the install step's for this environment (interpreter, installer's source, fresh
    venv or not); its requirement is replaced by the pack's."""
    locale = answers.install.language_pack
    if not locale:
        return
    package = LANGUAGE_PACKS[locale]
    if locale in interp.language_packs:
        plan.note(
            "info",
            _("JupyterLab's {locale} language pack is already in {prefix}").format(
                locale=locale, prefix=interp.prefix
            ),
        )
    else:
        plan.actions.append(InstallLanguagePack(uv, spec, locale, package))
    path = overrides_path(interp)
    try:
        data = _read_overrides(path)
    except ValueError as exc:  # validation said so; the file changed since
        raise InputError(
            [
                Problem(
                    "install.language_pack",
                    _("{path} {exc}; fix or move it away").format(path=path, exc=exc),
                )
            ]
        ) from exc
    before = data.get(PLUGIN, {}).get("locale")
    new = json_with_changes(data, {LOCALE_KEY: locale}, set())
    plan.actions.append(
        WriteFile(
            path,
            render_json(new).encode(),
            mode=None,
            why=_("JupyterLab's default language: {locale}").format(locale=locale),
        )
    )
    if before not in (None, locale):
        plan.note(
            "info",
            _("{path}: JupyterLab's default locale changes: {before!r} -> {locale!r}").format(
                path=path, before=before, locale=locale
            ),
        )
    kept = sorted(k for k in data if k != PLUGIN)
    if kept:
        plan.note(
            "info", _("{path}: stays in force: {items}").format(path=path, items=", ".join(kept))
        )
    if (path.parent / "overrides.json5").exists():
        plan.note(
            "warning",
            _(
                "{parent} exists: JupyterLab reads it after {OVERRIDES}, so a locale set there wins"
            ).format(parent=path.parent / "overrides.json5", OVERRIDES=OVERRIDES),
        )
    plan.note(
        "info",
        _(
            "JupyterLab starts in {locale} for everyone who has not chosen a language in its Settings → Language menu (their choice stays)"
        ).format(locale=locale),
    )


def plan_released_locale(
    plan: Plan, answers: Answers, interp: Interpreter, previous: Answers | None
) -> None:
    """The default locale the setup of record set, taken back when these answers set none
    (for the same JupyterLab, and only while overrides.json still says that locale: a locale
    someone set since is theirs). The pack stays: it changes nothing without the default."""
    if answers.install.language_pack or previous is None:
        return
    locale = previous.install.language_pack
    if not locale or not _same_environment(previous.jupyter.python, interp):
        return
    path = overrides_path(interp)
    try:
        data = _read_overrides(path)
    except ValueError:
        return  # not ours to rewrite; a pack asked for again says why
    if data.get(PLUGIN, {}).get("locale") != locale:
        return
    plan.actions.append(
        WriteFile(
            path,
            render_json(json_with_changes(data, {}, {LOCALE_KEY})).encode(),
            mode=None,
            why=_(
                "JupyterLab's default language back to its own (the previous setup set {locale})"
            ).format(locale=locale),
        )
    )


def _same_environment(python: str, interp: Interpreter) -> bool:
    """`python` is of this interpreter's environment: its bin/ is in the prefix. Not the same
    binary: every venv's python links to the one it was made from."""
    try:
        return bool(python) and os.path.samefile(Path(python).parent.parent, interp.prefix)
    except OSError:
        return False


class InstallLanguagePack(Action):
    """The pack into JupyterLab's environment with the install step's installer (uv, falling
    back to pip once; or pip), then a check that JupyterLab finds it (its entry point).

    Undo: the packages it added go (as any install into an existing environment); in a venv the
    same plan made, nothing (the venv goes). Journaled as a PackagesEffect for a later rollback.
    """

    def __init__(
        self,
        uv: str | None,
        spec: InstallSpec,
        locale: str,
        package: str,
    ) -> None:
        self.locale = locale
        self.package = package
        spec = InstallSpec(
            spec.python,
            package,
            upgrade=False,
            previous=None,
            fresh=spec.fresh,
            lab_bin="",
            source=spec.source,
            as_user=spec.as_user,
        )
        self.installer: PipInstall = installer_action(uv, spec)
        self.spec = spec
        self.target = self.installer.target
        who = _(" as {user}").format(user=spec.as_user.name) if spec.as_user else ""
        self.description = _(
            "install JupyterLab's {locale} language pack ({package}) into {target}{who} with {tool}"
        ).format(
            locale=locale, package=package, target=self.target, who=who, tool=self.installer.tool
        )

    def check_argv(self) -> list[str]:
        script = (
            "import sys\nfrom importlib import metadata\neps = metadata.entry_points()\n"
            f"g = {ENTRY_POINTS!r}\n"
            "found = eps.select(group=g) if hasattr(eps, 'select') else eps.get(g, [])\n"
            f"sys.exit(0 if {self.locale!r} in {{e.name for e in found}} else "
            f"'no {ENTRY_POINTS} entry point {self.locale}')"
        )
        return [self.spec.python, "-I", "-c", script]

    def preview(self) -> str:
        out = f"$ {self.installer.command_line()}\n"
        out += _("(then: {python} finds the {locale} language pack)\n").format(
            python=self.spec.python, locale=self.locale
        )
        if not self.spec.fresh:
            out += _("(undo: uninstall the packages it added)\n")
        return out

    def apply(self, ctx: ApplyContext) -> None:
        if self.spec.fresh:  # into a venv this plan made: the venv goes on rollback
            self.installer.install(ctx)
        else:
            self.installer.install_journaled(ctx)
        try:
            run_streaming(
                self.check_argv(), ctx, env=None, timeout=120, as_user=self.installer.runner()
            )
        except RuntimeError as exc:
            raise RuntimeError(
                _("{package} was installed but JupyterLab does not find it: {exc}").format(
                    package=self.package, exc=exc
                )
            ) from exc

    @property
    def as_user(self) -> RunAs | None:
        return self.spec.as_user

    def undo(self, ctx: ApplyContext) -> None:
        self.installer.undo(ctx)
