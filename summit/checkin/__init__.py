"""Check-in at the door and into sessions, attendance records and topic credit."""
