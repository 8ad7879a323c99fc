"""Jobs: plain, importable functions (poll specs, poll feeds) and what runs them (runner, scheduler, one-off cycle)."""
