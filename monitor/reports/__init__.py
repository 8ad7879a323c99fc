"""Reports: the nightly summary of the last day, rendered for Slack, Markdown and HTML, stored and served."""
