"""modgate: self-hosted content moderation for images and video."""
