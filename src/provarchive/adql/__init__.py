"""provarchive.adql (see DESIGN.md layers)."""
