import MQTTCore
import NIOCore

/// The lab broker's whole protocol state: sessions, subscriptions, retained messages, wills and timers.
///
/// Confined to one event loop and driven by the server's connection handlers: each call gets the
/// current time and appends what must happen to the network to `actions`. It does no I/O itself, so
/// tests drive it packet by packet on virtual time.
public final class BrokerEngine {
    public let profile: BrokerProfile

    public init(profile: BrokerProfile = BrokerProfile()) {
        self.profile = profile
    }

    /// A transport accepted a connection (TLS and WebSocket handshakes done).
    public func connectionOpened(_ id: ConnectionID, facts: ConnectionFacts, now: NIODeadline) {}

    /// One frame from a client. Decoding needs the connection's protocol version, so it happens here.
    public func received(_ frame: MQTTFrame, on id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {}

    /// The byte stream could not be framed (oversized, malformed header): the connection is closed with
    /// the right reason code.
    public func framingFailed(_ error: MQTTDecodeError, on id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {}

    /// The connection is gone (EOF, reset or after a close action).
    public func connectionClosed(_ id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {}

    /// Runs every timer that is due: keep-alive expiry, delayed wills, session expiry.
    public func tick(now: NIODeadline, into actions: inout [BrokerAction]) {}

    /// When `tick` next has work; nil when no timer is armed.
    public var nextDeadline: NIODeadline? { nil }

    /// A message from the broker itself (an operator's injection, an IoT Hub service message), routed to
    /// subscribers as if a client had published it.
    public func publishFromServer(_ message: PublishPacket, now: NIODeadline, into actions: inout [BrokerAction]) {}

    /// Counters for the live line and benchmarks.
    public var statistics: BrokerStatistics { BrokerStatistics() }
}
