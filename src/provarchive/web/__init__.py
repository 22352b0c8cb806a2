"""provarchive.web (see DESIGN.md layers)."""
