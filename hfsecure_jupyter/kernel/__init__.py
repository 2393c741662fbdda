"""kernel adapters of hfsecure-jupyter."""
