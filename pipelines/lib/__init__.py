"""Pure-Python parsing, harmonizing and warehouse core. Never imports dagster."""
