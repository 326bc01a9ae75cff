extension TopicRules {
    /// Whether every topic `filter` matches is also matched by `outer`: `devices/a/+` lies within
    /// `devices/a/#`, `devices/+/x` does not. A shared subscription's inner filter is what is compared;
    /// `outer` is taken literally. Used to grant a SUBSCRIBE only inside a permitted filter.
    public static func filter(_ filter: String, isWithin outer: String) -> Bool {
        let slash = UInt8(ascii: "/")
        let plus = UInt8(ascii: "+")
        let hash = UInt8(ascii: "#")
        let dollar = UInt8(ascii: "$")
        var inner = filter.utf8[...]
        if filter.hasPrefix("$share/") {
            let rest = inner.dropFirst("$share/".utf8.count)
            guard let end = rest.firstIndex(of: slash) else { return false }
            inner = rest[rest.index(after: end)...]
        }
        let outerBytes = outer.utf8[...]
        // A wildcard first level never matches `$…` topics, so it cannot cover a filter naming one.
        if inner.first == dollar, let first = outerBytes.first, first == plus || first == hash {
            return false
        }
        var o = outerBytes.startIndex
        var i = inner.startIndex
        while true {
            let outerEnd = outerBytes[o...].firstIndex(of: slash) ?? outerBytes.endIndex
            let outerLevel = outerBytes[o..<outerEnd]
            if outerLevel.elementsEqual(CollectionOfOne(hash)) { return true }
            let innerEnd = inner[i...].firstIndex(of: slash) ?? inner.endIndex
            let innerLevel = inner[i..<innerEnd]
            if innerLevel.elementsEqual(CollectionOfOne(hash)) {
                // Every topic has a first level, so `+/#` covers a `#` that stands first.
                return i == inner.startIndex && outerBytes[o...].elementsEqual("+/#".utf8)
            }
            if outerLevel.elementsEqual(CollectionOfOne(plus)) {
                // `+` covers any single level, literal or `+`.
            } else if !outerLevel.elementsEqual(innerLevel) {
                return false
            }
            let outerDone = outerEnd == outerBytes.endIndex
            let innerDone = innerEnd == inner.endIndex
            if outerDone && innerDone { return true }
            if outerDone { return false }
            o = outerBytes.index(after: outerEnd)
            if innerDone {
                // `a/#` also matches `a`: only a trailing `#` covers a filter that has run out of levels.
                return outerBytes[o...].elementsEqual(CollectionOfOne(hash))
            }
            i = inner.index(after: innerEnd)
        }
    }
}
