"""Models, engine and migrations: the only package that knows the database."""
