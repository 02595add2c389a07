"""A minimal Django project for corsight's Django tests (settings, URLs, views)."""
