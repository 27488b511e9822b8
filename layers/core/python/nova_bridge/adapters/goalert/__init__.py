"""GoAlert adapter: the GraphQL client (fixed operations document), the generic ingest client and
the API-key bootstrap. Import the submodules directly; this package imports nothing heavy."""
