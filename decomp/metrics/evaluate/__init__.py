"""`evaluate` metric modules (one folder each) that score with decomp.metrics."""
