"""Workbook services (layer 2): reading sheets safely, roster checks, filling forms, claims registers, reconciliation, the workbook templates and synthetic data."""
