"""The installer choice, pip's settings as `pip config list` prints them, and what uv is told."""

from __future__ import annotations

from wizard.core.answers import Answers
from wizard.core.grammar import problems
from wizard.plan.steps.installer import (
    PackageSource,
    chosen_installer,
    hide_password,
    installer_problem,
)
from wizard.plan.steps.pip_output import PipProgress
from wizard.plan.steps.uv_output import explain_uv_failure, uv_progress
from wizard.probe.installers import PipConfig, parse_pip_config

LISTING = """\
global.index-url='https://mirror.example/simple'
global.extra-index-url='file:///opt/a/simple\\nfile:///opt/b/simple'
install.index-url='https://inner.example/simple'
global.trusted-host='mirror.example'
:env:.find-links='/opt/wheels'
:env:.default-timeout='7'
global.constraint='/etc/c.txt'
global.cert='/etc/ssl/ca.pem'
global.user='ignored'
"""


def test_pip_config_list_is_read_in_pips_own_order() -> None:
    c = parse_pip_config(LISTING)
    assert c.index_url == "https://inner.example/simple"  # [install] beats [global]
    assert c.extra_index_urls == ("file:///opt/a/simple", "file:///opt/b/simple")
    assert c.find_links == ("/opt/wheels",) and c.timeout == "7"
    assert c.sources["find-links"] == "PIP_* environment" and c.sources["index-url"] == "pip.conf"
    assert parse_pip_config(LISTING + ":env:.index-url='http://env/simple'\n").index_url == (
        "http://env/simple"
    )


def test_pips_settings_reach_uv_through_its_environment() -> None:
    env = PackageSource(parse_pip_config(LISTING)).uv_env()
    assert env["UV_INDEX_URL"] == "https://inner.example/simple"
    assert env["UV_EXTRA_INDEX_URL"] == "file:///opt/a/simple file:///opt/b/simple"
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"  # pip's: best of all indexes
    assert env["UV_FIND_LINKS"] == "/opt/wheels" and env["UV_INSECURE_HOST"] == "mirror.example"
    assert env["UV_CONSTRAINT"] == "/etc/c.txt" and env["SSL_CERT_FILE"] == "/etc/ssl/ca.pem"
    assert env["UV_HTTP_TIMEOUT"] == "7"
    override = PackageSource(parse_pip_config(LISTING), "http://answers/simple")
    assert override.uv_env()["UV_INDEX_URL"] == "http://answers/simple"
    assert override.pip_env() == {"PIP_INDEX_URL": "http://answers/simple"}
    assert PackageSource(PipConfig(no_index=True)).uv_args() == ["--no-index"]


def test_auto_means_uv_when_found_and_uv_without_it_is_refused() -> None:
    a = Answers()
    assert chosen_installer(a, "/usr/bin/uv") == "uv" and chosen_installer(a, None) == "pip"
    pip = a.replace("install", installer="pip")
    assert chosen_installer(pip, "/usr/bin/uv") == "pip"
    problem = installer_problem(a.replace("install", installer="uv"), None)
    assert problem is not None and problem.field == "install.installer"
    assert "jupyter-setup-wizard[fast]" in problem.message
    assert installer_problem(a.replace("install", installer="conda"), None) is not None


def test_index_url_grammar_keeps_passwords_out_of_the_answers() -> None:
    def fields(url: str) -> list[str]:
        return [p.field for p in problems(Answers().replace("install", index_url=url))]

    assert fields("https://mirror.example/simple") == []
    assert fields("https://user:token@mirror.example/simple") == ["install.index_url"]
    assert fields("mirror.example/simple") == ["install.index_url"]
    assert hide_password("https://u:secret@h:8443/s") == "https://u:***@h:8443/s"


def test_uv_progress_follows_its_summary_lines() -> None:
    lines = [
        "Using Python 3.11.7 environment at: /v",
        "Resolved 92 packages in 33ms",
        "Prepared 92 packages in 818ms",
        "Installed 92 packages in 156ms",
        " + anyio==4.15.1",
    ]
    states = [PipProgress(tool="uv")]
    for line in lines:
        states.append(uv_progress(states[-1], line))
    assert [s.label() for s in states[1:]] == [
        "Starting uv",
        "Downloading 92 packages",
        "Installing 92 packages",
        "Installed 92 packages",
        "Installed 92 packages",
    ]
    assert states[-1].fraction == 1.0
    assert uv_progress(PipProgress(tool="uv"), "error: No solution found").phase == "failed"


def test_uv_failures_say_whether_pip_is_worth_a_try() -> None:
    source = PackageSource(PipConfig(index_url="http://127.0.0.1:9/simple", timeout="2"))
    silent = [
        "error: Request failed after 0 retries in 2.0s",
        "  cause: Failed to fetch: http://127.0.0.1:9/simple/jupyterlab/",
        "  cause: operation timed out",
    ]
    failure = explain_uv_failure(silent, source)
    assert not failure.try_pip
    assert "index http://127.0.0.1:9/simple did not answer within 2 s" in failure.message
    unsolvable = ["error: No solution found when resolving dependencies", "  cause: ..."]
    assert explain_uv_failure(unsolvable, source).try_pip
