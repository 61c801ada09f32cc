"""The API keeps no models of its own yet."""
