"""Staff set up events: the event itself, its tiers, and next year's clone."""
