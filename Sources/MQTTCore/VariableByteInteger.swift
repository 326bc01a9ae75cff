import NIOCore

/// MQTT's variable byte integer: 7 bits per byte, at most four bytes, minimal encoding required.
public enum VariableByteInteger {
    /// The largest value four bytes can carry (268,435,455).
    public static let maximum: UInt32 = 268_435_455

    /// The number of bytes `value` takes on the wire (values above `maximum` are reported as 4; callers
    /// reject them before writing).
    public static func size(of value: Int) -> Int {
        switch value {
        case ..<128: return 1
        case ..<16_384: return 2
        case ..<2_097_152: return 3
        default: return 4
        }
    }

    enum Decoded {
        case value(UInt32, length: Int)
        case incomplete
        case tooLong
        case notMinimal(length: Int)
    }

    /// Decodes starting at `index` without moving any reader index; never reads at or beyond `limit`.
    static func decode(from buffer: ByteBuffer, at index: Int, limit: Int) -> Decoded {
        var value: UInt32 = 0
        var position = index
        for shift in stride(from: UInt32(0), through: 21, by: 7) {
            guard position < limit, let byte = buffer.getInteger(at: position, as: UInt8.self) else {
                return .incomplete
            }
            position += 1
            value |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                let length = position - index
                if length > 1 && byte == 0 { return .notMinimal(length: length) }
                return .value(value, length: length)
            }
        }
        return .tooLong
    }
}

extension ByteBuffer {
    /// Writes `value` minimally; the caller guarantees `value <= VariableByteInteger.maximum`.
    @inlinable
    mutating func writeVariableByteInteger(_ value: Int) {
        var remaining = value
        repeat {
            var byte = UInt8(truncatingIfNeeded: remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while remaining > 0
    }
}
