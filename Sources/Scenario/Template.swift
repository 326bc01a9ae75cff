/// A text with placeholders: client-ID patterns, topics and payloads.
///
/// Placeholders are `{name}` or `{name:argument}` with a known name; any other `{` is literal text,
/// so JSON payloads need no escaping. Per-device placeholders (`{clientId}`, `{index}`, `{group}`) are
/// filled in when the plan is built; per-message ones (`{sequence}`, `{timestamp}`, `{uptimeMs}`,
/// `{random:MIN-MAX}`, `{fill:SIZE}`) are filled in by `render` when the device sends.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a template.
    public enum Part: Sendable, Hashable {
        case text(String)
        /// The device's client ID.
        case clientID
        /// The device's 1-based index in its group, zero-padded to `width` digits (0 = no padding).
        case index(width: Int)
        /// The device's group name.
        case group
        /// The device's message counter: 0, 1, 2, … per device, continuing across reconnects.
        case sequence
        /// Wall-clock time of sending, Unix epoch milliseconds.
        case timestamp
        /// Milliseconds since the device (re)booted.
        case uptimeMs
        /// A uniformly drawn integer in the range, from the run's seeded generator.
        case random(ClosedRange<Int>)
        /// The `$rid` of the request a `respond:` rule answers (its reply topic and payload; see `RequestCaptures`).
        case requestID
        /// The direct method name of the request a `respond:` rule answers (`$iothub/methods/POST/{method}/…`).
        case methodName
        /// This many filler bytes (`x`): a payload of a given size (a camera frame, a firmware chunk) that still
        /// carries its sequence and timestamp. At most `Template.maximumFill`.
        case fill(Int)

        var isPerDevice: Bool {
            switch self {
            case .clientID, .index, .group: true
            case .text, .sequence, .timestamp, .uptimeMs, .random, .requestID, .methodName, .fill: false
            }
        }
    }

    public let parts: [Part]

    /// The largest `{fill:…}`: every message's payload is built in memory, so the fleet's memory stays bounded
    /// (16 MiB, far above the 512 KiB a cloud broker such as Event Grid accepts).
    public static let maximumFill = 16 << 20

    public init(parts: [Part]) {
        var merged: [Part] = []
        for part in parts {
            if case .text(let next) = part, case .text(let previous)? = merged.last {
                merged[merged.count - 1] = .text(previous + next)
            } else if case .text(let next) = part, next.isEmpty {
                continue
            } else {
                merged.append(part)
            }
        }
        self.parts = merged
    }

    /// A template without placeholders.
    public init(literal: String) {
        self.init(parts: [.text(literal)])
    }

    /// True when nothing is left to fill in per message: `render` would always give `text`.
    public var isConstant: Bool { parts.allSatisfy { if case .text = $0 { true } else { false } } }

    /// The text when the template is constant, else nil.
    public var text: String? {
        guard isConstant else { return nil }
        if case .text(let text)? = parts.first { return text }
        return ""
    }

    /// True when some part needs a device (client ID, index or group) to be filled in.
    public var needsDevice: Bool { parts.contains { $0.isPerDevice } }

    /// The template with the per-device placeholders filled in.
    public func binding(clientID: String, index: Int, group: String) -> Template {
        Template(parts: parts.map { part in
            switch part {
            case .clientID: .text(clientID)
            case .index(let width): .text(Self.pad(index, width: width))
            case .group: .text(group)
            case .text, .sequence, .timestamp, .uptimeMs, .random, .requestID, .methodName, .fill: part
            }
        })
    }

    /// The text for one message. Per-device placeholders must already be bound (see `binding`);
    /// any left unbound (and `{rid}`, `{method}`: see `DeviceResponse`) render as their placeholder text so a mistake is visible rather than silent.
    public func render<Generator: RandomNumberGenerator>(
        sequence: UInt64, timestampMilliseconds: Int64, uptimeMilliseconds: Int64, random: inout Generator
    ) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .text(let text): output += text
            case .sequence: output += String(sequence)
            case .timestamp: output += String(timestampMilliseconds)
            case .uptimeMs: output += String(uptimeMilliseconds)
            case .random(let range): output += String(Int.random(in: range, using: &random))
            case .fill(let count): output += String(repeating: "x", count: count)
            case .clientID, .index, .group, .requestID, .methodName: output += Self.placeholderText(part)
            }
        }
        return output
    }

    /// The template as it would be written in a scenario file.
    public var description: String { parts.map(Self.placeholderText).joined() }

    static func pad(_ index: Int, width: Int) -> String {
        let digits = String(index)
        guard digits.count < width else { return digits }
        return String(repeating: "0", count: width - digits.count) + digits
    }

    static func placeholderText(_ part: Part) -> String {
        switch part {
        case .text(let text): text
        case .clientID: "{clientId}"
        case .index(let width): width > 0 ? "{index:0\(width)}" : "{index}"
        case .group: "{group}"
        case .sequence: "{sequence}"
        case .timestamp: "{timestamp}"
        case .uptimeMs: "{uptimeMs}"
        case .random(let range): "{random:\(range.lowerBound)-\(range.upperBound)}"
        case .requestID: "{rid}"
        case .methodName: "{method}"
        case .fill(let count): "{fill:\(count)}"
        }
    }
}
