"""The studio's routes, one module per resource."""
