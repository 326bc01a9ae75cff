import MQTTCore
import NIOCore

extension BrokerEngine {
    /// An inbound PUBLISH: alias, profile rules and authorization, then acknowledgement and routing.
    func handlePublish(_ publish: PublishPacket, from connection: BrokerConnection, now: NIODeadline,
                       into actions: inout [BrokerAction]) {
        guard let session = connection.session, let version = connection.version, let identity = connection.identity
        else { return }
        counters.publishesReceived += 1
        guard admission.admitMessage(clientID: session.clientID, now: now) else {
            return endConnection(connection, .brokerDisconnect(.messageRateTooHigh), now: now, into: &actions)
        }

        var topic = publish.topic
        var properties = publish.properties
        if version == .v5_0, !properties.isEmpty {
            // §3.3.4: a client may not send a Subscription Identifier.
            if properties.contains(where: { $0.identifier == .subscriptionIdentifier }) {
                return endConnection(connection, .brokerDisconnect(.protocolError), now: now, into: &actions)
            }
            if let alias = properties.topicAlias {
                // §3.3.2.3.4: 0 or above the announced maximum is a Topic Alias invalid error.
                guard alias != 0, alias <= profile.topicAliasMaximum else {
                    return endConnection(connection, .brokerDisconnect(.topicAliasInvalid), now: now, into: &actions)
                }
                if topic.isEmpty {
                    guard let known = connection.inboundAliases[alias] else {
                        return endConnection(connection, .brokerDisconnect(.protocolError), now: now, into: &actions)
                    }
                    topic = known
                    counters.publishesByTopicAlias += 1
                } else {
                    connection.inboundAliases[alias] = topic
                }
                properties.removeAll(.topicAlias)
            }
        }

        if publish.qos > profile.maximumQoS {
            return refusePublish(publish, .qosNotSupported, response: profile.qosAboveMaximum, connection, now: now,
                                 into: &actions)
        }
        var retain = publish.retain
        if retain {
            switch profile.retain {
            case .supported: break
            case .refused(let response):
                return refusePublish(publish, .retainNotSupported, response: response, connection, now: now,
                                     into: &actions)
            case .notPersisted: retain = false
            }
        }
        if let grants = connection.grants, !grants.allows(.publish, topic) || !iotHubAllowsPublish(topic, identity) {
            return refusePublish(publish, .notAuthorized, response: .refuseMessage, connection, now: now, into: &actions)
        }

        if publish.qos == .exactlyOnce, let identifier = publish.packetIdentifier {
            if session.inboundAwaitingRelease.contains(identifier) {
                // A resent QoS 2 PUBLISH already delivered: acknowledge again, do not deliver twice (§4.3.3).
                actions.append(.send(connection.id, .pubrec(PublishAckPacket(packetIdentifier: identifier)),
                                     version: version))
                return
            }
            guard session.inboundAwaitingRelease.count < Int(profile.receiveMaximum) else {
                // §3.3.4: more unacknowledged QoS 2 than the announced Receive Maximum.
                return endConnection(connection, .brokerDisconnect(.receiveMaximumExceeded), now: now, into: &actions)
            }
            session.inboundAwaitingRelease.insert(identifier)
        }
        acknowledge(publish, connection: connection, version: version, into: &actions)

        if iotHub != nil {
            var served = publish
            served.topic = topic
            if let replies = iotHub?.serve(served, from: identity.authenticationName, now: now) {
                for reply in replies {
                    _ = deliverThroughOwnSubscriptions(reply, to: session, now: now, into: &actions)
                }
                endDoomedSessions(now: now, into: &actions)
                return
            }
        }

        var message = RoutedMessage(topic: topic, payload: publish.payload, qos: publish.qos, retain: retain,
                                    properties: properties, now: now)
        applyRetainRule(to: &message)
        route(message, publisherClientID: session.clientID, now: now, into: &actions)
    }

