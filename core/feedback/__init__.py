"""Continuous feedback: praise, constructive feedback and coaching given to
anyone, with a visibility; requests for feedback and their answers.

- `rules`: pure visibility and text rules (core.access builds on them, so
  this package's `__init__` imports nothing else);
- `commands`: giving feedback, requesting it, answering or declining;
- `queries`: received, given, public feed, requests, form choices;
- `todos`: Home's to-dos for open requests.
"""
