"""A template must not change between two synths of the same code.

A Python object's repr (`<... object at 0x7f...>`) in a property changes on every synth, so
every deploy would update, and for some resource types replace, that resource.
"""
import json
import re


def test_no_python_object_reprs_in_any_template(stage):
    for stack in stage.stacks:
        reprs = re.findall(r"<[\w.]+ object at 0x[0-9a-f]+>", json.dumps(stage.template_json(stack)))
        assert reprs == [], f"{stack}: {reprs[:3]}"
