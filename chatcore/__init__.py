"""The domain: error classification, retries, providers, the chat runner and its models."""
