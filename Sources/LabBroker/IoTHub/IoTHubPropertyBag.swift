import AzureCredentials

/// The URL-encoded `name=value&name2=value2` pairs IoT Hub carries in topic names: the property bag of
/// telemetry and cloud-to-device topics and the `?$rid=…&$version=…` query of its service topics (seed 002:
/// "the same encoding as for query strings in the HTTPS protocol").
///
/// A property without a value is written `name`, an empty value `name=`, any other `name=value`.
public struct IoTHubPropertyBag: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public struct Property: Sendable, Hashable {
        public var name: String
        /// nil: the name appears alone (IoT Hub's representation of a null property).
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// In the order they appear on the wire.
    public var properties: [Property]

    public init(_ properties: [Property] = []) {
        self.properties = properties
    }

    public init(dictionaryLiteral elements: (String, String?)...) {
        properties = elements.map { Property(name: $0.0, value: $0.1) }
    }

    public var isEmpty: Bool { properties.isEmpty }

    /// The first property called `name`.
    public func first(named name: String) -> Property? {
        properties.first { $0.name == name }
    }

    /// The bag as it goes in a topic: every byte outside `A-Z a-z 0-9 - . _ ~` percent-encoded.
    public var encoded: String {
        var bytes: [UInt8] = []
        for (position, property) in properties.enumerated() {
            if position > 0 { bytes.append(PercentCoding.ampersand) }
            PercentCoding.encode(property.name, into: &bytes)
            if let value = property.value {
                bytes.append(PercentCoding.equals)
                PercentCoding.encode(value, into: &bytes)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses and decodes an encoded bag; nil when it is not well formed (see `isWellFormed`). An empty
    /// string is the empty bag.
    public init?(encoded: Substring) {
        var text = encoded
        let decoded: [Property]? = text.withUTF8 { bytes in
            guard PercentCoding.isWellFormedBag(bytes) else { return nil }
            var properties: [Property] = []
            for pair in PercentCoding.pairs(in: bytes) {
                guard let name = PercentCoding.decode(UnsafeBufferPointer(rebasing: bytes[pair.name])) else {
                    return nil
                }
                var value: String?
                if let range = pair.value {
                    guard let decoded = PercentCoding.decode(UnsafeBufferPointer(rebasing: bytes[range])) else {
                        return nil
                    }
                    value = decoded
                }
                properties.append(Property(name: name, value: value))
            }
            return properties
        }
        guard let decoded else { return nil }
        properties = decoded
    }

    /// Whether `bag` is strictly well formed: pairs separated by `&`, each a non-empty name optionally
    /// followed by `=` and a value; names and values use only unreserved characters, `$ ! * ' ( ) , ; : @`
    /// and `%XX` escapes that decode to valid UTF-8. The empty bag is well formed.
    public static func isWellFormed(_ bag: Substring) -> Bool {
        var text = bag
        return text.withUTF8 { PercentCoding.isWellFormedBag($0) }
    }

    /// The still-encoded value of the only property called `name` in a well-formed `query`; nil when the
    /// query is malformed, the name is absent, repeated, or has no value.
    public static func rawValue(of name: String, inQuery query: Substring) -> Substring? {
        var text = query
        var key = name
        let range = text.withUTF8 { bytes in
            key.withUTF8 { PercentCoding.isWellFormedBag(bytes) ? PercentCoding.valueRange(named: $0, in: bytes) : nil }
        }
        guard let range else { return nil }
        let utf8 = query.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return query[lower..<utf8.index(lower, offsetBy: range.count)]
    }
}
