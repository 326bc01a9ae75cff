import Foundation
import MQTTCore
import NIOCore

/// The lab broker's whole protocol state: sessions, subscriptions, retained messages, wills and timers.
///
/// Confined to one event loop and driven by the server's connection handlers: each call gets the
/// current time and appends what must happen to the network to `actions`. It does no I/O itself, so
/// tests drive it packet by packet on virtual time.
///
/// The work is split by concern over this folder: `ConnectHandling` (CONNECT, CONNACK, takeover),
/// `PublishHandling` (inbound PUBLISH and the acknowledgement flows), `Delivery` (routing and the
/// outbound flow), `SubscribeHandling`, `ConnectionEnding` (endings, wills, session end) and
/// `TimerHandling`.
public final class BrokerEngine {
    public let profile: BrokerProfile

    /// Wall-clock time for credential checks (SAS token expiry); protocol timing uses `now` arguments.
    let wallClock: () -> Date
    let limits: BrokerEngineLimits

    var admission: ConnectAdmission
    let authenticator: Authenticator
    let authorizer: TopicAuthorizer
    var iotHub: IoTHubDeviceEndpoint?

    var connections: [ConnectionID: BrokerConnection] = [:]
    var sessions: [String: BrokerSession] = [:]
    /// Connected sessions per authentication name, kept only when the profile bounds them.
    var connectedSessionsByName: [String: Int] = [:]
    let subscriptionIndex = SubscriptionIndex()
    let retained: RetainedMessages
    var timers = BrokerTimers()
    var counters = BrokerStatistics()

    /// Source of timer generations and route stamps: every value is used once.
    var serial: UInt64 = 0
    var assignedIdentifiers: UInt64 = 0
    /// Reused for every route (see `Delivery`).
    var routeMatches: [RouteMatch] = []
    /// Sessions doomed while a route was running; ended once it is done.
    var sessionsToEnd: [BrokerSession] = []

    public init(
        profile: BrokerProfile = BrokerProfile(),
        limits: BrokerEngineLimits = BrokerEngineLimits(),
        wallClock: @escaping () -> Date = Date.init
    ) {
        self.profile = profile
        self.limits = limits
        self.wallClock = wallClock
        self.retained = RetainedMessages(maximumCount: limits.maximumRetainedMessages)
        self.admission = ConnectAdmission(rules: profile.throttling)
        self.authenticator = Authenticator(rule: profile.authentication, iotHub: profile.iotHub)
        self.authorizer = TopicAuthorizer(permissions: profile.authorization)
        self.iotHub = profile.iotHub.map(IoTHubDeviceEndpoint.init(rules:))
        routeMatches.reserveCapacity(64)
    }

    /// A transport accepted a connection (TLS and WebSocket handshakes done).
    public func connectionOpened(_ id: ConnectionID, facts: ConnectionFacts, now: NIODeadline) {
        let connection = BrokerConnection(id: id, facts: facts, now: now)
        connections[id] = connection
        armIdleTimer(connection, timeout: limits.connectTimeout, now: now)
    }

    /// One frame from a client. Decoding needs the connection's protocol version, so it happens here.
    public func received(_ frame: MQTTFrame, on id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard let connection = connections[id] else { return }
        connection.lastActivity = now
        guard let version = connection.version else {
            handleFirstFrame(frame, on: connection, now: now, into: &actions)
            return
        }
        if let maximum = profile.maximumPacketSize, frame.encodedSize > Int(maximum) {
            endConnection(connection, .brokerDisconnect(.packetTooLarge), now: now, into: &actions)
            return
        }
        let packet: MQTTPacket
        do throws(MQTTDecodeError) {
            packet = try MQTTPacket(frame: frame, version: version)
        } catch {
            endConnection(connection, .brokerDisconnect(error.disconnectReason), now: now, into: &actions)
            return
        }
        switch packet {
        case .publish(let publish):
            handlePublish(publish, from: connection, now: now, into: &actions)
        case .puback(let ack):
            handlePubAck(ack, from: connection, now: now, into: &actions)
        case .pubrec(let ack):
            handlePubRec(ack, from: connection, now: now, into: &actions)
        case .pubrel(let ack):
            handlePubRel(ack, from: connection, into: &actions)
        case .pubcomp(let ack):
            handlePubComp(ack, from: connection, now: now, into: &actions)
        case .subscribe(let subscribe):
            handleSubscribe(subscribe, from: connection, now: now, into: &actions)
        case .unsubscribe(let unsubscribe):
            handleUnsubscribe(unsubscribe, from: connection, into: &actions)
        case .pingreq:
            actions.append(.send(id, .pingresp, version: version))
        case .disconnect(let disconnect):
            handleDisconnect(disconnect, from: connection, now: now, into: &actions)
        case .connect, .auth, .connack, .suback, .unsuback, .pingresp:
            // A second CONNECT (§3.1.0), AUTH without an Authentication Method at CONNECT (§4.12), or a
            // packet only a server sends.
            endConnection(connection, .brokerDisconnect(.protocolError), now: now, into: &actions)
        }
    }

    /// The byte stream could not be framed (oversized, malformed header): the connection is closed with
    /// the right reason code.
    public func framingFailed(_ error: MQTTDecodeError, on id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard let connection = connections[id] else { return }
        endConnection(connection, .brokerDisconnect(error.disconnectReason), now: now, into: &actions)
    }

    /// The connection is gone (EOF, reset or after a close action).
    public func connectionClosed(_ id: ConnectionID, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard let connection = connections[id] else { return }
        endConnection(connection, .transportClosed, now: now, into: &actions)
    }

    /// Runs every timer that is due: keep-alive expiry, delayed wills, session expiry.
    public func tick(now: NIODeadline, into actions: inout [BrokerAction]) {
        runDueTimers(now: now, into: &actions)
    }

    /// When `tick` next has work; nil when no timer is armed. May be a timer that has since been
    /// cancelled (timers are invalidated lazily), in which case `tick` does nothing.
    public var nextDeadline: NIODeadline? { timers.nextDeadline }

    /// A message from the broker itself (an operator's injection, an IoT Hub service message), routed to
    /// subscribers as if a client had published it.
    public func publishFromServer(_ message: PublishPacket, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard !message.topic.isEmpty, (try? TopicRules.validateTopicName(message.topic)) != nil else { return }
        var properties = message.properties
        properties.removeAll(.topicAlias)
        properties.removeAll(.subscriptionIdentifier)
        var routed = RoutedMessage(topic: message.topic, payload: message.payload, qos: message.qos,
                                   retain: message.retain, properties: properties, now: now)
        applyRetainRule(to: &routed)
        route(routed, publisherClientID: nil, now: now, into: &actions)
    }

    /// Counters for the live line and benchmarks.
    public var statistics: BrokerStatistics {
        var statistics = counters
        statistics.connections = connections.count
        statistics.sessions = sessions.count
        statistics.subscriptions = subscriptionIndex.count
        statistics.retainedMessages = retained.count
        return statistics
    }

    /// A value never handed out before: timer generations, route stamps.
    func nextSerial() -> UInt64 {
        serial &+= 1
        return serial
    }
}
