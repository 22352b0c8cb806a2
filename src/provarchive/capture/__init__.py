"""provarchive.capture (see DESIGN.md layers)."""
