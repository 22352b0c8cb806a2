"""Example job definitions (YAML) and the small astronomy programs they run."""
