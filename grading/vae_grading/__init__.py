"""Trusted grading for the VAE course: probes run in the student's kernel, verdicts outside it."""
