"""Practices switched on or off per org unit, and the rollout plan that widens them.

A pilot introduces practices gradually: HR switches each module on for some
units and off for others; a unit inherits its parent's switch unless it has
its own. People in a unit where a module is off see nothing of it and core
refuses its actions there; data entered before the switch stays.

The submodules are imported by name (core.modules.rules, .queries,
.commands): core.access uses the pure rules, and the services use core.access.
"""
