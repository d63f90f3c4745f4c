"""HTTP layer: routers, dependencies and the problem+json error shape."""
