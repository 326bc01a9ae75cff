import MQTTCore
import NIOCore

/// The whole protocol logic of one MQTT connection as a pure value: calls go in (channel became
/// active, a frame arrived, the timer fired, the user publishes, …) and an `Action` comes out for the
/// handler to run. No channel, no clock (time arrives as `NIODeadline` arguments), so every flow —
/// QoS handshakes, packet identifier reuse, Receive Maximum queueing, keep-alive, hostile servers — is
/// unit-tested without sockets. A server that breaks the protocol gets a typed error and, on MQTT 5,
/// a DISCONNECT with 0x81/0x82/…; nothing the server sends can crash the process.
public struct MQTTConnectionStateMachine: Sendable {
    /// What the handler must do after an input.
    public enum Action: Sendable, Equatable {
        case none
        /// Write and flush one packet.
        case write(MQTTPacket)
        /// Write and flush one packet, then (re)arm the connection's single timer.
        case writeAndScheduleTimer(MQTTPacket, at: NIODeadline)
        /// (Re)arm the timer without writing.
        case scheduleTimer(at: NIODeadline)
        /// CONNACK accepted: tell the delegate, then arm the keep-alive timer (`nil`: cancel the timer).
        case connected(MQTTConnAckInfo, timer: NIODeadline?)
        /// Hand an inbound publish to the delegate, then write its acknowledgement, if any.
        case deliver(PublishPacket, acknowledge: MQTTPacket?)
        /// A request finished; then write `thenWrite` (the next publish let through by Receive Maximum,
        /// or PUBREL), if any.
        case completeRequest(MQTTRequestID, Result<MQTTRequestOutcome, MQTTClientError>, thenWrite: MQTTPacket?)
        /// Cancel the timer, write and flush `writing` if given, then close. `abrupt`: SO_LINGER 0 and
        /// straight to the socket, past TLS, so the peer sees a reset.
        case close(writing: MQTTPacket?, abrupt: Bool)
        /// Cancel the timer, stop reading and write nothing more; wait for the peer to close.
        case goSilent
        /// The channel is gone: cancel the timer, fail these requests with `reason.requestError`, and
        /// report the reason.
        case reportClosed(MQTTCloseReason, failedRequests: [MQTTRequestID])
    }

    /// Where the connection is in its life.
    public enum Phase: Sendable, Hashable {
        case initialized
        case awaitingConnAck
        case connected
        /// Stopped reading and writing on purpose; waiting for the broker to close.
        case silent
        /// A close was decided; waiting for the channel to go inactive.
        case closing
        case closed
    }

    /// A request waiting for its acknowledgement, keyed by packet identifier.
    private enum OutboundRequest {
        case publishAwaitingPubAck(MQTTRequestID)
        case publishAwaitingPubRec(MQTTRequestID)
        case publishAwaitingPubComp(MQTTRequestID)
        case subscribe(MQTTRequestID, count: Int)
        case unsubscribe(MQTTRequestID, count: Int)

        var requestID: MQTTRequestID {
            switch self {
            case .publishAwaitingPubAck(let id), .publishAwaitingPubRec(let id), .publishAwaitingPubComp(let id),
                .subscribe(let id, _), .unsubscribe(let id, _):
                return id
            }
        }
    }

    public let configuration: MQTTConnectionConfiguration
    public private(set) var phase: Phase = .initialized
    /// What CONNACK said, once it arrived.
    public private(set) var connAckInfo: MQTTConnAckInfo?
    private var closeReason: MQTTCloseReason?

    private var nextRequestID: UInt64 = 1
    private var nextPacketIdentifier: UInt16 = 1
    private var outbound: [UInt16: OutboundRequest] = [:]
    /// QoS 1/2 publishes sent and not yet completed, limited by the server's Receive Maximum.
    public private(set) var publishesInFlight = 0
    private var queuedPublishes: [(MQTTRequestID, MQTTMessage)] = []
    private var queueHead = 0
    /// QoS 2 packet identifiers received (PUBREC sent) and not yet released by PUBREL.
    private var inboundAwaitingRelease: Set<UInt16> = []
    private var outboundAliases: [String: UInt16] = [:]
    private var inboundAliases: [UInt16: String] = [:]

