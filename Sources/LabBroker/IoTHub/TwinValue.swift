import Foundation
import NIOCore

/// One JSON value of a device twin. Integers and other numbers are kept apart so that a reported `60`
/// comes back as `60`, not `60.0`.
public indirect enum TwinValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([TwinValue])
    case object([String: TwinValue])
}

/// Why a twin patch was refused (the device gets 400; seed 002: "400 Bad Request. Malformed JSON").
public enum TwinPatchError: Error, Sendable, Hashable {
    case malformedJSON
    case notAnObject
    /// Empty, too long, or containing a control character, `.`, `$` or a space.
    case invalidKey(String)
    case stringTooLong(key: String)
    /// Outside -4503599627370496…4503599627370495 (the twin guide's integer range).
    case integerOutOfRange(key: String)
    case tooDeep(key: String)
    /// The section would grow above the size limit.
    case sectionTooLarge(bytes: Int, limit: Int)
}

extension TwinValue {
    static let integerRange: ClosedRange<Int64> = -4_503_599_627_370_496...4_503_599_627_370_495

    /// Parses a patch body: a JSON object, else `malformedJSON` / `notAnObject`.
    static func parseObject(_ payload: ByteBuffer) throws(TwinPatchError) -> [String: TwinValue] {
        let value: TwinValue
        do {
            value = try JSONDecoder().decode(TwinValue.self, from: Data(payload.readableBytesView))
        } catch {
            throw .malformedJSON
        }
        guard case .object(let object) = value else { throw .notAnObject }
        return object
    }

    /// Whether `payload` is one JSON value (a direct method body: "a valid JSON or empty body").
    static func isJSON(_ payload: ByteBuffer) -> Bool {
        (try? JSONDecoder().decode(TwinValue.self, from: Data(payload.readableBytesView))) != nil
    }

    /// `object` serialised with sorted keys, so equal twins give equal bytes.
    static func serialize(_ object: [String: TwinValue]) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a TwinValue cannot fail: every case maps to a JSON value (non-finite numbers are
        // unreachable, the decoder rejects them).
        let data = (try? encoder.encode(TwinValue.object(object))) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    /// Checks a patch against the twin guide's key, value and depth rules. Nulls are allowed: they delete.
    static func validate(patch: [String: TwinValue], limits: IoTHubLimits) throws(TwinPatchError) {
        for (key, value) in patch {
            try validate(key: key, value: value, depth: 1, limits: limits)
        }
    }

    private static func validate(key: String, value: TwinValue, depth: Int, limits: IoTHubLimits) throws(TwinPatchError) {
        guard isValidKey(key, limits: limits) else { throw .invalidKey(key) }
        try validate(value: value, key: key, depth: depth, limits: limits)
    }

    private static func validate(value: TwinValue, key: String, depth: Int, limits: IoTHubLimits) throws(TwinPatchError) {
        switch value {
        case .null, .bool, .number:
            return
        case .integer(let integer):
            guard integerRange.contains(integer) else { throw .integerOutOfRange(key: key) }
        case .string(let string):
            guard string.utf8.count <= limits.twinStringBytes else { throw .stringTooLong(key: key) }
        case .array(let elements):
            guard depth <= limits.twinDepth else { throw .tooDeep(key: key) }
            for element in elements {
                try validate(value: element, key: key, depth: depth + 1, limits: limits)
            }
        case .object(let members):
            guard depth <= limits.twinDepth else { throw .tooDeep(key: key) }
            for (member, memberValue) in members {
                try validate(key: member, value: memberValue, depth: depth + 1, limits: limits)
            }
        }
    }

    /// Twin guide: UTF-8, up to 1 KB, no C0/C1 control characters, `.`, `$` or space.
    private static func isValidKey(_ key: String, limits: IoTHubLimits) -> Bool {
        guard !key.isEmpty, key.utf8.count <= limits.twinKeyBytes else { return false }
        return key.unicodeScalars.allSatisfy { scalar in
            !isControl(scalar) && scalar != "." && scalar != "$" && scalar != " "
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The twin guide's size of a section: for each property its key plus its value, where strings count
    /// their UTF-8 bytes without control characters, numbers 8, booleans 4, and objects and arrays the
    /// sum of what they contain.
    static func size(of object: [String: TwinValue]) -> Int {
        object.reduce(0) { total, member in total + textSize(member.key) + size(of: member.value) }
    }

    private static func size(of value: TwinValue) -> Int {
        switch value {
        case .null: return 0
        case .bool: return 4
        case .integer, .number: return 8
        case .string(let string): return textSize(string)
        case .array(let elements): return elements.reduce(0) { $0 + size(of: $1) }
        case .object(let members): return size(of: members)
        }
    }

    private static func textSize(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            isControl(scalar) ? total : total + UTF8.width(scalar)
        }
    }
}

extension Dictionary where Key == String, Value == TwinValue {
    /// Applies a twin patch: a member set to null is deleted, an object merges into an existing object
    /// member, anything else replaces. Nulls never remain in the result.
    mutating func mergeTwinPatch(_ patch: [String: TwinValue]) {
        for (key, value) in patch {
            switch value {
            case .null:
                removeValue(forKey: key)
            case .object(let members):
                // Taken out before merging so the nested dictionary is uniquely referenced (no copy).
                var nested: [String: TwinValue] = [:]
                if case .object(let existing) = removeValue(forKey: key) { nested = existing }
                nested.mergeTwinPatch(members)
                self[key] = .object(nested)
            default:
                self[key] = value
            }
        }
    }
}

extension TwinValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let elements = try? container.decode([TwinValue].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: TwinValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .integer(let integer): try container.encode(integer)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}
