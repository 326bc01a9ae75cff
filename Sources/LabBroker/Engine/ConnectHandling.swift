import MQTTCore
import NIOCore

extension BrokerEngine {
    /// The first frame of a connection must be a CONNECT (§3.1, MQTT 5 §4.1); anything else closes it.
    func handleFirstFrame(_ frame: MQTTFrame, on connection: BrokerConnection, now: NIODeadline,
                          into actions: inout [BrokerAction]) {
        guard frame.type == .connect else {
            closeUnconnected(connection, into: &actions)
            return
        }
        // The server frames with the same maximum; checked here too so the engine alone keeps the rule.
        if let maximum = profile.maximumPacketSize, frame.encodedSize > Int(maximum) {
            counters.connectsRefused += 1
            counters.packetsTooLarge += 1
            closeUnconnected(connection, into: &actions)
            return
        }
        let version: MQTTProtocolVersion
        do throws(MQTTDecodeError) {
            version = try MQTTPacket.protocolVersion(ofConnect: frame)
        } catch {
            // An unknown protocol level gets return code 0x01 in the 3.1.1 form every level can read
            // (3.1.1 §3.1.2.2); any other damage just closes.
            if case .invalidProtocolLevel = error.kind {
                counters.connectsRefused += 1
                actions.append(.send(connection.id, .connack(ConnAckPacket(reasonCode: .unsupportedProtocolVersion)),
                                     version: .v3_1_1))
            }
            closeUnconnected(connection, into: &actions)
            return
        }
        let connect: ConnectPacket
        do throws(MQTTDecodeError) {
            guard case .connect(let decoded) = try MQTTPacket(frame: frame, version: version) else { return }
            connect = decoded
        } catch {
            // MQTT 5 §4.13.1: a CONNACK with the reason may precede the close.
            if version == .v5_0 {
                actions.append(.send(connection.id, .connack(ConnAckPacket(reasonCode: error.disconnectReason)),
                                     version: .v5_0))
            }
            counters.connectsRefused += 1
            closeUnconnected(connection, into: &actions)
            return
        }
        guard profile.protocolVersions.contains(version) else {
            refuse(connection, version: version, clientID: connect.clientIdentifier, .unsupportedProtocolVersion,
                   now: now, into: &actions)
            return
        }
        handleConnect(connect, version: version, on: connection, now: now, into: &actions)
    }

