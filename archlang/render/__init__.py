"""Outputs: text, JSON, SARIF, JUnit, DOT/SVG and HTML."""
