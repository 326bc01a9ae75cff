import Scenario

/// Where the observers find a telemetry message's sequence and send time, as the scenario chose:
/// a JSON key in the payload (`"Sequence":{sequence}`) or an MQTT 5 user property whose whole value
/// is the placeholder (`sent-at: "{timestamp}"`). A user property wins when both carry a number.
public struct TelemetryReader: Sendable, Hashable {
    /// One place a number travels.
    public enum Source: Sendable, Hashable {
        case payload(PayloadScanner)
        case userProperty(String)

        func value(payload: UnsafeRawBufferPointer, userProperty: (String) -> String?) -> UInt64? {
            switch self {
            case .payload(let scanner): scanner.value(in: payload)
            case .userProperty(let name): userProperty(name).flatMap { UInt64($0) }
            }
        }
    }

    /// What one message yielded.
    public struct Fields: Sendable, Hashable {
        public var sequence: UInt64
        /// Send time in the unit of `{timestamp}` (Unix milliseconds), when the message carries one.
        public var timestamp: UInt64?

        public init(sequence: UInt64, timestamp: UInt64? = nil) {
            self.sequence = sequence
            self.timestamp = timestamp
        }
    }

    public let sequence: Source
    public let timestamp: Source?

    public init(sequence: Source, timestamp: Source? = nil) {
        self.sequence = sequence
        self.timestamp = timestamp
    }

    /// The reader for a device's telemetry; nil when the messages carry no sequence, i.e. nothing to count.
    public init?(telemetry: DeviceTelemetry) {
        func source(_ placeholder: Template.Part) -> Source? {
            if let name = UserPropertySpec.carrying(placeholder, in: telemetry.userProperties) {
                return .userProperty(name)
            }
            return Self.jsonKey(before: placeholder, in: telemetry.payload.parts).map { .payload(PayloadScanner(key: $0)) }
        }
        guard let sequence = source(.sequence) else { return nil }
        self.init(sequence: sequence, timestamp: source(.timestamp))
    }

    /// The fields of one message, or nil when its sequence cannot be read.
    ///
    /// - Parameter userProperty: the value of the message's first user property with a name (MQTT 5).
    @inline(__always)
    public func read(payload: UnsafeRawBufferPointer, userProperty: (String) -> String?) -> Fields? {
        guard let value = sequence.value(payload: payload, userProperty: userProperty) else { return nil }
        return Fields(sequence: value, timestamp: timestamp?.value(payload: payload, userProperty: userProperty))
    }

    /// Convenience for tests and low-rate callers.
    public func read(payload: [UInt8], userProperties: [String: String] = [:]) -> Fields? {
        payload.withUnsafeBytes { read(payload: $0, userProperty: { userProperties[$0] }) }
    }

    /// The JSON key written right before `placeholder` in a payload template (`"Sequence":{sequence}`).
    static func jsonKey(before placeholder: Template.Part, in parts: [Template.Part]) -> String? {
        guard let position = parts.firstIndex(of: placeholder), position > 0,
              case .text(let text) = parts[position - 1]
        else { return nil }
        var rest = Substring(text)
        while let last = rest.last, last == " " { rest = rest.dropLast() }
        guard rest.last == ":" else { return nil }
        rest = rest.dropLast()
        while let last = rest.last, last == " " { rest = rest.dropLast() }
        guard rest.last == "\"" else { return nil }
        rest = rest.dropLast()
        guard let open = rest.lastIndex(of: "\"") else { return nil }
        let key = rest[rest.index(after: open)...]
        return key.isEmpty ? nil : String(key)
    }
}