    /// Every check a CONNECT goes through, in the order a cloud broker applies them, then the session.
    private func handleConnect(_ connect: ConnectPacket, version: MQTTProtocolVersion, on connection: BrokerConnection,
                               now: NIODeadline, into actions: inout [BrokerAction]) {
        func refuse(_ code: ReasonCode, _ actions: inout [BrokerAction]) {
            self.refuse(connection, version: version, clientID: connect.clientIdentifier, code, now: now, into: &actions)
        }
        if profile.requiresTLS && !connection.facts.isEncrypted { return refuse(.notAuthorized, &actions) }
        // Extended authentication (AUTH) is not offered (MQTT 5 §4.12).
        if version == .v5_0, connect.properties.authenticationMethod != nil {
            return refuse(.badAuthenticationMethod, &actions)
        }

        var clientID = connect.clientIdentifier
        var assignedClientID = false
        if clientID.isEmpty {
            // MQTT 5 §3.1.3.1: the server assigns one; 3.1.1 §3.1.3.1: only with Clean Session 1.
            guard version == .v5_0 || connect.cleanStart else { return refuse(.clientIdentifierNotValid, &actions) }
            clientID = assignClientIdentifier()
            assignedClientID = true
        }

        if sessions[clientID] == nil && sessions.count >= limits.maximumSessions {
            return refuse(.serverBusy, &actions)
        }

        switch admission.admitConnect(clientID: clientID, now: now) {
        case .admit:
            break
        case .rateExceeded:
            admission.recordFailure(clientID: clientID, now: now)
            counters.connectsRefused += 1
            if version == .v5_0 {
                actions.append(.send(connection.id, .connack(ConnAckPacket(reasonCode: .connectionRateExceeded)),
                                     version: .v5_0))
            }
            closeUnconnected(connection, into: &actions)
            return
        case .lockedOut:
            return refuse(.banned, &actions)
        }

        var presented = connect
        presented.clientIdentifier = clientID
        let identity: ClientIdentity
        switch authenticator.authenticate(presented, certificateCommonName: connection.facts.certificateCommonName,
                                          now: wallClock()) {
        case .accepted(let accepted): identity = accepted
        case .refused(let code, _): return refuse(code, &actions)
        }
        let grants = authorizer.grants(for: identity)

        var keepAlive = connect.keepAliveSeconds
        var serverKeepAlive: UInt16?
        if let maximum = profile.maximumKeepAlive, keepAlive > maximum {
            // MQTT 5 §3.2.2.3.14: the server imposes its own. 3.1.1 cannot say so; accepting and quietly
            // enforcing the maximum would cut a healthy client off at 1.5 × maximum, so the CONNECT is
            // refused with "identifier rejected" (0x02), as mosquitto does for max_keepalive.
            guard version == .v5_0 else { return refuse(.clientIdentifierNotValid, &actions) }
            keepAlive = maximum
            serverKeepAlive = maximum
        }

        var will = connect.will
        if let requested = will {
            // §3.2.2.3.4 / §3.2.2.3.5: a will the server cannot publish as asked is refused at CONNECT.
            if requested.qos > profile.maximumQoS { return refuse(.qosNotSupported, &actions) }
            if requested.retain, case .refused = profile.retain { return refuse(.retainNotSupported, &actions) }
            if !grants.allows(.publish, requested.topic) || !iotHubAllowsPublish(requested.topic, identity) {
                switch profile.unauthorizedWill {
                case .refuseConnect: return refuse(.notAuthorized, &actions)
                case .dropWill: will = nil
                }
            }
        }

        let liveSession = sessions[clientID]?.connection
        if let maximum = profile.maximumSessionsPerAuthenticationName, liveSession == nil,
           connectedSessionsByName[identity.authenticationName, default: 0] >= maximum {
            return refuse(.quotaExceeded, &actions)
        }

        if let existing = sessions[clientID], let live = existing.connection {
            switch profile.takeover {
            case .refuseNew:
                return refuse(.notAuthorized, &actions)
            case .replaceOld:
                // §3.1.4: the existing connection is ended with 0x8E; its will follows the offline rules,
                // so a delayed will is cancelled below when this connection resumes the session.
                endConnection(live, .brokerDisconnect(.sessionTakenOver), now: now, into: &actions)
            }
        }

        let requestedExpiry: UInt32 =
            version == .v5_0 ? connect.properties.sessionExpiryInterval ?? 0 : (connect.cleanStart ? 0 : UInt32.max)
        let grantedExpiry = min(requestedExpiry, profile.maximumSessionExpiry ?? UInt32.max)

        let session: BrokerSession
        var sessionPresent = false
        if let existing = sessions[clientID], !connect.cleanStart {
            session = existing
            sessionPresent = true
            // A reconnect before the Will Delay Interval passes cancels the will (§3.1.3.2.2).
            session.pendingWill = nil
            session.willGeneration = nextSerial()
            session.expiryGeneration = nextSerial()
        } else {
            if let existing = sessions[clientID] { endSession(existing, now: now, into: &actions) }
            session = BrokerSession(clientID: clientID, queueLimit: profile.offlineQueue)
            sessions[clientID] = session
        }
        session.expiryInterval = grantedExpiry

        connection.version = version
        connection.identity = identity
        if profile.maximumSessionsPerAuthenticationName != nil {
            connectedSessionsByName[identity.authenticationName, default: 0] += 1
        }
        connection.grants = grants
        connection.will = will
        connection.session = session
        session.connection = connection
        connection.connectSessionExpiryWasZero = requestedExpiry == 0
        if version == .v5_0 {
            connection.clientReceiveMaximum = Int(connect.properties.receiveMaximum ?? UInt16.max)
            connection.clientMaximumPacketSize = connect.properties.maximumPacketSize.map { Int($0) }
        }
        armIdleTimer(connection, timeout: keepAlive == 0 ? nil : .nanoseconds(Int64(keepAlive) * 1_500_000_000),
                     now: now)

        var properties: MQTTProperties = []
        if version == .v5_0 {
            properties = connackProperties(serverKeepAlive: serverKeepAlive,
                                           grantedExpiry: grantedExpiry == requestedExpiry ? nil : grantedExpiry,
                                           assignedClientID: assignedClientID ? clientID : nil)
        }
        actions.append(.send(connection.id, .connack(ConnAckPacket(sessionPresent: sessionPresent, properties: properties)),
                             version: version))
        if sessionPresent {
            resendInflight(session, connection: connection, into: &actions)
            pumpQueue(session, now: now, into: &actions)
            endDoomedSessions(now: now, into: &actions)
        }
    }

