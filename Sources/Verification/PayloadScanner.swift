/// Reads the unsigned integer after one JSON key in a telemetry payload, without a JSON parser.
///
/// The default payload is `{"ClientID":"…","Sequence":N}`; the observer must read
/// tens of thousands of these a second, so the scanner looks for the quoted key,
/// skips `:` and blanks and reads the unsigned integer — no allocation, no
/// Foundation. A key that appears inside a string value earlier in the payload would
/// fool it; the payload templates we generate never do that.
public struct PayloadScanner: Sendable, Hashable {
    private let key: [UInt8]

    /// - Parameter key: the JSON key, without quotes (`Sequence`).
    public init(key: String) {
        self.key = Array("\"\(key)\"".utf8)
    }

    /// The integer after `"key":` in `payload`, or nil when there is none.
    public func value(in payload: UnsafeRawBufferPointer) -> UInt64? {
        Self.integer(after: key, in: payload)
    }

    /// Convenience for tests and low-rate callers.
    public func value(in payload: [UInt8]) -> UInt64? {
        payload.withUnsafeBytes { value(in: $0) }
    }

    /// The unsigned integer following `"key"` `:` in `bytes`.
    private static func integer(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> UInt64? {
        let count = bytes.count
        let keyCount = key.count
        guard keyCount > 0, count > keyCount else { return nil }
        let first = key[0]
        var index = 0
        while index <= count - keyCount {
            if bytes[index] == first && matches(key, in: bytes, at: index) {
                if let value = valueAfterColon(in: bytes, from: index + keyCount) { return value }
            }
            index += 1
        }
        return nil
    }

    @inline(__always)
    private static func matches(_ key: [UInt8], in bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        for offset in 1..<key.count where bytes[start + offset] != key[offset] {
            return false
        }
        return true
    }

    private static func valueAfterColon(in bytes: UnsafeRawBufferPointer, from start: Int) -> UInt64? {
        var index = start
        let count = bytes.count
        while index < count, isBlank(bytes[index]) { index += 1 }
        guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        while index < count, isBlank(bytes[index]) { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
