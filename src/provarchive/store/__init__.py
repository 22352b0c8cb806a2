"""provarchive.store (see DESIGN.md layers)."""
