"""Rollout surveys: prioritisation surveys and recurring process pulses, answered anonymously."""
