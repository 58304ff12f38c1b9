"""Reading what learners type: units and quantities (units.py, quantities.py) and words
(text.py). Imports nothing else of ``phases``, so every other folder can use it.
"""