    /// What an MQTT 5 CONNACK announces of the profile (§3.2.2.3).
    private func connackProperties(serverKeepAlive: UInt16?, grantedExpiry: UInt32?, assignedClientID: String?)
        -> MQTTProperties
    {
        var properties: MQTTProperties = [.receiveMaximum(max(1, profile.receiveMaximum))]
        if profile.maximumQoS < .exactlyOnce { properties.append(.maximumQoS(profile.maximumQoS)) }
        if case .refused = profile.retain { properties.append(.retainAvailable(false)) }
        if let maximum = profile.maximumPacketSize { properties.append(.maximumPacketSize(maximum)) }
        if profile.topicAliasMaximum > 0 { properties.append(.topicAliasMaximum(profile.topicAliasMaximum)) }
        properties.append(.sharedSubscriptionAvailable(profile.sharedSubscriptions))
        properties.append(.wildcardSubscriptionAvailable(true))
        properties.append(.subscriptionIdentifierAvailable(true))
        if let serverKeepAlive { properties.append(.serverKeepAlive(serverKeepAlive)) }
        if let grantedExpiry { properties.append(.sessionExpiryInterval(grantedExpiry)) }
        if let assignedClientID { properties.append(.assignedClientIdentifier(assignedClientID)) }
        return properties
    }

    /// Refuses a CONNECT: CONNACK with the reason (a 3.1.1 return code for 3.1.1), then close. Counts
    /// towards the client ID's lockout.
    func refuse(_ connection: BrokerConnection, version: MQTTProtocolVersion, clientID: String, _ code: ReasonCode,
                now: NIODeadline, into actions: inout [BrokerAction]) {
        admission.recordFailure(clientID: clientID, now: now)
        counters.connectsRefused += 1
        let carried = version == .v5_0 ? code : Self.connectReturnCodeEquivalent(of: code)
        actions.append(.send(connection.id, .connack(ConnAckPacket(reasonCode: carried)), version: version))
        closeUnconnected(connection, into: &actions)
    }

    /// The reason code whose 3.1.1 return code (`ConnectReturnCode`) carries `code`'s meaning best:
    /// 3.1.1 has only return codes 1–5, so every refusal without an equivalent is "not authorized".
    static func connectReturnCodeEquivalent(of code: ReasonCode) -> ReasonCode {
        switch code {
        case .unsupportedProtocolVersion, .clientIdentifierNotValid, .serverUnavailable, .badUserNameOrPassword:
            return code
        case .serverBusy:
            return .serverUnavailable
        default:
            return .notAuthorized
        }
    }

    func closeUnconnected(_ connection: BrokerConnection, into actions: inout [BrokerAction]) {
        connections[connection.id] = nil
        connection.idleGeneration = nextSerial()
        actions.append(.close(connection.id))
    }

    /// A client identifier no session uses (MQTT 5 §3.2.2.3.7, 3.1.1 §3.1.3.1).
    private func assignClientIdentifier() -> String {
        while true {
            assignedIdentifiers &+= 1
            let candidate = "lab-assigned-\(assignedIdentifiers)"
            if sessions[candidate] == nil { return candidate }
        }
    }

    func iotHubAllowsPublish(_ topic: String, _ identity: ClientIdentity) -> Bool {
        guard let iotHub else { return true }
        return iotHub.allowsPublish(topic: topic, deviceID: identity.authenticationName)
    }
}

extension MQTTDecodeError {
    /// The reason code an MQTT 5 DISCONNECT (or CONNACK) reports this error with (§4.13): rules broken
    /// after parsing are protocol errors, an oversized packet is 0x95, the rest malformed packets.
    var disconnectReason: ReasonCode {
        switch kind {
        case .packetTooLarge:
            return .packetTooLarge
        case .duplicateProperty, .invalidPropertyValue, .packetTypeNotInVersion, .emptyTopicWithoutAlias,
             .missingPacketIdentifier:
            return .protocolError
        default:
            return .malformedPacket
        }
    }
}
