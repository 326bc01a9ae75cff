/// RFC 3986 percent-encoding as IoT Hub's topics and SAS tokens use it, on contiguous UTF-8 (the engine checks every
/// telemetry topic with it, so it neither allocates nor walks `String` indices).
public enum PercentCoding {
    public static let ampersand = UInt8(ascii: "&")
    public static let equals = UInt8(ascii: "=")
    private static let percent = UInt8(ascii: "%")
    private static let hexDigits: StaticString = "0123456789ABCDEF"

    /// Letters, digits and `- . _ ~`: written as they are; every other byte is escaped.
    public static func isUnreserved(_ byte: UInt8) -> Bool {
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

    public static func encode(_ string: String, into bytes: inout [UInt8]) {
        hexDigits.withUTF8Buffer { hex in
            for byte in string.utf8 {
                if isUnreserved(byte) {
                    bytes.append(byte)
                } else {
                    bytes.append(percent)
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0F)])
                }
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// One pass over a bag: every pair has a non-empty name and at most one `=`; every name and value
    /// holds only accepted raw bytes and `%XX` escapes whose decoded bytes are valid UTF-8.
    public static func isWellFormedBag(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return true }
        var utf8 = UTF8Validator()
        var nameLength = 0
        var inValue = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ampersand:
                guard nameLength > 0, utf8.isComplete else { return false }
                nameLength = 0
                inValue = false
            case equals:
                guard !inValue, nameLength > 0, utf8.isComplete else { return false }
                inValue = true
            case percent:
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2]), utf8.accept(high << 4 | low)
                else { return false }
                index += 2
                if !inValue { nameLength += 1 }
            default:
                guard isAcceptedRaw(byte), utf8.accept(byte) else { return false }
                if !inValue { nameLength += 1 }
            }
            index += 1
        }
        return nameLength > 0 && utf8.isComplete
    }

    /// The byte ranges of each pair's name and value in a well-formed, non-empty bag.
    public static func pairs(in bytes: UnsafeBufferPointer<UInt8>) -> [(name: Range<Int>, value: Range<Int>?)] {
        var result: [(name: Range<Int>, value: Range<Int>?)] = []
        forEachPair(in: bytes) { name, value in
            result.append((name, value))
            return true
        }
        return result
    }

    /// The value range of the only pair named `name`; nil if absent, repeated or without a value.
    public static func valueRange(named name: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var found: Range<Int>?
        var valid = true
        forEachPair(in: bytes) { nameRange, valueRange in
            guard nameRange.count == name.count,
                zip(nameRange, 0..<name.count).allSatisfy({ bytes[$0.0] == name[$0.1] })
            else { return true }
            guard found == nil, let valueRange else {
                valid = false
                return false
            }
            found = valueRange
            return true
        }
        return valid ? found : nil
    }

    /// Calls `body` with each pair's name and value ranges until it returns false.
    private static func forEachPair(
        in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Range<Int>?) -> Bool
    ) {
        guard !bytes.isEmpty else { return }
        var pairStart = 0
        while pairStart <= bytes.count {
            var pairEnd = pairStart
            var separator: Int?
            while pairEnd < bytes.count, bytes[pairEnd] != ampersand {
                if separator == nil, bytes[pairEnd] == equals { separator = pairEnd }
                pairEnd += 1
            }
            let name = pairStart..<(separator ?? pairEnd)
            let value = separator.map { ($0 + 1)..<pairEnd }
            guard body(name, value) else { return }
            pairStart = pairEnd + 1
        }
    }

    /// The text of `component` with its `%XX` escapes decoded; nil on a broken escape or bytes that are
    /// not UTF-8. SAS tokens' fields are decoded with it too.
    public static func decode(_ component: UnsafeBufferPointer<UInt8>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.count)
        var index = 0
        while index < component.count {
            if component[index] == percent {
                guard index + 2 < component.count, let high = hexValue(component[index + 1]),
                    let low = hexValue(component[index + 2])
                else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(component[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
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
