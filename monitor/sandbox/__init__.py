"""A local replica sandbox: serve an API from its spec's own `x-amzn-api-sandbox` cases and response examples."""
