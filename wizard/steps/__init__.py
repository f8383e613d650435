"""One module per wizard step: validation, defaults from facts, and the actions the step needs."""
