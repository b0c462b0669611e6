"""Graph schema and stores: the only package that talks to a database driver."""
