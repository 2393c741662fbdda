"""widgets adapters of hfsecure-jupyter."""
