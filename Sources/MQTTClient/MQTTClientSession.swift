import MQTTCore

/// The client's half of a persistent session (MQTT 5 §4.1, 3.1.1 §4.1): what must outlive one network
/// connection so that nothing is lost or doubled by a reconnect. Handed from a closed connection's state
/// machine to the next one's; opaque to its holder except for its counts.
///
/// - our QoS 1/2 publishes sent and not completed, in the order first sent, resent on resume with DUP
///   (or, for a QoS 2 publish the server already took with PUBREC, its PUBREL);
/// - publishes accepted but never sent (held back by Receive Maximum), sent on the next connection;
/// - the QoS 2 packet identifiers the server sent us and has not released, so a resent PUBLISH is not
///   delivered twice.
public struct MQTTClientSession: Sendable {
    /// One of our publishes that the server has not completed.
    struct InFlight: Sendable {
        var packetIdentifier: UInt16
        var requestID: MQTTRequestID
        var message: MQTTMessage
        /// QoS 2 past PUBREC: only PUBREL is resent.
        var released: Bool
    }

    /// A publish accepted while Receive Maximum held it back.
    struct Unsent: Sendable {
        var requestID: MQTTRequestID
        var message: MQTTMessage
    }

    var inFlight: [InFlight] = []
    var unsent: [Unsent] = []
    var inboundAwaitingRelease: Set<UInt16> = []
    /// Request identifiers go on counting, so a caller can match completions across connections.
    var nextRequestID: UInt64 = 1
    var nextPacketIdentifier: UInt16 = 1

    public init() {}

    /// Publishes the next connection will resend or send (in flight plus unsent).
    public var pendingPublishCount: Int { inFlight.count + unsent.count }

    /// The requests of every pending publish, in flight first.
    public var pendingRequests: [MQTTRequestID] { inFlight.map(\.requestID) + unsent.map(\.requestID) }
}
