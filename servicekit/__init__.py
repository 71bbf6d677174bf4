"""Plumbing shared by every service: no models, no other service's schemas."""
