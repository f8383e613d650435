"""The wizard's forms, whatever draws them: one module per step.

Each step module says which fields it has (name, label, help, choices with their labels), what
they show first (from the answers and the probed facts) and what the core's validators say about
a value as typed. The Textual screens (screens/) and the line-by-line prompts
(wizard.cli.plain) are built from these, so both show the same fields with the same checks.
No UI package is imported here.
"""
