import NIOCore

/// A telemetry payload template compiled once per group and rendered straight into a `ByteBuffer` for
/// every message: literal bytes are copied, numbers are written as ASCII digits in place. No `String`
/// is built per message.
///
/// Placeholders: `{clientId}` `{index}` `{index:05}` (zero-padded) `{group}` `{sequence}`
/// `{timestamp}` (Unix epoch milliseconds) `{uptimeMs}` `{random:MIN-MAX}`. Any other brace is
/// literal, so JSON such as `{"ClientID":"{clientId}","Sequence":{sequence}}` needs no escaping;
/// an unknown `{name}` is an error so that typos do not go out on the wire.
public struct PayloadTemplate: Sendable, Hashable {
    public static let defaultJSON = #"{"ClientID":"{clientId}","Sequence":{sequence}}"#

    enum Segment: Sendable, Hashable {
        case literal([UInt8])
        case clientID
        case index(width: Int)
        case group
        case sequence
        case timestamp
        case uptimeMs
        case random(min: Int64, max: Int64)
    }

    let segments: [Segment]
    /// Bytes that every rendering writes regardless of device, for sizing buffers.
    let literalByteCount: Int

    /// Whether rendering needs the wall clock (so the driver reads it only when used).
    public var usesTimestamp: Bool { segments.contains(.timestamp) }

    public init(compiling template: String) throws(PayloadTemplateError) {
        let bytes = Array(template.utf8)
        var segments: [Segment] = []
        var literal: [UInt8] = []
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "{"),
                let close = bytes[(position + 1)...].firstIndex(of: UInt8(ascii: "}")),
                let placeholder = try Self.placeholder(bytes[(position + 1)..<close], in: template)
            {
                if !literal.isEmpty {
                    segments.append(.literal(literal))
                    literal.removeAll()
                }
                segments.append(placeholder)
                position = close + 1
            } else {
                literal.append(bytes[position])
                position += 1
            }
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
        self.literalByteCount = segments.reduce(0) { total, segment in
            if case .literal(let bytes) = segment { return total + bytes.count }
            return total
        }
    }

    /// A size that one rendering for this device will not exceed, to allocate once.
    public func capacityHint(clientID: String, group: String) -> Int {
        var size = literalByteCount
        for segment in segments {
            switch segment {
            case .literal: break
            case .clientID: size += clientID.utf8.count
            case .group: size += group.utf8.count
            case .index(let width): size += max(width, 20)
            default: size += 20
            }
        }
        return size
    }

    /// Writes one payload for `device` into `buffer`.
    public func render(
        into buffer: inout ByteBuffer,
        device: PayloadContext,
        sequence: UInt64,
        unixMillis: Int64,
        uptimeMillis: Int64,
        random: inout DeviceRandom
    ) {
        for segment in segments {
            switch segment {
            case .literal(let bytes):
                buffer.writeBytes(bytes)
            case .clientID:
                buffer.writeString(device.clientID)
            case .group:
                buffer.writeString(device.group)
            case .index(let width):
                buffer.writeDecimal(UInt64(max(device.index, 0)), minimumWidth: width)
            case .sequence:
                buffer.writeDecimal(sequence)
            case .timestamp:
                buffer.writeSignedDecimal(unixMillis)
            case .uptimeMs:
                buffer.writeSignedDecimal(uptimeMillis)
            case .random(let low, let high):
                let span = UInt64(bitPattern: high &- low) &+ 1
                let offset = span == 0 ? random.next() : random.next() % span
                buffer.writeSignedDecimal(low &+ Int64(bitPattern: offset))
            }
        }
    }

    private static func placeholder(_ body: ArraySlice<UInt8>, in template: String) throws(PayloadTemplateError) -> Segment? {
        let text = String(decoding: body, as: UTF8.self)
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0]
        // Only `{identifier}` or `{identifier:argument}` is a placeholder; everything else is literal.
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        let argument = parts.count > 1 ? String(parts[1]) : nil
        switch (name, argument) {
        case ("clientId", nil): return .clientID
        case ("group", nil): return .group
        case ("sequence", nil): return .sequence
        case ("timestamp", nil): return .timestamp
        case ("uptimeMs", nil): return .uptimeMs
        case ("index", nil): return .index(width: 0)
        case ("index", let width?):
            guard let digits = Int(width), digits >= 0, digits <= 20 else {
                throw PayloadTemplateError(template: template, placeholder: text, problem: "the width must be 0…20")
            }
            return .index(width: digits)
        case ("random", let range?):
            guard let bounds = parseRange(range), bounds.0 <= bounds.1 else {
                throw PayloadTemplateError(template: template, placeholder: text, problem: "expected {random:MIN-MAX} with MIN <= MAX")
            }
            return .random(min: bounds.0, max: bounds.1)
        default:
            throw PayloadTemplateError(
                template: template, placeholder: text,
                problem: "unknown placeholder (known: clientId, index, index:WIDTH, group, sequence, timestamp, uptimeMs, random:MIN-MAX)"
            )
        }
    }

    /// `MIN-MAX` where either bound may be negative (`-5-5`, `-10--2`).
    private static func parseRange(_ text: String) -> (Int64, Int64)? {
        let characters = Array(text)
        for split in characters.indices.dropFirst() where characters[split] == "-" {
            if let low = Int64(String(characters[..<split])), let high = Int64(String(characters[(split + 1)...])) {
                return (low, high)
            }
        }
        return nil
    }
}

/// The device-specific values a payload template can name.
public struct PayloadContext: Sendable, Hashable {
    public var clientID: String
    public var index: Int
    public var group: String

    public init(clientID: String, index: Int, group: String) {
        self.clientID = clientID
        self.index = index
        self.group = group
    }
}

public struct PayloadTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var template: String
    public var placeholder: String
    public var problem: String

    public var description: String { "payload template \(template): {\(placeholder)}: \(problem)" }
}

extension ByteBuffer {
    /// Writes `value` in ASCII decimal, left-padded with zeros to `minimumWidth`, without a String.
    @discardableResult
    mutating func writeDecimal(_ value: UInt64, minimumWidth: Int = 0) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let width = max(digits, minimumWidth)
        let start = writerIndex
        writeRepeatingByte(UInt8(ascii: "0"), count: width)
        var remaining = value
        var position = start + width - 1
        for _ in 0..<digits {
            setInteger(UInt8(ascii: "0") + UInt8(remaining % 10), at: position)
            remaining /= 10
            position -= 1
        }
        return width
    }

    @discardableResult
    mutating func writeSignedDecimal(_ value: Int64) -> Int {
        if value < 0 {
            writeInteger(UInt8(ascii: "-"))
            return 1 + writeDecimal(value.magnitude)
        }
        return writeDecimal(UInt64(value))
    }
}
