/// Strict UTF-8 checking for MQTT strings: well-formed per Unicode Table 3-7 (no overlongs, no
/// surrogates, nothing above U+10FFFF) and no U+0000. One pass, no allocation.
enum UTF8Validation {
    enum Failure {
        case malformed(offset: Int)
        case nullCharacter(offset: Int)
    }

    static func firstFailure(in bytes: UnsafeRawBufferPointer) -> Failure? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                if lead == 0 { return .nullCharacter(offset: index) }
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return .malformed(offset: index)
            }
            guard index + length <= count else { return .malformed(offset: index) }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else { return .malformed(offset: index) }
            for continuation in (index + 2)..<(index + length) where bytes[continuation] & 0xC0 != 0x80 {
                return .malformed(offset: index)
            }
            index += length
        }
        return nil
    }

    /// Bytes with a meaning in MQTT strings and topics.
    struct SpecialBytes: OptionSet {
        var rawValue: UInt8
        static let null = SpecialBytes(rawValue: 1)
        static let plus = SpecialBytes(rawValue: 2)
        static let hash = SpecialBytes(rawValue: 4)
    }

    /// One pass over the string's contiguous UTF-8 (strings are always well-formed in Swift).
    static func specialBytes(in string: String) -> SpecialBytes {
        var string = string
        return string.withUTF8 { bytes in
            var found: SpecialBytes = []
            for byte in bytes {
                switch byte {
                case 0: found.insert(.null)
                case UInt8(ascii: "+"): found.insert(.plus)
                case UInt8(ascii: "#"): found.insert(.hash)
                default: continue
                }
            }
            return found
        }
    }

    /// Whether a string contains U+0000, which MQTT forbids.
    static func containsNull(_ string: String) -> Bool {
        specialBytes(in: string).contains(.null)
    }
}
