"""Programme health: the traits of a strong performance-management programme,
measured from the data per unit and over time (rules.py is pure; queries.py
loads the facts and applies the access rules)."""
