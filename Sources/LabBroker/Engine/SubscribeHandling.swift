import MQTTCore
import NIOCore

extension BrokerEngine {
    /// SUBSCRIBE (§3.8): one reason code per filter, then the retained messages the Retain Handling
    /// option asks for (§3.8.4).
    func handleSubscribe(_ subscribe: SubscribePacket, from connection: BrokerConnection, now: NIODeadline,
                         into actions: inout [BrokerAction]) {
        guard let session = connection.session, let version = connection.version, let identity = connection.identity
        else { return }
        let identifier = version == .v5_0 ? subscribe.properties.subscriptionIdentifiers.first : nil
        var codes: [ReasonCode] = []
        codes.reserveCapacity(subscribe.subscriptions.count)
        var retainedFor: [(filter: String, options: SubscriptionOptions)] = []
        for requested in subscribe.subscriptions {
            let shared = SharedFilter(requested.filter)
            // MQTT 5 §3.8.3.1: No Local on a shared subscription is a protocol error.
            if shared != nil && requested.noLocal {
                return endConnection(connection, .brokerDisconnect(.protocolError), now: now, into: &actions)
            }
            let inner = shared?.filter ?? requested.filter
            if let refusal = subscriptionRefusal(requested.filter, inner: inner, isShared: shared != nil,
                                                 connection: connection, identity: identity) {
                if refusal == .notAuthorized, profile.unauthorizedSubscribe == .grantSilently {
                    // Granted on the wire, never entered in the index: nothing will ever arrive on it.
                    codes.append(ReasonCode(rawValue: min(requested.qos, profile.maximumQoS).rawValue))
                } else {
                    codes.append(version == .v5_0 ? refusal : .unspecifiedError)
                }
                continue
            }
            let granted = min(requested.qos, profile.maximumQoS)
            let options = SubscriptionOptions(qos: granted, noLocal: requested.noLocal,
                                              retainAsPublished: requested.retainAsPublished,
                                              retainHandling: requested.retainHandling, identifier: identifier)
            let existed = session.subscriptions.updateValue(options, forKey: requested.filter) != nil
            subscriptionIndex.insert(filter: inner, shareName: shared?.shareName,
                                     Subscriber(session: session, options: options))
            codes.append(ReasonCode(rawValue: granted.rawValue))
            // §4.8.2: retained messages are not sent for a shared subscription.
            guard shared == nil else { continue }
            switch requested.retainHandling {
            case .sendOnSubscribe: retainedFor.append((inner, options))
            case .sendOnSubscribeIfNew: if !existed { retainedFor.append((inner, options)) }
            case .doNotSend: break
            }
        }
        actions.append(.send(connection.id, .suback(SubAckPacket(packetIdentifier: subscribe.packetIdentifier,
                                                                 reasonCodes: codes)), version: version))
        for (filter, options) in retainedFor {
            sendRetained(matching: filter, options: options, to: session, now: now, into: &actions)
        }
        endDoomedSessions(now: now, into: &actions)
    }

    /// Why a filter is refused, as an MQTT 5 reason code (3.1.1 reports every refusal as 0x80); nil: granted.
    private func subscriptionRefusal(_ filter: String, inner: String, isShared: Bool, connection: BrokerConnection,
                                     identity: ClientIdentity) -> ReasonCode? {
        if isShared && !profile.sharedSubscriptions { return .sharedSubscriptionsNotSupported }
        // Deeper than the index accepts (see `SubscriptionIndex.maximumFilterLevels`).
        if inner.utf8.lazy.filter({ $0 == UInt8(ascii: "/") }).count >= SubscriptionIndex.maximumFilterLevels {
            return .topicFilterInvalid
        }
        if let grants = connection.grants, !grants.allows(.subscribe, filter) { return .notAuthorized }
        if let iotHub, !iotHub.allowsSubscribe(filter: inner, deviceID: identity.authenticationName) {
            return .notAuthorized
        }
        return nil
    }

    /// Sends the retained messages `filter` matches, with RETAIN set (§3.3.1.3), at most at the granted
    /// QoS. Expired ones are dropped from the store on the way (§3.3.2.3.3).
    private func sendRetained(matching filter: String, options: SubscriptionOptions, to session: BrokerSession,
                              now: NIODeadline, into actions: inout [BrokerAction]) {
        var expired: [String] = []
        let identifiers = options.identifier.map { [$0] } ?? []
        retained.forEachMatch(filter: filter) { message in
            if message.isExpired(at: now) {
                expired.append(message.topic)
                return
            }
            deliver(message, qos: min(message.qos, options.qos), retain: true, subscriptionIdentifiers: identifiers,
                    to: session, now: now, into: &actions)
        }
        for topic in expired { retained.remove(topic: topic) }
    }

    /// UNSUBSCRIBE (§3.10): 0x11 for a filter the session did not hold (MQTT 5 only; 3.1.1 UNSUBACK has
    /// no codes).
    func handleUnsubscribe(_ unsubscribe: UnsubscribePacket, from connection: BrokerConnection,
                           into actions: inout [BrokerAction]) {
        guard let session = connection.session, let version = connection.version else { return }
        var codes: [ReasonCode] = []
        for filter in unsubscribe.filters {
            guard session.subscriptions.removeValue(forKey: filter) != nil else {
                codes.append(.noSubscriptionExisted)
                continue
            }
            let shared = SharedFilter(filter)
            subscriptionIndex.remove(filter: shared?.filter ?? filter, shareName: shared?.shareName, session: session)
            codes.append(.success)
        }
        let ack = UnsubAckPacket(packetIdentifier: unsubscribe.packetIdentifier,
                                 reasonCodes: version == .v5_0 ? codes : [])
        actions.append(.send(connection.id, .unsuback(ack), version: version))
    }
}
