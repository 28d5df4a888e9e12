"""Dagster asset and check definitions, one module per step; the logic lives in ``pipeline``."""

import warnings

import dagster as dg

# backfill_policy and pools are marked beta; their warnings would drown every CLI run's output.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
