#!/usr/bin/python
# Copyright: jupyter-setup-wizard developers
# BSD-3-Clause (see the LICENSE of the jupyter-setup-wizard repository)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apply
short_description: Set up JupyterLab on a server with jupyter-setup-wizard
version_added: "0.1.0"
description:
  - Runs C(jupyter-setup-wizard apply ANSWERS --json) of the wizard installed on the target, with
    O(answers) written to a private temporary answers file in JSON (removed afterwards). Every step
    (install, password, network, service, access) is the wizard's own, with its validation,
    transaction and rollback; this module only hands over the answers and reads the result.
  - The wizard changes nothing when the machine already matches the answers, so a second run
    reports C(changed=false).
  - In check mode the wizard runs with C(--dry-run) and reports whether it would change
    anything. In diff mode the plan's diffs and commands are shown.
  - "Bad answers fail the task with the wizard's C(error: FIELD: MESSAGE) lines; nothing is
    changed. A failed apply is rolled back by the wizard before the task fails."
  - Passwords go to the wizard on standard input, never on its command line.
author:
  - jupyter-setup-wizard developers (!UNKNOWN)
requirements:
  - jupyter-setup-wizard on the target (see the collection's README for installing it)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  answers:
    description:
      - "The answers file's sections and keys as a dictionary, for example
        C({network: {port: 8888}, service: {manager: systemd-system, user: alice}})."
      - Every key is optional; unknown sections or keys and wrong types fail the task naming
        the field. See the wizard's README, section "Answers file".
      - Values are strings, integers or booleans. Never put a plaintext password here; use
        O(password).
    type: dict
    required: true
  password:
    description:
      - The Jupyter password to set (hashed on the target with argon2, written nowhere in
        plaintext). When the current password already matches, nothing changes.
      - Omitted, the current password is kept (or C(answers.password.hashed_password) is used).
    type: str
  proxy_password:
    description:
      - The basic-auth password of the reverse proxy in front of Jupyter
        (C(access.method=reverse-proxy) with C(access.basic_auth_user)).
    type: str
  executable:
    description:
      - Path of the C(jupyter-setup-wizard) command on the target.
      - Omitted, it is looked up on the PATH.
    type: path
notes:
  - The service and every path are the target's; run with C(become) for a system service
    (C(service.manager=systemd-system)) or anything outside the connecting user's home.
  - With C(pipelining) the module and its passwords never touch the target's disk.
"""

EXAMPLES = r"""
- name: JupyterLab as a system service of alice, reached through an SSH tunnel
  become: true
  jupyter_setup_wizard.server.apply:
    executable: /opt/jupyter-setup-wizard/bin/jupyter-setup-wizard
    password: "{{ vault_jupyter_password }}"
    answers:
      install:
        action: create-venv
      network:
        port: 8888
      service:
        manager: systemd-system
        user: alice
      access:
        method: ssh-tunnel
        ssh_host: "{{ ansible_host }}"
  register: jupyter

- name: Show how to reach it
  ansible.builtin.debug:
    msg: "{{ jupyter.instructions.text }}"

- name: What would change (check mode, with diffs)
  jupyter_setup_wizard.server.apply:
    answers:
      network:
        port: 8890
  check_mode: true
  diff: true
"""

RETURN = r"""
status:
  description:
    - C(unchanged) (the machine already matched), C(planned) (check mode, with changes),
      C(applied), C(invalid) (bad answers, nothing changed), C(failed) or C(interrupted)
      (rolled back).
  returned: always
  type: str
  sample: applied
apply_id:
  description: The wizard's ID of this apply (C(jupyter-setup-wizard rollback ID) undoes it); null unless applied.
  returned: always
  type: str
  sample: 20250101-120000-ab12
actions:
  description: The plan's changes, in the order they are (or would be) applied.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(file) (writes or removes files), C(command) (runs commands) or C(check).
      type: str
      sample: file
    description:
      description: What the change does.
      type: str
      sample: write /home/alice/.jupyter/jupyter_server_config.json (Jupyter settings)
    target:
      description: What it acts on (a path, a unit, an environment).
      type: str
      sample: /home/alice/.jupyter/jupyter_server_config.json
instructions:
  description: How to reach JupyterLab (the wizard's access instructions); null for bad answers.
  returned: always
  type: dict
  contains:
    method:
      description: The access method.
      type: str
      sample: ssh-tunnel
    text:
      description: All of it, as the wizard prints it after an apply.
      type: str
    urls:
      description: The URLs JupyterLab answers at, each with the kind of address.
      type: list
      elements: dict
    browser_url:
      description: What to open in a browser on your own computer.
      type: str
      sample: http://localhost:8888/
    ssh_command:
      description: For ssh-tunnel, the command to run on your own computer.
      type: str
notes:
  description: The plan's notes (info, warnings, risks), each C(level) and C(text).
  returned: always
  type: list
  elements: dict
errors:
  description: What was wrong, each C(field) and C(message) (the task fails when any).
  returned: always
  type: list
  elements: dict
rc:
  description: The wizard's exit status (0; 1 a failed apply, rolled back; 2 bad input).
  returned: always
  type: int
  sample: 0
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _diff(actions):
    return "".join("== {}\n{}".format(a["description"], a["preview"]) for a in actions)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            answers=dict(type="dict", required=True),
            password=dict(type="str", no_log=True),
            proxy_password=dict(type="str", no_log=True),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    executable = p["executable"] or module.get_bin_path("jupyter-setup-wizard", required=True)
    # JSON, which the wizard reads as an answers file of the same tables: it alone checks
    # each value (one grammar, the wizard's), and says which field is wrong.
    text = json.dumps(p["answers"], ensure_ascii=False)

    argv = [executable, "apply", None, "--json", "--dry-run" if module.check_mode else "--yes"]
    secrets = []
    for name, flag in (
        ("password", "--password-stdin"),
        ("proxy_password", "--proxy-password-stdin"),
    ):
        if p[name]:
            argv.append(flag)
            secrets.append(p[name])
    # mkstemp: a new 0600 file of a random name (O_EXCL), removed below whatever happens.
    fd, path = tempfile.mkstemp(prefix="jupyter-setup-wizard-answers-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        argv[2] = path
        stdin = "".join(s + "\n" for s in secrets) if secrets else None
        rc, out, err = module.run_command(argv, data=stdin, binary_data=True)
    finally:
        os.unlink(path)

    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1:
        module.fail_json(
            msg=f"{executable} printed no apply --json result (schema_version 1): is it too old?",
            rc=rc,
            stdout=out,
            stderr=err,
        )

    result = dict(
        changed=bool(doc["changed"]),
        status=doc["status"],
        apply_id=doc["apply_id"],
        actions=[
            dict((k, a[k]) for k in ("kind", "description", "target")) for a in doc["actions"]
        ],
        instructions=doc["instructions"],
        notes=doc["notes"],
        errors=doc["errors"],
        rc=rc,
    )
    if module._diff and doc["actions"]:
        result["diff"] = dict(prepared=_diff(doc["actions"]))
    if rc != 0 or doc["errors"]:
        lines = ["error: {}: {}".format(e["field"], e["message"]) for e in doc["errors"]]
        module.fail_json(msg="\n".join(lines) or err.strip(), stderr=err, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
