"""server adapters of hfsecure-jupyter."""
