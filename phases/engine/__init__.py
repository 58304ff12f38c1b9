"""The engine: a design, its answers read into shape, the rules' table and the grading.

The phase-unit vocabulary (unit.py), the answer shape reader (answers.py), findings and
their severities (findings.py), the design and problem spec (design.py), the givens drawn
per attempt (variants.py), the table of phases and rules (registry.py) and the grading
(engine.py).
"""
