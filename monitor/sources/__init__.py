"""Where the service gets its inputs: the safe fetcher, spec and feed polling, announcements."""
