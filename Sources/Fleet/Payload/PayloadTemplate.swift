import NIOCore
import Scenario

/// A telemetry payload template compiled once per group and rendered straight into a `ByteBuffer` for
/// every message: literal bytes are copied, numbers are written as ASCII digits in place. No `String`
/// is built per message (unlike `Template.render`, which is for one-off texts).
public struct PayloadTemplate: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case literal([UInt8])
        case clientID
        case index(width: Int)
        case group
        case sequence
        case timestamp
        case uptimeMs
        case random(min: Int64, max: Int64)
        case fill(Int)
        /// A `respond:` rule's reply takes these from the request it answers.
        case requestID
        case methodName
    }

    let segments: [Segment]
    private let literalByteCount: Int

    /// Whether rendering needs the wall clock (so the driver reads it only when used).
    public let usesTimestamp: Bool

    /// Compiles a scenario template; per-device placeholders may be bound already or left for `render`.
    public init(_ template: Template) {
        segments = template.parts.map { part in
            switch part {
            case .text(let text): .literal(Array(text.utf8))
            case .clientID: .clientID
            case .index(let width): .index(width: width)
            case .group: .group
            case .sequence: .sequence
            case .timestamp: .timestamp
            case .uptimeMs: .uptimeMs
            case .random(let range): .random(min: Int64(range.lowerBound), max: Int64(range.upperBound))
            case .requestID: .requestID
            case .methodName: .methodName
            case .fill(let count): .fill(count)
            }
        }
        literalByteCount = segments.reduce(0) { total, segment in
            if case .literal(let bytes) = segment { return total + bytes.count }
            return total
        }
        usesTimestamp = segments.contains(.timestamp)
    }

    /// A size that one rendering for this device will not exceed, to allocate once.
    public func capacityHint(for device: PayloadContext) -> Int {
        var size = literalByteCount
        for segment in segments {
            switch segment {
            case .literal: break
            case .clientID: size += device.clientID.utf8.count
            case .group: size += device.group.utf8.count
            case .index(let width): size += max(width, 20)
            case .fill(let count): size += count
            default: size += 20
            }
        }
        return size
    }

    /// Writes one payload for `device` into `buffer`; `request` fills a reply's `{rid}` and `{method}`.
    public func render(
        into buffer: inout ByteBuffer,
        device: PayloadContext,
        sequence: UInt64,
        unixMillis: Int64,
        uptimeMillis: Int64,
        random: inout SeededGenerator,
        request: RequestCaptures = RequestCaptures()
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
            case .fill(let count):
                buffer.writeRepeatingByte(UInt8(ascii: "x"), count: count)
            case .requestID:
                buffer.writeSubstring(request.requestID ?? "")
            case .methodName:
                buffer.writeSubstring(request.methodName ?? "")
            }
        }
    }

    /// Renders one payload into a new buffer of exactly the hinted capacity (plus the request's captures).
    public func render(
        device: PayloadContext, sequence: UInt64, unixMillis: Int64, uptimeMillis: Int64,
        random: inout SeededGenerator, allocator: ByteBufferAllocator, request: RequestCaptures = RequestCaptures()
    ) -> ByteBuffer {
        let captured = (request.requestID?.utf8.count ?? 0) + (request.methodName?.utf8.count ?? 0)
        var buffer = allocator.buffer(capacity: capacityHint(for: device) + captured)
        render(into: &buffer, device: device, sequence: sequence, unixMillis: unixMillis,
               uptimeMillis: uptimeMillis, random: &random, request: request)
        return buffer
    }
}

/// The device-specific values a payload template can name.
public struct PayloadContext: Sendable, Hashable {
    public var clientID: String
    /// 1-based index in the group, as `{index}` renders it.
    public var index: Int
    public var group: String

    public init(clientID: String, index: Int, group: String) {
        self.clientID = clientID
        self.index = index
        self.group = group
    }
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
