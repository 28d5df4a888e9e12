"""Dagster asset and check definitions, one module per step; the logic lives in ``pipeline``."""
