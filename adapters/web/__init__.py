"""The moderators' web console (issue 17)."""
