"""The effective-config check's own logic: what counts as an author's setting changing effect,
and when the bytes Jupyter would load are the ones already checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.plan.steps.config_check import effect_changes, fingerprint, kept, problems
from wizard.probe.effective_config import Effective

DESIRED = {("ServerApp", "port"): 9000, ("ServerApp", "ip"): "127.0.0.1"}


def test_kept_leaves_out_what_the_wizard_owns_under_any_name() -> None:
    merged = {"ServerApp.port": "9000", "NotebookApp.ip": "'*'", "ServerApp.mem": "1",
              "NotebookApp.iopub_data_rate_limit": "2.0"}  # fmt: skip
    assert kept(merged, DESIRED) == {"ServerApp.mem": "1", "ServerApp.iopub_data_rate_limit": "2.0"}


def test_an_author_setting_that_starts_to_apply_is_named_with_the_link_that_dropped_it() -> None:
    path = "/cfg/jupyter_server_config.py"
    keys = ["NotebookApp.iopub_data_rate_limit", "NotebookApp.notebook_dir"]
    today = Effective(loaded=[(path, keys)], merged={"ServerApp.port": "8888"},
                      link_errors=[("jupyterlab", "TraitError: No such directory: '/srv'")])  # fmt: skip
    after = Effective(
        loaded=[(path, keys[:1])],
        merged={"ServerApp.port": "9000", "ZMQChannelsWebsocketConnection.iopub_data_rate_limit": "1e10"},
    )  # fmt: skip
    texts = {path: "c.NotebookApp.iopub_data_rate_limit = 1e10\n"}
    (note,) = effect_changes(today, after, DESIRED, texts)
    assert note.startswith("ZMQChannelsWebsocketConnection.iopub_data_rate_limit changes effect")
    assert "the default today, 1e10 after this apply" in note
    assert "jupyterlab extension fails to link (TraitError: No such directory: '/srv')" in note
    assert effect_changes(after, after, DESIRED, texts) == []


def test_the_fingerprint_sees_every_file_the_loaders_may_read(tmp_path: Path) -> None:
    (tmp_path / "jupyter_server_config.json").write_text("{}")
    (tmp_path / "other.txt").write_text("not a config")
    first = fingerprint([str(tmp_path), str(tmp_path / "missing")])
    assert list(first) == [str(tmp_path / "jupyter_server_config.json")]
    would_be = {str(tmp_path / "jupyter_server_config.json"): '{"ServerApp": {}}'}
    assert fingerprint([str(tmp_path)], would_be) != first
    (tmp_path / "jupyter_server_config.d").mkdir()
    (tmp_path / "jupyter_server_config.d" / "ext.json").write_text("{}")
    assert fingerprint([str(tmp_path)]) != first  # a new file in a .d dir
    (tmp_path / "jupyter_server_config.d" / "ext.json").unlink()
    assert fingerprint([str(tmp_path)]) == first
    (tmp_path / "jupyter_lab_config.py").write_text("c.ServerApp.port = 1\n")
    assert fingerprint([str(tmp_path)]) != first  # a file that was not there


def test_only_new_link_failures_count_and_unknown_ones_never_fail() -> None:
    before = ("jupyterlab_git", "ModuleNotFoundError: No module named 'git'")
    new = ("jupyterlab", "TraitError: No such directory: '/srv'")
    eff = Effective(values={"ServerApp.port": 8888}, link_errors=[before, new])
    want = {"ServerApp.port": 8888}
    found = problems(eff, want, {}, known_links=frozenset([before]))
    assert found == [
        f"the jupyterlab extension would fail to link with the written config ({new[1]})"
    ]
    assert problems(eff, want, {}, known_links=frozenset([before, new])) == []
    assert problems(eff, want, {}, known_links=None) == []  # not loaded before: not ours to judge
    # A wrong value counts whatever is known about links.
    assert problems(eff, {"ServerApp.port": 9999}, {}, known_links=None)


def test_the_same_bytes_are_loaded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI plans at every visit of Review: a config already loaded is not loaded again
    (seconds each), and a changed file on disk is."""
    import sys

    from wizard.plan.steps import config_check
    from wizard.probe.facts import probe

    loads: list[int] = []

    def load_many(python: str, requests: list[object], **kw: object) -> list[Effective]:
        loads.append(len(requests))
        return [Effective(values={"ServerApp.port": 9000, "ServerApp.ip": "127.0.0.1"})] * 2

    monkeypatch.setattr(config_check, "load_many", load_many)
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    author = cfg / "jupyter_server_config.py"
    author.write_text("c.ServerApp.shutdown_no_activity_timeout = 600\n")
    facts = probe(sys.executable, str(cfg))
    files = {str(cfg / "jupyter_server_config.json"): '{"ServerApp": {"port": 9000}}'}
    fp = fingerprint(facts.config_dirs, files)
    for _ in range(3):
        config_check._load_both(facts, files, "/", None, fp)
    assert loads == [2]
    author.write_text("c.ServerApp.shutdown_no_activity_timeout = 700\n")
    fp = fingerprint(facts.config_dirs, files)
    config_check._load_both(facts, files, "/", None, fp)
    assert loads == [2, 2]
    # A package installed since (an extension that now fails to link, or one that fixes it).
    monkeypatch.setattr(config_check, "_packages_state", lambda prefix: (("site", 1),))
    config_check._load_both(facts, files, "/", None, fp)
    assert loads == [2, 2, 2]


def test_a_new_password_is_hashed_once_so_plans_preview_the_same_bytes() -> None:
    from wizard.plan.steps.password import _hash_once

    first = _hash_once("a long new password")
    assert _hash_once("a long new password") == first
    assert _hash_once("another password") != first


def test_the_fingerprint_reads_no_fifo_and_no_link_and_never_matches_them(tmp_path: Path) -> None:
    """A hostile user's config dir: a FIFO must not hang root, a link must not be read
    through (as root), and neither may pass for the bytes checked before."""
    import os
    import threading

    cfg = tmp_path / "cfg"
    cfg.mkdir()
    os.mkfifo(cfg / "jupyter_server_config.json")
    secret = tmp_path / "secret"
    secret.write_text("root's\n")
    (cfg / "jupyter_config.py").symlink_to(secret)
    done: list[dict[str, str]] = []
    worker = threading.Thread(target=lambda: done.append(fingerprint([str(cfg)])), daemon=True)
    worker.start()
    worker.join(10)
    assert done, "fingerprint() hung on a FIFO"
    assert fingerprint([str(cfg)]) != done[0]  # never equal, so never "the bytes checked"
