"""Report layer: the terminal summary, charts and the self-contained HTML report."""
