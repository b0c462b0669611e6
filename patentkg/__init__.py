"""patentkg: a knowledge graph for turning a district's patents into products and investment."""

__version__ = "0.1.0"
