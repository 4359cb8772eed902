"""The library behind the commands in tools/: layout, settings, notebooks, building, grading."""