    private var connAckDeadline: NIODeadline?
    private var keepAlive: TimeAmount?
    private var lastOutbound: NIODeadline = .uptimeNanoseconds(0)
    private var pingResponseDeadline: NIODeadline?

    public init(configuration: MQTTConnectionConfiguration) {
        self.configuration = configuration
    }

    private var version: MQTTProtocolVersion { configuration.version }

    /// Publishes accepted but held back because the server's Receive Maximum is reached.
    public var queuedPublishCount: Int { queuedPublishes.count - queueHead }

    /// Packet identifiers currently in use by our requests.
    public var packetIdentifiersInUse: Int { outbound.count }

    // MARK: - Channel events

    /// The transport is up (TCP, TLS still negotiating if any): send CONNECT, arm the CONNACK timeout.
    public mutating func channelActive(now: NIODeadline) -> Action {
        guard phase == .initialized else { return .none }
        phase = .awaitingConnAck
        let deadline = now + configuration.connAckTimeout
        connAckDeadline = deadline
        lastOutbound = now
        return .writeAndScheduleTimer(.connect(configuration.connectPacket), at: deadline)
    }

    /// One complete frame from the server.
    public mutating func frameReceived(_ frame: MQTTFrame, now: NIODeadline) -> Action {
        switch phase {
        case .awaitingConnAck, .connected:
            break
        case .initialized, .silent, .closing, .closed:
            return .none
        }
        let packet: MQTTPacket
        do {
            packet = try MQTTPacket(frame: frame, version: version)
        } catch {
            return decodingFailed(error)
        }
        let action = packetReceived(packet)
        switch action {
        case .write, .deliver(_, acknowledge: .some), .completeRequest(_, _, thenWrite: .some):
            lastOutbound = now
        default:
            break
        }
        return action
    }

    /// The transport never came up (TCP refused or timed out): the connection ends before it began.
    public mutating func transportFailed(_ error: MQTTClientError) -> Action {
        guard phase == .initialized else { return errorCaught(error) }
        return channelInactiveAfter(.failed(error))
    }

    /// The frame decoder (or anything else in the pipeline) failed.
    public mutating func errorCaught(_ error: MQTTClientError) -> Action {
        switch phase {
        case .closing, .closed:
            return .none
        case .silent:
            phase = .closing
            return .close(writing: nil, abrupt: false)
        case .initialized, .awaitingConnAck, .connected:
            if case .protocolViolation(let violation) = error {
                return fail(with: violation)
            }
            closeReason = .failed(error)
            phase = .closing
            return .close(writing: nil, abrupt: false)
        }
    }

    /// The channel closed: report why, and fail whatever was still pending.
    public mutating func channelInactive() -> Action {
        guard phase != .closed else { return .none }
        return channelInactiveAfter(closeReason ?? (phase == .silent ? .ended(.silent) : .failed(.closedByPeer)))
    }

    private mutating func channelInactiveAfter(_ reason: MQTTCloseReason) -> Action {
        closeReason = reason
        phase = .closed
        var failed = outbound.values.map(\.requestID).sorted { $0.rawValue < $1.rawValue }
        failed += queuedPublishes[queueHead...].map(\.0)
        outbound = [:]
        queuedPublishes = []
        queueHead = 0
        publishesInFlight = 0
        return .reportClosed(reason, failedRequests: failed)
    }

