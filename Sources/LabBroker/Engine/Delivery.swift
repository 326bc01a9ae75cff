import MQTTCore
import NIOCore

/// One session a routed message goes to, with what its matching subscriptions add up to.
struct RouteMatch {
    let session: BrokerSession
    /// The highest granted QoS among the matching subscriptions (§3.3.4: one delivery, maximum QoS).
    var qos: QoS
    var retainAsPublished: Bool
    /// Every matching subscription's identifier (MQTT 5 §3.3.4).
    var identifiers: [UInt32]
}

extension BrokerEngine {
    /// Sends `message` to every session with a matching subscription: one delivery per session for its
    /// ordinary subscriptions, plus one per shared group to a single member (§4.8.2).
    func route(_ message: RoutedMessage, publisherClientID: String?, now: NIODeadline,
               into actions: inout [BrokerAction]) {
        let stamp = nextSerial()
        var matches = routeMatches
        routeMatches = []
        matches.removeAll(keepingCapacity: true)
        subscriptionIndex.forEachMatch(topic: message.topic) { node in
            for subscriber in node.subscribers.values {
                let options = subscriber.options
                let session = subscriber.session
                // No Local (§3.8.3.1): not back to the publishing client.
                if options.noLocal, let publisherClientID, session.clientID == publisherClientID { continue }
                if session.routeStamp == stamp {
                    let slot = session.routeSlot
                    if options.qos > matches[slot].qos { matches[slot].qos = options.qos }
                    if options.retainAsPublished { matches[slot].retainAsPublished = true }
                    if let identifier = options.identifier { matches[slot].identifiers.append(identifier) }
                } else {
                    session.routeStamp = stamp
                    session.routeSlot = matches.count
                    matches.append(RouteMatch(session: session, qos: options.qos,
                                              retainAsPublished: options.retainAsPublished,
                                              identifiers: options.identifier.map { [$0] } ?? []))
                }
            }
            for group in node.sharedGroups.values {
                guard let member = group.nextMember() else { continue }
                // A separate delivery: a shared subscription is not merged with the session's others.
                matches.append(RouteMatch(session: member.session, qos: member.options.qos,
                                          retainAsPublished: member.options.retainAsPublished,
                                          identifiers: member.options.identifier.map { [$0] } ?? []))
            }
        }
        for match in matches {
            deliver(message, qos: min(message.qos, match.qos),
                    retain: match.retainAsPublished && message.retain,
                    subscriptionIdentifiers: match.identifiers, to: match.session, now: now, into: &actions)
        }
        matches.removeAll(keepingCapacity: true)
        routeMatches = matches
        endDoomedSessions(now: now, into: &actions)
    }

    /// Hands one message to one session: sent now when it is connected and within the client's Receive
    /// Maximum (§4.9), queued behind earlier ones otherwise. QoS 0 is never queued for an offline session.
    func deliver(_ message: RoutedMessage, qos: QoS, retain: Bool, subscriptionIdentifiers: [UInt32],
                 to session: BrokerSession, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard !session.isEnding else { return }
        if qos == .atMostOnce {
            guard let connection = session.connection, let version = connection.version,
                  !message.isExpired(at: now)
            else { return }
            var packet = PublishPacket(topic: message.topic, payload: message.payload, qos: .atMostOnce, retain: retain)
            if version == .v5_0,
               !message.properties.isEmpty || !subscriptionIdentifiers.isEmpty || message.expiry != nil {
                packet.properties = message.forwardedProperties(now: now, subscriptionIdentifiers: subscriptionIdentifiers)
            }
            guard fits(packet, connection: connection, version: version) else { return }
            counters.publishesSent += 1
            actions.append(.send(connection.id, .publish(packet), version: version))
            return
        }
        let delivery = QueuedDelivery(message: message, qos: qos, retain: retain,
                                      subscriptionIdentifiers: subscriptionIdentifiers)
        if let connection = session.connection, session.queue.isEmpty,
           session.inflight.count < connection.clientReceiveMaximum {
            sendInflight(delivery, session: session, connection: connection, now: now, into: &actions)
            return
        }
        guard !session.queue.append(delivery) else { return }
        // A full queue ends the session only while it waits for its client (Event Grid, seed 003: "a queue
        // … for each active MQTT session that isn't connected"); a connected client behind on its
        // acknowledgements just loses the newest message.
        if profile.offlineQueue.onOverflow == .endSession && session.connection == nil {
            session.isEnding = true
            sessionsToEnd.append(session)
        }
    }

    /// Sends queued messages while the client's Receive Maximum allows.
    func pumpQueue(_ session: BrokerSession, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard let connection = session.connection else { return }
        while session.inflight.count < connection.clientReceiveMaximum, let next = session.queue.popFirst() {
            sendInflight(next, session: session, connection: connection, now: now, into: &actions)
        }
    }

    /// Resends what a resumed session left unacknowledged, in the original order and with the original
    /// packet identifiers: PUBLISH with DUP, or PUBREL once PUBREC came (§4.4).
    func resendInflight(_ session: BrokerSession, connection: BrokerConnection, into actions: inout [BrokerAction]) {
        guard let version = connection.version, !session.inflight.isEmpty else { return }
        for entry in session.inflight.values.sorted(by: { $0.sequence < $1.sequence }) {
            if entry.released {
                actions.append(.send(connection.id, .pubrel(PublishAckPacket(packetIdentifier: entry.packet.packetIdentifier ?? 0)),
                                     version: version))
            } else {
                var packet = entry.packet
                packet.dup = true
                if version == .v3_1_1 { packet.properties = [] }
                counters.publishesSent += 1
                actions.append(.send(connection.id, .publish(packet), version: version))
            }
        }
    }

    /// Sends a QoS 1/2 delivery under a new packet identifier and records it as in flight. An expired
    /// message is dropped (§3.3.2.3.3), and so is one larger than the client's Maximum Packet Size, as if
    /// it had been delivered (§3.1.2.11.4).
    private func sendInflight(_ delivery: QueuedDelivery, session: BrokerSession, connection: BrokerConnection,
                              now: NIODeadline, into actions: inout [BrokerAction]) {
        guard let version = connection.version, !delivery.message.isExpired(at: now) else { return }
        let message = delivery.message
        var packet = PublishPacket(topic: message.topic, payload: message.payload, qos: delivery.qos,
                                   retain: delivery.retain, packetIdentifier: 1)
        if version == .v5_0, !message.properties.isEmpty || !delivery.subscriptionIdentifiers.isEmpty
            || message.expiry != nil {
            packet.properties = message.forwardedProperties(now: now, subscriptionIdentifiers: delivery.subscriptionIdentifiers)
        }
        guard fits(packet, connection: connection, version: version),
              let identifier = session.allocatePacketIdentifier()
        else { return }
        packet.packetIdentifier = identifier
        session.sendSequence &+= 1
        session.inflight[identifier] = OutboundInflight(packet: packet, released: false, sequence: session.sendSequence)
        counters.publishesSent += 1
        actions.append(.send(connection.id, .publish(packet), version: version))
    }

    private func fits(_ packet: PublishPacket, connection: BrokerConnection, version: MQTTProtocolVersion) -> Bool {
        guard let maximum = connection.clientMaximumPacketSize else { return true }
        return MQTTPacket.publish(packet).encodedSize(version: version) <= maximum
    }
}
