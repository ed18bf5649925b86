"""minlaege core: domain rules, use cases and the store behind ports. No HTTP, no formats."""
