"""The Ansible module's only logic of its own: the answers dictionary as an answers file, read
back by the wizard's own parser (one grammar: types are the wizard's to judge)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from wizard.core.answers import parse_answers
from wizard.core.errors import InputError

MODULE = (
    Path(__file__).parents[2]
    / "ansible/ansible_collections/jupyter_setup_wizard/server/plugins/modules/apply.py"
)


@pytest.fixture(scope="module")
def apply() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jsw_ansible_apply", MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_answers_round_trip(apply: ModuleType) -> None:
    answers = {
        "network": {"port": 8890, "root_dir": '/srv/nb ü "q" \\ \x7f', "base_url": "/j/"},
        "service": {"manager": "systemd-system", "user": "alice", "enable": False},
        "access": {"method": "ssh-tunnel", "ssh_host": "gpu1.example"},
    }
    parsed = parse_answers(apply.answers_toml(answers).encode(), "module").to_dict()
    for section, keys in answers.items():
        for key, value in keys.items():
            assert parsed[section][key] == value


def test_wrong_types_are_the_wizards_to_name(apply: ModuleType) -> None:
    text = apply.answers_toml({"network": {"port": "8888"}, "bogus": {"x": 1}, "service": 3})
    with pytest.raises(InputError) as err:
        parse_answers(text.encode(), "module")
    fields = {p.field for p in err.value.problems}
    assert {"network.port"} <= fields and any(f.startswith(("bogus", "service")) for f in fields)


@pytest.mark.parametrize("value", [None, [1, 2], {"deeper": 1}])
def test_what_toml_answers_cannot_hold_is_refused_by_field(
    apply: ModuleType, value: object
) -> None:
    with pytest.raises(ValueError, match=r"answers\.network\.port: .* is not an answer"):
        apply.answers_toml({"network": {"port": value}})
