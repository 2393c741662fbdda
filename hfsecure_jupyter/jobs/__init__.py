"""jobs adapters of hfsecure-jupyter."""
