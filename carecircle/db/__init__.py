"""Database backends: Django's, with what the project's deployments need of them."""
