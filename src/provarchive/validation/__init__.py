"""provarchive.validation (see DESIGN.md layers)."""
