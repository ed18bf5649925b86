"""Use cases: async functions over a unit of work and the ports they need."""
