"""provarchive.jobs (see DESIGN.md layers)."""
