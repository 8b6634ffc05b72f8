"""fplog: elementary-function generators (being written; see generators/registry.py).

>>> 1 + 1
2
"""
