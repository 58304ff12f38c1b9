"""The knowledge tables the rules read: the component types (components.py), the storage
decision table (storage.py), the technology catalogue (catalogue.py) and the reference
numbers (reference.py).
"""
