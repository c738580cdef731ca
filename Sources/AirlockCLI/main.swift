print("airlock: not built yet")
