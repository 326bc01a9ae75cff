import MQTTCore
import NIOCore

/// How a connection ends; it decides what is sent first and whether the will is published.
enum ConnectionEnding {
    /// The client's DISCONNECT. The will is published for every reason code but 0x00 (§3.1.2.5,
    /// §3.14.2.1), and always withheld in 3.1.1 (§3.14.4).
    case clientDisconnected(publishWill: Bool)
    /// The broker ends it (protocol error, keep-alive, takeover…): MQTT 5 gets a DISCONNECT with this
    /// reason code first (3.1.1 has no server DISCONNECT); the will is published.
    case brokerDisconnect(ReasonCode)
    /// The transport went away without a DISCONNECT: the will is published.
    case transportClosed
}

extension BrokerEngine {
    /// Forgets `connection`, tells the network what to do, and hands its session over to the offline
    /// rules: its will (at once or after its delay) and its expiry.
    func endConnection(_ connection: BrokerConnection, _ ending: ConnectionEnding, now: NIODeadline,
                       into actions: inout [BrokerAction]) {
        connections[connection.id] = nil
        connection.idleGeneration = nextSerial()
        let withWill: Bool
        switch ending {
        case .clientDisconnected(let flag):
            withWill = flag
            actions.append(.close(connection.id))
        case .brokerDisconnect(let reason):
            withWill = true
            countViolation(reason)
            if connection.version == .v5_0 {
                actions.append(.send(connection.id, .disconnect(DisconnectPacket(reasonCode: reason)), version: .v5_0))
            }
            actions.append(.close(connection.id))
        case .transportClosed:
            withWill = true
        }
        guard let session = connection.session else { return }
        if profile.maximumSessionsPerAuthenticationName != nil, let name = connection.identity?.authenticationName {
            connectedSessionsByName[name, default: 1] -= 1
            if connectedSessionsByName[name] == 0 { connectedSessionsByName[name] = nil }
        }
        connection.session = nil
        session.connection = nil
        let will = withWill ? connection.will : nil
        connection.will = nil

        if session.expiryInterval == 0 {
            // The session ends with the connection (§3.1.2.11.2), so the will cannot wait (§3.1.3.2.2).
            endSession(session, now: now, into: &actions)
            if let will { publishWill(will, clientID: session.clientID, now: now, into: &actions) }
            return
        }
        if session.expiryInterval != UInt32.max {
            session.expiryGeneration = nextSerial()
            timers.schedule(.sessionExpiry(session.clientID),
                            at: now + .seconds(Int64(session.expiryInterval)),
                            generation: session.expiryGeneration)
        }
        guard let will else { return }
        let delay = connection.version == .v5_0 ? will.properties.willDelayInterval ?? 0 : 0
        guard delay > 0 else {
            publishWill(will, clientID: session.clientID, now: now, into: &actions)
            return
        }
        // Published at the earlier of the Will Delay Interval and the session's end (§3.1.3.2.2).
        session.pendingWill = will
        session.willGeneration = nextSerial()
        timers.schedule(.will(session.clientID), at: now + .seconds(Int64(min(delay, session.expiryInterval))),
                        generation: session.willGeneration)
    }

    /// Counts the endings that mean the client broke a limit the broker announced in CONNACK.
    private func countViolation(_ reason: ReasonCode) {
        switch reason {
        case .receiveMaximumExceeded: counters.receiveMaximumExceeded += 1
        case .packetTooLarge: counters.packetsTooLarge += 1
        default: break
        }
    }

    /// Discards `session` and everything in it. A pending will is published now, since the session it
    /// waited for has ended (§3.1.3.2.2). Only ever called for a session without a live connection.
    func endSession(_ session: BrokerSession, now: NIODeadline, into actions: inout [BrokerAction]) {
        if sessions[session.clientID] === session { sessions[session.clientID] = nil }
        for (filter, _) in session.subscriptions {
            let shared = SharedFilter(filter)
            subscriptionIndex.remove(filter: shared?.filter ?? filter, shareName: shared?.shareName, session: session)
        }
        session.subscriptions.removeAll()
        session.queue.removeAll()
        session.inflight.removeAll()
        session.inboundAwaitingRelease.removeAll()
        session.willGeneration = nextSerial()
        session.expiryGeneration = nextSerial()
        session.isEnding = true
        if let pending = session.pendingWill {
            session.pendingWill = nil
            publishWill(pending, clientID: session.clientID, now: now, into: &actions)
        }
    }

    /// Ends the sessions a route doomed, once the route no longer uses its match list.
    func endDoomedSessions(now: NIODeadline, into actions: inout [BrokerAction]) {
        while let session = sessionsToEnd.popLast() {
            guard sessions[session.clientID] === session else { continue }
            endSession(session, now: now, into: &actions)
        }
    }

    /// Publishes a will as the message it becomes (§3.1.2.5): its properties but the Will Delay
    /// Interval travel with it, and its Message Expiry Interval starts now (§3.1.3.2.4).
    func publishWill(_ will: Will, clientID: String, now: NIODeadline, into actions: inout [BrokerAction]) {
        var properties = will.properties
        properties.removeAll(.willDelayInterval)
        var message = RoutedMessage(topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
                                    properties: properties, now: now)
        applyRetainRule(to: &message)
        counters.willsPublished += 1
        route(message, publisherClientID: clientID, now: now, into: &actions)
    }

    /// Stores a message with retain as its topic's retained message when the profile keeps them, and
    /// clears the flag when it does not (`notPersisted`; a client's refused retain was turned away
    /// earlier, a will's at CONNECT).
    func applyRetainRule(to message: inout RoutedMessage) {
        guard message.retain else { return }
        switch profile.retain {
        case .supported: retained.store(message)
        case .refused, .notPersisted: message.retain = false
        }
    }
}
