"""Rendering a design: diagrams as SVG and Mermaid (diagram.py), the Markdown export
(export.py) and its pieces (markdown.py).
"""
