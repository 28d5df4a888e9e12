"""One Dagster partition per input file, added by the sensor or by `make run`/`make backfill`."""

import dagster as dg

ARTICLE_FILES = dg.DynamicPartitionsDefinition(name="article_files")
