import MQTTCore
import NIOCore

/// One network connection as the engine sees it, from `connectionOpened` to its end.
final class BrokerConnection {
    let id: ConnectionID
    let facts: ConnectionFacts
    /// Set when the CONNECT is accepted; nil before.
    var version: MQTTProtocolVersion?
    var session: BrokerSession?
    var identity: ClientIdentity?
    var grants: ClientGrants?

    /// Last packet received; the idle timer compares against it when it fires.
    var lastActivity: NIODeadline
    /// 1.5 × the effective Keep Alive once connected (the CONNECT deadline before); nil: none.
    var idleTimeout: TimeAmount?
    var idleGeneration: UInt64 = 0

    var will: Will?
    /// Inbound Topic Alias → topic (MQTT 5 §3.3.2.3.4), at most the profile's Topic Alias Maximum.
    var inboundAliases: [UInt16: String] = [:]
    /// The client's Receive Maximum: QoS 1/2 PUBLISHes the broker may have unacknowledged (§3.1.2.11.3).
    var clientReceiveMaximum = Int(UInt16.max)
    /// The client's Maximum Packet Size (§3.1.2.11.4); nil: no limit beyond the protocol's.
    var clientMaximumPacketSize: Int?
    /// The CONNECT's Session Expiry Interval was 0, so a DISCONNECT may not raise it (§3.14.2.2.2).
    var connectSessionExpiryWasZero = true

    init(id: ConnectionID, facts: ConnectionFacts, now: NIODeadline) {
        self.id = id
        self.facts = facts
        self.lastActivity = now
    }
}
