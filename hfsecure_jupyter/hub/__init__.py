"""hub adapters of hfsecure-jupyter."""
