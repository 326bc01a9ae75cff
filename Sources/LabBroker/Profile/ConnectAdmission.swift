import NIOCore

/// The throttles and the lockout: a connect or message rate per client and in total, and the refusal of
/// every connect of a client ID after repeated failures. Mutated by the engine on its loop.
public struct ConnectAdmission: Sendable {
    public enum Decision: Sendable, Hashable {
        case admit
        /// CONNACK 0x9F (MQTT 5) or a close (3.1.1).
        case rateExceeded
        /// CONNACK 0x8A banned / 3.1.1 return code 0x05, until the lockout ends.
        case lockedOut(until: NIODeadline)
    }

    public init(rules: ThrottleRules) {}

    public mutating func admitConnect(clientID: String, now: NIODeadline) -> Decision { .admit }

    /// A CONNECT of `clientID` was refused (authentication, authorization, rate): counts towards lockout.
    public mutating func recordFailure(clientID: String, now: NIODeadline) {}

    /// false: the message exceeds the client's rate (DISCONNECT 0x96 / close).
    public mutating func admitMessage(clientID: String, now: NIODeadline) -> Bool { true }
}
