"""Cadence experiments: HR compares two check-in cadences between units or
between randomly assigned pairs of one unit, for a period, and can make the
winner the units' default.

- `rules`: pure assignment, outcome arithmetic, bootstrap interval, verdict;
- `scope`: who an experiment covers, overlaps, the check-ins switch;
- `commands`: create, start (Stride sets the cadences), finish (restores
  them), apply the winner;
- `queries`: the list, one experiment, results side by side.
"""