    /// The single timer fired: CONNACK timeout, keep-alive PINGREQ, or PINGRESP timeout.
    public mutating func timerFired(now: NIODeadline) -> Action {
        switch phase {
        case .awaitingConnAck:
            guard let deadline = connAckDeadline else { return .none }
            guard now >= deadline else { return .scheduleTimer(at: deadline) }
            closeReason = .failed(.connAckTimeout(configuration.connAckTimeout))
            phase = .closing
            return .close(writing: nil, abrupt: false)
        case .connected:
            guard let keepAlive else { return .none }
            if let pingDeadline = pingResponseDeadline {
                if now >= pingDeadline {
                    closeReason = .failed(.keepAliveTimeout(pingTimeout(keepAlive)))
                    phase = .closing
                    return .close(writing: nil, abrupt: true)
                }
                // One PINGREQ at a time: wait for its answer or its deadline.
                return .scheduleTimer(at: pingDeadline)
            }
            let due = lastOutbound + keepAlive
            guard now >= due else { return .scheduleTimer(at: due) }
            let pingDeadline = now + pingTimeout(keepAlive)
            pingResponseDeadline = pingDeadline
            lastOutbound = now
            return .writeAndScheduleTimer(.pingreq, at: min(pingDeadline, now + keepAlive))
        case .initialized, .silent, .closing, .closed:
            return .none
        }
    }

    private func pingTimeout(_ keepAlive: TimeAmount) -> TimeAmount {
        configuration.pingTimeout ?? keepAlive
    }

    // MARK: - User requests

    /// Publishes `message`. Returns the request to await for QoS 1/2 (`nil` for QoS 0, done once
    /// written) and the action. Beyond the server's Receive Maximum the publish is queued (action
    /// `.none`) and sent when an earlier one completes.
    public mutating func publish(
        _ message: MQTTMessage, now: NIODeadline
    ) throws(MQTTClientError) -> (MQTTRequestID?, Action) {
        guard phase == .connected, let info = connAckInfo else { throw .notConnected }
        do {
            try TopicRules.validateTopicName(message.topic)
        } catch {
            throw .invalidTopic(message.topic, reason: "\(error)")
        }
        guard message.qos <= info.maximumQoS else {
            throw .qosNotSupported(requested: message.qos, maximum: info.maximumQoS)
        }
        guard !message.retain || info.retainAvailable else { throw .retainNotSupported }

        guard message.qos != .atMostOnce else {
            let packet = try makePublish(message, packetIdentifier: nil)
            lastOutbound = now
            return (nil, .write(.publish(packet)))
        }
        let requestID = makeRequestID()
        guard publishesInFlight < Int(info.receiveMaximum) else {
            try checkSize(.publish(PublishPacket(message: message, packetIdentifier: 1, version: version)))
            queuedPublishes.append((requestID, message))
            return (requestID, .none)
        }
        guard let packetIdentifier = allocatePacketIdentifier() else { throw .packetIdentifiersExhausted }
        let packet = try makePublish(message, packetIdentifier: packetIdentifier)
        outbound[packetIdentifier] =
            message.qos == .atLeastOnce ? .publishAwaitingPubAck(requestID) : .publishAwaitingPubRec(requestID)
        publishesInFlight += 1
        lastOutbound = now
        return (requestID, .write(.publish(packet)))
    }

    /// Subscribes; completes with one reason code per subscription.
    public mutating func subscribe(
        _ subscriptions: [Subscription], properties: MQTTProperties = [], now: NIODeadline
    ) throws(MQTTClientError) -> (MQTTRequestID, Action) {
        guard phase == .connected else { throw .notConnected }
        for subscription in subscriptions {
            do {
                try TopicRules.validateTopicFilter(subscription.filter)
            } catch {
                throw .invalidTopic(subscription.filter, reason: "\(error)")
            }
        }
        guard let packetIdentifier = allocatePacketIdentifier() else { throw .packetIdentifiersExhausted }
        let packet = MQTTPacket.subscribe(
            SubscribePacket(
                packetIdentifier: packetIdentifier, subscriptions: subscriptions,
                properties: version == .v5_0 ? properties : []))
        try checkSize(packet)
        let requestID = makeRequestID()
        outbound[packetIdentifier] = .subscribe(requestID, count: subscriptions.count)
        lastOutbound = now
        return (requestID, .write(packet))
    }

