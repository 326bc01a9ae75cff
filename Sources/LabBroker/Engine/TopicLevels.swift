/// The `/`-separated levels of a topic name or filter as slices of the string (no allocation), empty
/// levels included: `"a//b"` is `a`, ``, `b`.
struct TopicLevels: Sequence, IteratorProtocol {
    private let string: String
    private var start: String.Index?

    init(_ string: String) {
        self.string = string
        self.start = string.startIndex
    }

    mutating func next() -> Substring? {
        guard let from = start else { return nil }
        let utf8 = string.utf8
        if let slash = utf8[from...].firstIndex(of: UInt8(ascii: "/")) {
            start = utf8.index(after: slash)
            return string[from..<slash]
        }
        start = nil
        return string[from...]
    }
}

/// A `$share/{ShareName}/{filter}` topic filter taken apart (MQTT 5 §4.8.2). MQTTCore has already
/// validated its shape when it decoded the SUBSCRIBE.
struct SharedFilter {
    static let prefix = "$share/"

    var shareName: String
    var filter: String

    init?(_ filter: String) {
        guard filter.hasPrefix(Self.prefix) else { return nil }
        let rest = filter.dropFirst(Self.prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        shareName = String(rest[..<slash])
        self.filter = String(rest[rest.index(after: slash)...])
    }
}
