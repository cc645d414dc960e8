"""Judge: the data-quality rules, evaluated set-wise and judged by Great Expectations; reviewers' verdicts."""
