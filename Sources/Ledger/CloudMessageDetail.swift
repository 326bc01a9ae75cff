/// The detail of a `cloudMessage` fault, written by the fleet and read back by the verdicts:
/// `"<kind> <subject>: <outcome>"`, e.g. `"c2d devices/pump-1/messages/devicebound/kind=cmd: delivered"`,
/// `"method $iothub/methods/POST/reboot/?$rid=3: not delivered"`, `"desired interval patch: refused (…)"`.
/// The subject is the topic the hub sent on, or what was asked when the hub refused the request.
public struct CloudMessageDetail: Sendable, Hashable {
    /// Which operator request: a step's `c2d`, `desired` or `method`.
    public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
        case c2d, desired, method
    }

    public enum Outcome: Sendable, Hashable {
        /// The device had a session with a matching subscription, and the hub sent it.
        case delivered
        /// No session or no matching subscription: dropped, as IoT Hub drops it.
        case notDelivered
        /// The hub refused the request itself (an invalid name, a payload too large, …).
        case refused(String)
    }

    public var kind: Kind
    public var subject: String
    public var outcome: Outcome

    public init(kind: Kind, subject: String, outcome: Outcome) {
        self.kind = kind
        self.subject = subject
        self.outcome = outcome
    }

    public var text: String {
        let outcome = switch outcome {
        case .delivered: Self.delivered
        case .notDelivered: Self.notDelivered
        case .refused(let reason): "refused (\(reason))"
        }
        return "\(kind.rawValue) \(subject): \(outcome)"
    }

    /// Reads a detail written by `text`; nil for anything else. A refusal's reason is not read back.
    public init?(parsing text: String) {
        guard let space = text.firstIndex(of: " "), let kind = Kind(rawValue: String(text[..<space])) else { return nil }
        let rest = text[text.index(after: space)...]
        if rest.hasSuffix(": " + Self.delivered) {
            self.init(kind: kind, subject: String(rest.dropLast(Self.delivered.count + 2)), outcome: .delivered)
        } else if rest.hasSuffix(": " + Self.notDelivered) {
            self.init(kind: kind, subject: String(rest.dropLast(Self.notDelivered.count + 2)), outcome: .notDelivered)
        } else if let colon = rest.firstRange(of: ": refused ("), rest.hasSuffix(")") {
            let reason = rest[colon.upperBound..<rest.index(before: rest.endIndex)]
            self.init(kind: kind, subject: String(rest[..<colon.lowerBound]), outcome: .refused(String(reason)))
        } else {
            return nil
        }
    }

    private static let delivered = "delivered"
    private static let notDelivered = "not delivered"
}