    /// Unsubscribes; completes with one reason code per filter.
    public mutating func unsubscribe(
        _ filters: [String], properties: MQTTProperties = [], now: NIODeadline
    ) throws(MQTTClientError) -> (MQTTRequestID, Action) {
        guard phase == .connected else { throw .notConnected }
        for filter in filters {
            do {
                try TopicRules.validateTopicFilter(filter)
            } catch {
                throw .invalidTopic(filter, reason: "\(error)")
            }
        }
        guard let packetIdentifier = allocatePacketIdentifier() else { throw .packetIdentifiersExhausted }
        let packet = MQTTPacket.unsubscribe(
            UnsubscribePacket(
                packetIdentifier: packetIdentifier, filters: filters, properties: version == .v5_0 ? properties : []))
        try checkSize(packet)
        let requestID = makeRequestID()
        outbound[packetIdentifier] = .unsubscribe(requestID, count: filters.count)
        lastOutbound = now
        return (requestID, .write(packet))
    }

    /// Ends the connection the way `ending` describes. A silent connection can still be ended
    /// abruptly; any other second close is ignored.
    public mutating func close(_ ending: MQTTEnding) -> Action {
        switch phase {
        case .closing, .closed:
            return .none
        case .silent:
            guard ending == .abrupt else { return .none }
            closeReason = .ended(.abrupt)
            phase = .closing
            return .close(writing: nil, abrupt: true)
        case .initialized, .awaitingConnAck, .connected:
            let wasActive = phase != .initialized
            closeReason = .ended(ending)
            switch ending {
            case .graceful:
                phase = .closing
                return .close(writing: wasActive ? .disconnect(DisconnectPacket(reasonCode: .normalDisconnection)) : nil, abrupt: false)
            case .gracefulWithWill:
                phase = .closing
                let disconnect: MQTTPacket? =
                    wasActive && version == .v5_0
                    ? .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)) : nil
                return .close(writing: disconnect, abrupt: false)
            case .abrupt:
                phase = .closing
                return .close(writing: nil, abrupt: true)
            case .silent:
                phase = .silent
                return .goSilent
            }
        }
    }

    /// `packet` could not be encoded (a caller-supplied value MQTT cannot carry). A request's packet
    /// fails only that request and frees its identifier; any other packet ends the connection.
    public mutating func encodingFailed(_ packet: MQTTPacket, _ error: MQTTEncodeError) -> Action {
        let packetIdentifier: UInt16?
        switch packet {
        case .publish(let publish) where publish.qos == .atMostOnce:
            return .none
        case .publish(let publish):
            packetIdentifier = publish.packetIdentifier
        case .subscribe(let subscribe):
            packetIdentifier = subscribe.packetIdentifier
        case .unsubscribe(let unsubscribe):
            packetIdentifier = unsubscribe.packetIdentifier
        default:
            packetIdentifier = nil
        }
        guard let packetIdentifier, let request = outbound.removeValue(forKey: packetIdentifier) else {
            return errorCaught(.encodingFailed(error))
        }
        var next: MQTTPacket?
        switch request {
        case .publishAwaitingPubAck, .publishAwaitingPubRec, .publishAwaitingPubComp:
            publishesInFlight -= 1
            next = nextQueuedPublish()
        case .subscribe, .unsubscribe:
            next = nil
        }
        return .completeRequest(request.requestID, .failure(.encodingFailed(error)), thenWrite: next)
    }

    /// The channel is being closed by its owner without one of the four endings; recorded so the
    /// report does not blame the broker.
    public mutating func closeRequestedByChannel() {
        switch phase {
        case .initialized, .awaitingConnAck, .connected:
            closeReason = .failed(.connectionClosed)
            phase = .closing
        case .silent, .closing, .closed:
            break
        }
    }

    // MARK: - Inbound packets

    private mutating func packetReceived(_ packet: MQTTPacket) -> Action {
        if phase == .awaitingConnAck {
            switch packet {
            case .connack(let connAck):
                return connAckReceived(connAck)
            case .disconnect(let disconnect):
                return serverDisconnected(disconnect)
            default:
                return fail(with: .init(reasonCode: .protocolError, detail: "\(packet.type) before CONNACK"))
            }
        }
        switch packet {
        case .publish(let publish):
            return publishReceived(publish)
        case .puback(let ack):
            guard case .publishAwaitingPubAck(let requestID) = outbound[ack.packetIdentifier] else {
                return unknownIdentifier(ack.packetIdentifier, in: .puback)
            }
            return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
        case .pubrec(let ack):
            switch outbound[ack.packetIdentifier] {
            case .publishAwaitingPubRec(let requestID):
                if ack.reasonCode.isFailure {
                    return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
                }
                outbound[ack.packetIdentifier] = .publishAwaitingPubComp(requestID)
                return .write(.pubrel(PublishAckPacket(packetIdentifier: ack.packetIdentifier)))
            case .publishAwaitingPubComp:
                return .write(.pubrel(PublishAckPacket(packetIdentifier: ack.packetIdentifier)))
            default:
                return unknownIdentifier(ack.packetIdentifier, in: .pubrec)
            }
        case .pubrel(let ack):
            let known = inboundAwaitingRelease.remove(ack.packetIdentifier) != nil
            let code: ReasonCode = known || version == .v3_1_1 ? .success : .packetIdentifierNotFound
            return .write(.pubcomp(PublishAckPacket(packetIdentifier: ack.packetIdentifier, reasonCode: code)))
        case .pubcomp(let ack):
            guard case .publishAwaitingPubComp(let requestID) = outbound[ack.packetIdentifier] else {
                return unknownIdentifier(ack.packetIdentifier, in: .pubcomp)
            }
            return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
        case .suback(let ack):
            guard case .subscribe(let requestID, let count) = outbound[ack.packetIdentifier] else {
                return unknownIdentifier(ack.packetIdentifier, in: .suback)
            }
            guard ack.reasonCodes.count == count else {
                return fail(
                    with: .init(
                        reasonCode: .protocolError,
                        detail: "SUBACK with \(ack.reasonCodes.count) reason codes for \(count) subscriptions"))
            }
            outbound[ack.packetIdentifier] = nil
            return .completeRequest(requestID, .success(.subscribed(ack.reasonCodes)), thenWrite: nil)
        case .unsuback(let ack):
            guard case .unsubscribe(let requestID, let count) = outbound[ack.packetIdentifier] else {
                return unknownIdentifier(ack.packetIdentifier, in: .unsuback)
            }
            let codes =
                version == .v3_1_1 && ack.reasonCodes.isEmpty
                ? Array(repeating: ReasonCode.success, count: count) : ack.reasonCodes
            guard codes.count == count else {
                return fail(
                    with: .init(
                        reasonCode: .protocolError,
                        detail: "UNSUBACK with \(codes.count) reason codes for \(count) filters"))
            }
            outbound[ack.packetIdentifier] = nil
            return .completeRequest(requestID, .success(.unsubscribed(codes)), thenWrite: nil)
        case .pingresp:
            pingResponseDeadline = nil
            return .none
        case .disconnect(let disconnect):
            return serverDisconnected(disconnect)
        case .connack, .connect, .subscribe, .unsubscribe, .pingreq, .auth:
            return fail(with: .init(reasonCode: .protocolError, detail: "unexpected \(packet.type) from the server"))
        }
    }

    private mutating func connAckReceived(_ connAck: ConnAckPacket) -> Action {
        guard !connAck.reasonCode.isFailure else {
            closeReason = .failed(.connectionRefused(connAck.reasonCode, reasonString: connAck.properties.reasonString))
            phase = .closing
            return .close(writing: nil, abrupt: false)
        }
        let info = MQTTConnAckInfo(connAck: connAck, configuration: configuration)
        connAckInfo = info
        phase = .connected
        connAckDeadline = nil
        guard info.keepAliveSeconds > 0 else {
            keepAlive = nil
            return .connected(info, timer: nil)
        }
        let interval = TimeAmount.seconds(Int64(info.keepAliveSeconds))
        keepAlive = interval
        return .connected(info, timer: lastOutbound + interval)
    }

    private mutating func publishReceived(_ received: PublishPacket) -> Action {
        var publish = received
        if let alias = publish.properties.topicAlias {
            guard alias > 0, alias <= configuration.topicAliasMaximum else {
                return fail(
                    with: .init(
                        reasonCode: .topicAliasInvalid,
                        detail: "topic alias \(alias) outside 1...\(configuration.topicAliasMaximum)"))
            }
            if publish.topic.isEmpty {
                guard let topic = inboundAliases[alias] else {
                    return fail(with: .init(reasonCode: .protocolError, detail: "topic alias \(alias) was never set"))
                }
                publish.topic = topic
            } else {
                inboundAliases[alias] = publish.topic
            }
        } else if publish.topic.isEmpty {
            return fail(with: .init(reasonCode: .protocolError, detail: "PUBLISH with an empty topic and no alias"))
        }
        switch publish.qos {
        case .atMostOnce:
            return .deliver(publish, acknowledge: nil)
        case .atLeastOnce:
            guard let packetIdentifier = publish.packetIdentifier else { return missingIdentifier() }
            return .deliver(publish, acknowledge: .puback(PublishAckPacket(packetIdentifier: packetIdentifier)))
        case .exactlyOnce:
            guard let packetIdentifier = publish.packetIdentifier else { return missingIdentifier() }
            let pubrec = MQTTPacket.pubrec(PublishAckPacket(packetIdentifier: packetIdentifier))
            if inboundAwaitingRelease.contains(packetIdentifier) {
                return .write(pubrec)
            }
            if version == .v5_0, inboundAwaitingRelease.count >= Int(configuration.receiveMaximum ?? .max) {
                return fail(
                    with: .init(
                        reasonCode: .receiveMaximumExceeded,
                        detail: "more than \(configuration.receiveMaximum ?? .max) QoS 2 publishes unreleased"))
            }
            inboundAwaitingRelease.insert(packetIdentifier)
            return .deliver(publish, acknowledge: pubrec)
        }
    }

    private mutating func serverDisconnected(_ disconnect: DisconnectPacket) -> Action {
        closeReason = .failed(
            .serverDisconnected(disconnect.reasonCode, reasonString: disconnect.properties.reasonString))
        phase = .closing
        return .close(writing: nil, abrupt: false)
    }

    /// Ends the outbound publish flow for `packetIdentifier` and lets the next queued publish through.
    private mutating func complete(
        _ packetIdentifier: UInt16, _ requestID: MQTTRequestID, _ outcome: MQTTRequestOutcome
    ) -> Action {
        outbound[packetIdentifier] = nil
        publishesInFlight -= 1
        return .completeRequest(requestID, .success(outcome), thenWrite: nextQueuedPublish())
    }

    private mutating func nextQueuedPublish() -> MQTTPacket? {
        guard let info = connAckInfo, publishesInFlight < Int(info.receiveMaximum), queueHead < queuedPublishes.count
        else { return nil }
        guard let packetIdentifier = allocatePacketIdentifier() else { return nil }
        let (requestID, message) = queuedPublishes[queueHead]
        queueHead += 1
        if queueHead == queuedPublishes.count {
            queuedPublishes.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        let packet: PublishPacket
        do {
            packet = try makePublish(message, packetIdentifier: packetIdentifier)
        } catch {
            // Checked to fit without an alias when queued; send it without one.
            packet = PublishPacket(message: message, packetIdentifier: packetIdentifier, version: version)
        }
        outbound[packetIdentifier] =
            message.qos == .atLeastOnce ? .publishAwaitingPubAck(requestID) : .publishAwaitingPubRec(requestID)
        publishesInFlight += 1
        return .publish(packet)
    }

    // MARK: - Failures

    private mutating func fail(with violation: MQTTProtocolViolation) -> Action {
        closeReason = .failed(.protocolViolation(violation))
        phase = .closing
        let disconnect: MQTTPacket? =
            version == .v5_0 ? .disconnect(DisconnectPacket(reasonCode: violation.reasonCode)) : nil
        return .close(writing: disconnect, abrupt: false)
    }

    private mutating func decodingFailed(_ error: MQTTDecodeError) -> Action {
        let code: ReasonCode
        if case .packetTooLarge = error.kind { code = .packetTooLarge } else { code = .malformedPacket }
        return fail(with: .init(reasonCode: code, detail: error.description, decodeError: error))
    }

    private mutating func unknownIdentifier(_ packetIdentifier: UInt16, in type: MQTTPacketType) -> Action {
        fail(
            with: .init(
                reasonCode: .protocolError,
                detail: "\(type) for packet identifier \(packetIdentifier), which no request of ours uses"))
    }

    private mutating func missingIdentifier() -> Action {
        fail(with: .init(reasonCode: .protocolError, detail: "QoS 1/2 PUBLISH without packet identifier"))
    }

    // MARK: - Helpers

    private mutating func makeRequestID() -> MQTTRequestID {
        defer { nextRequestID += 1 }
        return MQTTRequestID(nextRequestID)
    }

    /// The next free packet identifier after the last one handed out (1...65535, wrapping, skipping
    /// identifiers still in flight).
    private mutating func allocatePacketIdentifier() -> UInt16? {
        guard outbound.count < Int(UInt16.max) else { return nil }
        var candidate = nextPacketIdentifier
        while candidate == 0 || outbound[candidate] != nil {
            candidate &+= 1
        }
        nextPacketIdentifier = candidate &+ 1
        return candidate
    }

    /// Builds the PUBLISH, using a topic alias when enabled and allowed, and refuses it if it would
    /// exceed the server's Maximum Packet Size.
    private mutating func makePublish(
        _ message: MQTTMessage, packetIdentifier: UInt16?
    ) throws(MQTTClientError) -> PublishPacket {
        var packet = PublishPacket(message: message, packetIdentifier: packetIdentifier, version: version)
        guard version == .v5_0, configuration.useTopicAliases, let info = connAckInfo, info.topicAliasMaximum > 0
        else {
            try checkSize(.publish(packet))
            return packet
        }
        if let alias = outboundAliases[message.topic] {
            packet.topic = ""
            packet.properties.append(.topicAlias(alias))
            try checkSize(.publish(packet))
            return packet
        }
        try checkSize(.publish(packet))
        guard outboundAliases.count < Int(info.topicAliasMaximum) else { return packet }
        var aliased = packet
        let alias = UInt16(outboundAliases.count + 1)
        aliased.properties.append(.topicAlias(alias))
        guard fits(.publish(aliased)) else { return packet }
        outboundAliases[message.topic] = alias
        return aliased
    }

    private func fits(_ packet: MQTTPacket) -> Bool {
        guard let maximum = connAckInfo?.maximumPacketSize else { return true }
        return packet.encodedSize(version: version) <= Int(maximum)
    }

    private func checkSize(_ packet: MQTTPacket) throws(MQTTClientError) {
        guard let maximum = connAckInfo?.maximumPacketSize else { return }
        let size = packet.encodedSize(version: version)
        guard size <= Int(maximum) else { throw .packetTooLarge(size: size, maximum: Int(maximum)) }
    }
}

extension PublishPacket {
    /// The PUBLISH for `message`; MQTT 3.1.1 has no properties, so they are left out there.
    init(message: MQTTMessage, packetIdentifier: UInt16?, version: MQTTProtocolVersion) {
        self.init(
            topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, dup: false,
            packetIdentifier: packetIdentifier, properties: version == .v5_0 ? message.properties : [])
    }
}
