"""Whether a Chinese text holds English beyond names and commands: the check of the zh_CN
snapshots (tests/functional) and of the core's messages (tests/unit/test_i18n_messages.py)."""

from __future__ import annotations

import re

ALLOWED = {
    # an ssh command and ~/.ssh/config lines as typed, systemd's and JSON's own words, and
    # the address kind of a URL line (a code, as in status --json)
    *["sshd", "host", "hostname", "localforward", "exitonforwardfailure", "yes", "o"],
    *["linger", "false", "loopback", "system"],  # systemd-system, a manager's code
    *[
        "jupyterlab",
        "jupyter",
        "python",
        "ssh",
        "url",
        "tls",
        "https",
        "http",
        "nginx",
        "uv",
        "pip",
        "venv",
        "ipykernel",
        "token",
        "root",
        "sudo",
        "systemd",
        "ctrl",
        "esc",
        "enter",
        "tab",
        "shift",
        "pageup",
        "pagedown",
        "home",
        "end",
        "acme",
        "ca",
        "pem",
        "osc",
        "tmux",
        "lan",
        "ip",
        "id",
        "dns",
        "localhost",
        "cpu",
        "rss",
        "pid",
        "ms",
        "kib",
        "mib",
        "gib",
        "utf",
        "osc",
        "set",
        "clipboard",
        "on",
        "allow",
        "enable",
        "argon",
        "basic",
        "auth",
        "unit",
        "service",
        "bin",
        "usr",
        "lib",
        "local",
        "share",
        "var",
        "etc",
        "venvs",
        "jsw",
        "conf",
        "json",
        "m",
        "venv",
        "spec",
        "ada",
        "this",
        "server",
        "user",
        "en",
        "zh",
        "cn",
        "f",
        "a",
        "c",
        "s",
        "w",
        "q",
        "r",
        "l",
        "n",
        "y",
        "x",
        "u",
        "j",
        "all",
        "english",
    ],
    # names of protocols, products and services, and the word JupyterLab shows a stuck kernel with
    *["websocket", "vpn", "dhcp", "ddnsto", "jupyterhub", "openssl", "connecting", "pep"],
    "create",  # install.action = create-venv, an answers value
    # the screen behind the help overlay shows through at its edges, cut mid-word
    "jup",
    "g",
}

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
PATHISH = re.compile(r"\S*[/@=<>_.:]\S*|\S*\d\S*|\$\s.*|--\S+|(?<!\S)-\w+|jupyter-\S+")


def english_words(text: str) -> set[str]:
    """Words of Latin letters outside paths, numbers, options and commands."""
    words: set[str] = set()
    for line in text.splitlines():
        line = PATHISH.sub(" ", line)
        for w in WORD.findall(line):
            for part in re.split(r"[-'’]", w):
                if part and part.lower() not in ALLOWED:
                    words.add(part)
    return words
