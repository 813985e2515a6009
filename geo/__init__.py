"""Coverage analysis and camera placement over real towns (OSM extracts and camera registries)."""
