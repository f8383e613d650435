#!/usr/bin/env bash
# `ansible-test sanity` of the collection, on this machine's Python, with no internet: ansible-test
# bootstraps pip in its venvs from a script it downloads; this stand-in uses the interpreter's own
# ensurepip, then pip installs the sanity tests' requirements (so a package index is still needed).
# Its cache and venvs live in a temp HOME, removed afterwards. Usage: ansible/sanity.sh [ARGS...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv_bin=${VENV_BIN:-$repo/.venv/bin}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.ansible/test/cache" "$home/.config"
[ -d "$HOME/.config/pip" ] && cp -r "$HOME/.config/pip" "$home/.config/"
pip_version=$("$venv_bin/python" - <<'PY'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([^']+)'", src.read_text())[1].replace(".", "_"))
PY
)
cat > "$home/.ansible/test/cache/get_pip_$pip_version.py" <<'PY'
import ensurepip, subprocess, sys
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel") and not a.startswith("pip==")]
if any(not a.startswith("-") for a in args):
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
PY
cd "$repo/ansible/ansible_collections/jupyter_setup_wizard/server"
py=$("$venv_bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
HOME=$home ANSIBLE_HOME=$home/.ansible "$venv_bin/ansible-test" sanity --python "$py" --local "$@"
