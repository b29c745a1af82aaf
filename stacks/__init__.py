"""One module per stack; `build_stacks` wires them for one stage."""
