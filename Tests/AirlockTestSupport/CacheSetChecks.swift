/// The first `count` of `make(0), make(1), …` that fall in the same set as `make(0)` (`set` names a
/// key's set): keys to fill one set of a set-associative cache with.
public func keysSharingASet<Key>(_ count: Int, make: (Int) -> Key, set: (Key) -> Int) -> [Key] {
    var keys = [make(0)]
    var i = 1
    while keys.count < count {
        let key = make(i)
        if set(key) == set(keys[0]) { keys.append(key) }
        i += 1
    }
    return keys
}

/// Asks five keys of one set of a four-way, first-in-first-out cache (``CacheSets``) in the order that
/// shows its contract, and returns the cache's miss count after each step: the first four (4 misses),
/// the same four again (all stay: still 4), the fifth and then the second to fourth (the fifth pushes
/// out the oldest only: 5), the first again (6). A direct-mapped cache gives [4, 8, 12, 13].
public func fourWaySetMisses<Key>(_ keys: [Key], ask: (Key) -> Void, misses: () -> Int) -> [Int] {
    precondition(keys.count == 5, "five keys of one set")
    var counts: [Int] = []
    for key in keys.prefix(4) { ask(key) }
    counts.append(misses())
    for key in keys.prefix(4) { ask(key) }
    counts.append(misses())
    ask(keys[4])
    for key in keys[1..<4] { ask(key) }
    counts.append(misses())
    ask(keys[0])
    counts.append(misses())
    return counts
}
