"""jupyter-setup-wizard core: probe -> answers -> plan -> apply -> verify.

Nothing in this package imports textual or questionary, except the front-ends under `wizard.cli`, lazily.
"""

__version__ = "0.1.0"
