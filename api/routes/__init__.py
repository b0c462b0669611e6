"""One thin router per area."""
