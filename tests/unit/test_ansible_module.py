"""What the Ansible module hands over: its `answers` dictionary as JSON, which the wizard reads
as an answers file with the same tables and the same checks (one grammar: types are the
wizard's to judge, and it names the field)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wizard.core.answers import parse_answers
from wizard.core.errors import InputError

MODULE = (
    Path(__file__).parents[2]
    / "ansible/ansible_collections/jupyter_setup_wizard/server/plugins/modules/apply.py"
)


def handed_over(answers: object) -> bytes:
    """The bytes the module writes, the way it writes them."""
    source = MODULE.read_text()
    assert 'json.dumps(p["answers"], ensure_ascii=False)' in source
    assert re.search(r'mkstemp\([^)]*suffix="\.json"\)', source)
    return json.dumps(answers, ensure_ascii=False).encode()


def test_answers_round_trip() -> None:
    answers = {
        "network": {"port": 8890, "root_dir": '/srv/nb ü "q" \\ \x7f', "base_url": "/j/"},
        "service": {"manager": "systemd-system", "user": "alice", "enable": False},
        "access": {"method": "ssh-tunnel", "ssh_host": "gpu1.example",
                   "acme_domains": ["a.example.org", 'b"c']},
    }  # fmt: skip
    parsed = parse_answers(handed_over(answers), "module.json").to_dict()
    for section, keys in answers.items():
        for key, value in keys.items():
            assert parsed[section][key] == value


@pytest.mark.parametrize("value", ["8888", None, [1, 2], {"deeper": 1}, 1.5])
def test_wrong_types_are_the_wizards_to_name(value: object) -> None:
    with pytest.raises(InputError) as err:
        parse_answers(handed_over({"network": {"port": value}}), "module.json")
    assert [p.field for p in err.value.problems] == ["network.port"], err.value.problems


def test_unknown_tables_and_non_tables_are_named() -> None:
    with pytest.raises(InputError) as err:
        parse_answers(handed_over({"bogus": {"x": 1}, "service": 3}), "module.json")
    fields = {p.field for p in err.value.problems}
    assert any(f.startswith(("bogus", "service")) for f in fields), fields