    private func acknowledge(_ publish: PublishPacket, connection: BrokerConnection, version: MQTTProtocolVersion,
                             into actions: inout [BrokerAction]) {
        guard let identifier = publish.packetIdentifier else { return }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce:
            actions.append(.send(connection.id, .puback(PublishAckPacket(packetIdentifier: identifier)), version: version))
        case .exactlyOnce:
            actions.append(.send(connection.id, .pubrec(PublishAckPacket(packetIdentifier: identifier)), version: version))
        }
    }

    /// A PUBLISH the profile does not take. MQTT 5 answers with the reason code in PUBACK/PUBREC (QoS 0 is
    /// dropped) or a DISCONNECT, as the rule says; 3.1.1 has no way to say no, so the connection is closed
    /// (what Event Grid and IoT Hub do).
    private func refusePublish(_ publish: PublishPacket, _ reason: ReasonCode, response: ViolationResponse,
                               _ connection: BrokerConnection, now: NIODeadline, into actions: inout [BrokerAction]) {
        guard connection.version == .v5_0, response == .refuseMessage else {
            return endConnection(connection, .brokerDisconnect(reason), now: now, into: &actions)
        }
        guard let identifier = publish.packetIdentifier else { return }
        let ack = PublishAckPacket(packetIdentifier: identifier, reasonCode: reason)
        actions.append(.send(connection.id, publish.qos == .exactlyOnce ? .pubrec(ack) : .puback(ack), version: .v5_0))
    }

    func handlePubAck(_ ack: PublishAckPacket, from connection: BrokerConnection, now: NIODeadline,
                      into actions: inout [BrokerAction]) {
        guard let session = connection.session, let entry = session.inflight[ack.packetIdentifier],
              entry.packet.qos == .atLeastOnce
        else { return }
        session.inflight[ack.packetIdentifier] = nil
        pumpQueue(session, now: now, into: &actions)
    }

    func handlePubRec(_ ack: PublishAckPacket, from connection: BrokerConnection, now: NIODeadline,
                      into actions: inout [BrokerAction]) {
        guard let session = connection.session, let version = connection.version else { return }
        let identifier = ack.packetIdentifier
        guard let entry = session.inflight[identifier], entry.packet.qos == .exactlyOnce else {
            if version == .v5_0 {
                let release = PublishAckPacket(packetIdentifier: identifier, reasonCode: .packetIdentifierNotFound)
                actions.append(.send(connection.id, .pubrel(release), version: version))
            }
            return
        }
        if ack.reasonCode.isFailure {
            // §4.3.3: a PUBREC with a failure ends the exchange; the identifier is free again.
            session.inflight[identifier] = nil
            pumpQueue(session, now: now, into: &actions)
            return
        }
        session.inflight[identifier]?.released = true
        actions.append(.send(connection.id, .pubrel(PublishAckPacket(packetIdentifier: identifier)), version: version))
    }

    func handlePubRel(_ ack: PublishAckPacket, from connection: BrokerConnection, into actions: inout [BrokerAction]) {
        guard let session = connection.session, let version = connection.version else { return }
        let known = session.inboundAwaitingRelease.remove(ack.packetIdentifier) != nil
        let code: ReasonCode = known || version == .v3_1_1 ? .success : .packetIdentifierNotFound
        actions.append(.send(connection.id, .pubcomp(PublishAckPacket(packetIdentifier: ack.packetIdentifier,
                                                                      reasonCode: code)), version: version))
    }

    func handlePubComp(_ ack: PublishAckPacket, from connection: BrokerConnection, now: NIODeadline,
                       into actions: inout [BrokerAction]) {
        guard let session = connection.session, let entry = session.inflight[ack.packetIdentifier],
              entry.released
        else { return }
        session.inflight[ack.packetIdentifier] = nil
        pumpQueue(session, now: now, into: &actions)
    }

    /// The client's DISCONNECT (§3.14): 0x00 withholds the will, anything else publishes it; a Session
    /// Expiry Interval may change here, but not from 0 (§3.14.2.2.2).
    func handleDisconnect(_ disconnect: DisconnectPacket, from connection: BrokerConnection, now: NIODeadline,
                          into actions: inout [BrokerAction]) {
        guard connection.version == .v5_0 else {
            return endConnection(connection, .clientDisconnected(publishWill: false), now: now, into: &actions)
        }
        if let expiry = disconnect.properties.sessionExpiryInterval, let session = connection.session {
            guard !(connection.connectSessionExpiryWasZero && expiry != 0) else {
                return endConnection(connection, .brokerDisconnect(.protocolError), now: now, into: &actions)
            }
            session.expiryInterval = min(expiry, profile.maximumSessionExpiry ?? UInt32.max)
        }
        let publishWill = disconnect.reasonCode != .normalDisconnection
        endConnection(connection, .clientDisconnected(publishWill: publishWill), now: now, into: &actions)
    }
}
