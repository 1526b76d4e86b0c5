"""The DROP `evaluate` metric module (load the folder with `evaluate.load`)."""
