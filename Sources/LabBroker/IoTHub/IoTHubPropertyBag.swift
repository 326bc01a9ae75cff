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
        guard Self.isWellFormed(encoded.utf8) else { return nil }
        var properties: [Property] = []
        // The empty bag has no pairs; otherwise well-formedness guarantees every pair is non-empty.
        for pair in encoded.utf8.split(separator: PercentCoding.ampersand) {
            let separator = pair.firstIndex(of: PercentCoding.equals)
            guard let name = PercentCoding.decode(pair[..<(separator ?? pair.endIndex)]) else { return nil }
            var value: String?
            if let separator {
                guard let decoded = PercentCoding.decode(pair[pair.index(after: separator)...]) else { return nil }
                value = decoded
            }
            properties.append(Property(name: name, value: value))
        }
        self.properties = properties
    }

    /// Whether `bag` is strictly well formed, without allocating: pairs separated by `&`, each a non-empty
    /// name optionally followed by `=` and a value; names and values use only unreserved characters,
    /// `$ ! * ' ( ) , ; : @` and `%XX` escapes that decode to valid UTF-8. The empty bag is well formed.
    public static func isWellFormed(_ bag: Substring.UTF8View) -> Bool {
        if bag.isEmpty { return true }
        var pairStart = bag.startIndex
        while true {
            let pairEnd = bag[pairStart...].firstIndex(of: PercentCoding.ampersand) ?? bag.endIndex
            let pair = bag[pairStart..<pairEnd]
            let separator = pair.firstIndex(of: PercentCoding.equals)
            let name = pair[..<(separator ?? pair.endIndex)]
            guard !name.isEmpty, PercentCoding.isValidComponent(name) else { return false }
            if let separator, !PercentCoding.isValidComponent(pair[pair.index(after: separator)...]) {
                return false
            }
            guard pairEnd != bag.endIndex else { return true }
            pairStart = bag.index(after: pairEnd)
        }
    }

    /// The still-encoded value of the only property called `name` in a well-formed `query`; nil when the
    /// query is malformed, the name is absent, repeated, or has no value.
    public static func rawValue(of name: String, inQuery query: Substring) -> Substring? {
        guard isWellFormed(query.utf8), !query.isEmpty else { return nil }
        var found: Substring?
        var pairStart = query.utf8.startIndex
        let utf8 = query.utf8
        while true {
            let pairEnd = utf8[pairStart...].firstIndex(of: PercentCoding.ampersand) ?? utf8.endIndex
            let pair = utf8[pairStart..<pairEnd]
            let separator = pair.firstIndex(of: PercentCoding.equals)
            if pair[..<(separator ?? pair.endIndex)].elementsEqual(name.utf8) {
                guard found == nil, let separator else { return nil }
                found = Substring(pair[pair.index(after: separator)...])
            }
            guard pairEnd != utf8.endIndex else { return found }
            pairStart = utf8.index(after: pairEnd)
        }
    }
}

/// RFC 3986 percent-encoding as IoT Hub's topics use it.
enum PercentCoding {
    static let ampersand = UInt8(ascii: "&")
    static let equals = UInt8(ascii: "=")
    private static let percent = UInt8(ascii: "%")
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Letters, digits and `- . _ ~`: written as they are; every other byte is escaped.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Accepted unescaped in a received name or value besides the unreserved ones (RFC 2396 marks and the
    /// sub-delimiters that do not separate pairs; IoT Hub's own examples write `$.ct` unescaped).
    private static func isAcceptedRaw(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "@"):
            return true
        default:
            return isUnreserved(byte)
        }
    }

    static func encode(_ string: String, into bytes: inout [UInt8]) {
        for byte in string.utf8 {
            if isUnreserved(byte) {
                bytes.append(byte)
            } else {
                bytes.append(percent)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Only accepted raw characters and well-formed escapes, and the decoded bytes are valid UTF-8 —
    /// checked as they are decoded, without a buffer.
    static func isValidComponent(_ component: Substring.UTF8View) -> Bool {
        var utf8 = UTF8Validator()
        var index = component.startIndex
        while index < component.endIndex {
            let byte = component[index]
            if byte == percent {
                let high = component.index(after: index)
                guard high < component.endIndex else { return false }
                let low = component.index(after: high)
                guard low < component.endIndex,
                    let highValue = hexValue(component[high]), let lowValue = hexValue(component[low]),
                    utf8.accept(highValue << 4 | lowValue)
                else { return false }
                index = component.index(after: low)
            } else {
                guard isAcceptedRaw(byte), utf8.accept(byte) else { return false }
                index = component.index(after: index)
            }
        }
        return utf8.isComplete
    }

    /// The decoded text of a component that `isValidComponent` accepted; nil otherwise.
    static func decode(_ component: Substring.UTF8View) -> String? {
        guard isValidComponent(component) else { return nil }
        guard component.contains(percent) else { return String(Substring(component)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.count)
        var index = component.startIndex
        while index < component.endIndex {
            if component[index] == percent, let high = hexValue(component[component.index(index, offsetBy: 1)]),
                let low = hexValue(component[component.index(index, offsetBy: 2)])
            {
                bytes.append(high << 4 | low)
                index = component.index(index, offsetBy: 3)
            } else {
                bytes.append(component[index])
                index = component.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// An incremental UTF-8 well-formedness check (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
struct UTF8Validator {
    private var remaining = 0
    private var lowerBound: UInt8 = 0x80
    private var upperBound: UInt8 = 0xBF

    var isComplete: Bool { remaining == 0 }

    mutating func accept(_ byte: UInt8) -> Bool {
        if remaining > 0 {
            guard byte >= lowerBound && byte <= upperBound else { return false }
            remaining -= 1
            lowerBound = 0x80
            upperBound = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: remaining = 1
        case 0xE0: remaining = 2; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: remaining = 2
        case 0xED: remaining = 2; upperBound = 0x9F
        case 0xF0: remaining = 3; lowerBound = 0x90
        case 0xF1...0xF3: remaining = 3
        case 0xF4: remaining = 3; upperBound = 0x8F
        default: return false
        }
        return true
    }
}
