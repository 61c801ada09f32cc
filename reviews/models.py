"""Reviews: review requests, comments, verdicts."""
