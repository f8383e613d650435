from __future__ import annotations

from pathlib import Path

import pytest

from wizard.core.answers import Answers, dump_answers, load_answers, save_answers
from wizard.core.errors import InputError


def test_round_trip(tmp_path: Path) -> None:
    a = Answers().replace("network", port=9999, ip="0.0.0.0")
    p = tmp_path / "a.toml"
    save_answers(a, p)
    assert p.stat().st_mode & 0o777 == 0o600
    assert load_answers(p) == a


def test_defaults_fill_missing_sections(tmp_path: Path) -> None:
    p = tmp_path / "a.toml"
    p.write_text("[network]\nport = 8000\n")
    a = load_answers(p)
    assert a.network.port == 8000 and a.network.ip == "127.0.0.1"
    assert a.service.manager == "none"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[network]\nport = '8888'\n", "network.port: must be an integer"),
        ("[network]\nprot = 8888\n", "network.prot: unknown key"),
        ("[netwrk]\nport = 1\n", "netwrk: unknown section"),
        ("[network\n", "not valid TOML"),
        ("network = 3\n", "network: must be a table"),
        ("[service]\nenable = 'yes'\n", "service.enable: must be true or false"),
    ],
)
def test_bad_answers_files_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "a.toml"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        load_answers(p)
    assert message in str(err.value)


def test_dump_never_contains_plaintext_fields() -> None:
    text = dump_answers(Answers())
    assert "password =" not in text.replace("hashed_password =", "")


def test_a_json_answers_file_has_the_same_tables_and_the_same_checks() -> None:
    from wizard.core.answers import parse_answers

    a = parse_answers(
        b'{"network": {"port": 9000}, "access": {"acme_domains": ["x.org"]}}', "a.json"
    )
    assert (a.network.port, a.access.acme_domains) == (9000, ["x.org"])
    for raw, says in [
        (b'{"network": {"port": null}}', "network.port: must be an integer"),
        (b'{"network": {"port": 1.5}}', "network.port: must be an integer"),
        (b'{"network": {"x": 1}}', "network.x: unknown key"),
        (b"[1]", "a JSON object of tables"),
        (b'{"network": {"port": 1, "port": 2}}', "'port' is given twice"),
        (b'{"network": {"port": NaN}}', "NaN is not an answer"),
        (b'{"kernels": {"environments": ["/opt/\\ud800/bin/python"]}}', "surrogates not allowed"),
        (b"{", "not valid JSON"),
    ]:
        with pytest.raises(InputError) as err:
            parse_answers(raw, "a.json")
        assert says in str(err.value), (raw, str(err.value))
