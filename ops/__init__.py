"""Running the console in production: the process supervisor, the layout, fault drills."""
