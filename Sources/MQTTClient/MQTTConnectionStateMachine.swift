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
        /// CONNACK accepted on a connection that carried a session: write `resend` (DUP publishes and
        /// PUBRELs when the server kept the session, in their original order), fail `abandoned` with
        /// `.sessionNotResumed` (it did not), then go on as for `connected`.
        case resumed(MQTTConnAckInfo, timer: NIODeadline?, resend: [MQTTPacket], abandoned: [MQTTRequestID])
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
        /// Carried over from an earlier connection; resent once Receive Maximum allows.
        case publishAwaitingResend(MQTTRequestID, released: Bool)
        case subscribe(MQTTRequestID, count: Int)
        case unsubscribe(MQTTRequestID, count: Int)

        var requestID: MQTTRequestID {
            switch self {
            case .publishAwaitingPubAck(let id), .publishAwaitingPubRec(let id), .publishAwaitingPubComp(let id),
                .publishAwaitingResend(let id, _), .subscribe(let id, _), .unsubscribe(let id, _):
                return id
            }
        }

        var isPublish: Bool {
            switch self {
            case .publishAwaitingPubAck, .publishAwaitingPubRec, .publishAwaitingPubComp, .publishAwaitingResend: true
            case .subscribe, .unsubscribe: false
            }
        }

        /// The acknowledgement this request waits for, named in a timeout.
        var awaited: MQTTPacketType? {
            switch self {
            case .publishAwaitingPubAck: .puback
            case .publishAwaitingPubRec: .pubrec
            case .publishAwaitingPubComp: .pubcomp
            case .subscribe: .suback
            case .unsubscribe: .unsuback
            case .publishAwaitingResend: nil
            }
        }
    }

    /// A request in flight: what it waits for, when that is overdue and, while the session may outlive
    /// the connection, the publish itself so that it can be resent.
    private struct Pending {
        var request: OutboundRequest
        var deadline: NIODeadline
        var message: MQTTMessage?
        /// First-sent order, which a resume keeps (MQTT 5 §4.6).
        var order: UInt64
    }

    public let configuration: MQTTConnectionConfiguration
    public private(set) var phase: Phase = .initialized
    /// What CONNACK said, once it arrived.
    public private(set) var connAckInfo: MQTTConnAckInfo?
    private var closeReason: MQTTCloseReason?

    private var nextRequestID: UInt64 = 1
    private var nextPacketIdentifier: UInt16 = 1
    private var outbound: [UInt16: Pending] = [:]
    private var nextOrder: UInt64 = 0
    /// Carried-over publishes still to be resent on this connection, in order.
    private var resendQueue: [UInt16] = []
    private var resendHead = 0
    /// Whether a session came with this connection (decides `resumed` over `connected`).
    private var carriedSession = false
    /// QoS 1/2 publishes sent and not yet completed, limited by the server's Receive Maximum.
    public private(set) var publishesInFlight = 0
    private var queuedPublishes: [(MQTTRequestID, MQTTMessage)] = []
    private var queueHead = 0
    /// QoS 2 packet identifiers received (PUBREC sent) and not yet released by PUBREL.
    private var inboundAwaitingRelease: Set<UInt16> = []
    private var outboundAliases: [String: UInt16] = [:]
    private var inboundAliases: [UInt16: String] = [:]

    private var connAckDeadline: NIODeadline?
    /// When the single timer is due, as last armed (`nil`: not armed).
    private var armedTimer: NIODeadline?
    /// The latest time an input brought, for work that follows an acknowledgement.
    private var latestNow: NIODeadline = .uptimeNanoseconds(0)
    private var keepAlive: TimeAmount?
    private var lastOutbound: NIODeadline = .uptimeNanoseconds(0)
    private var pingResponseDeadline: NIODeadline?

    /// `session`: what an earlier connection of the same client left (see `sessionAfterClose`).
    public init(configuration: MQTTConnectionConfiguration, session: MQTTClientSession? = nil) {
        self.configuration = configuration
        guard let session else { return }
        nextRequestID = session.nextRequestID
        nextPacketIdentifier = session.nextPacketIdentifier
        inboundAwaitingRelease = session.inboundAwaitingRelease
        for entry in session.inFlight {
            outbound[entry.packetIdentifier] = Pending(
                request: .publishAwaitingResend(entry.requestID, released: entry.released),
                deadline: .distantFuture, message: entry.message, order: nextOrder)
            nextOrder += 1
            resendQueue.append(entry.packetIdentifier)
        }
        queuedPublishes = session.unsent.map { ($0.requestID, $0.message) }
        carriedSession = session.pendingPublishCount > 0 || !session.inboundAwaitingRelease.isEmpty
    }

    /// The client's session state once the connection has closed, when the session outlives it (clean
    /// session 0 on 3.1.1; a Session Expiry Interval above 0 on MQTT 5); `nil` otherwise or while open.
    public private(set) var sessionAfterClose: MQTTClientSession?

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
        latestNow = now
        let deadline = now + configuration.connAckTimeout
        connAckDeadline = deadline
        lastOutbound = now
        armedTimer = deadline
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
        latestNow = now
        let packet: MQTTPacket
        do {
            packet = try MQTTPacket(frame: frame, version: version)
        } catch {
            return decodingFailed(error)
        }
        let action = packetReceived(packet)
        switch action {
        case .write, .deliver(_, acknowledge: .some), .completeRequest(_, _, thenWrite: .some), .resumed:
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
        let keepsPublishes = configuration.sessionOutlivesConnection
        var failed: [MQTTRequestID] = []
        var session = MQTTClientSession()
        for (packetIdentifier, pending) in outbound.sorted(by: { $0.value.order < $1.value.order }) {
            guard keepsPublishes, pending.request.isPublish, let message = pending.message else {
                failed.append(pending.request.requestID)
                continue
            }
            let released: Bool
            switch pending.request {
            case .publishAwaitingPubComp, .publishAwaitingResend(_, released: true): released = true
            default: released = false
            }
            session.inFlight.append(.init(packetIdentifier: packetIdentifier, requestID: pending.request.requestID,
                                          message: message, released: released))
        }
        failed.sort { $0.rawValue < $1.rawValue }
        if keepsPublishes {
            session.unsent = queuedPublishes[queueHead...].map { .init(requestID: $0.0, message: $0.1) }
            session.inboundAwaitingRelease = inboundAwaitingRelease
            session.nextRequestID = nextRequestID
            session.nextPacketIdentifier = nextPacketIdentifier
            sessionAfterClose = session
        } else {
            failed += queuedPublishes[queueHead...].map(\.0)
        }
        outbound = [:]
        queuedPublishes = []
        queueHead = 0
        resendQueue = []
        resendHead = 0
        publishesInFlight = 0
        return .reportClosed(reason, failedRequests: failed)
    }

    /// The single timer fired: CONNACK timeout, an acknowledgement overdue, keep-alive PINGREQ, or
    /// PINGRESP timeout.
    public mutating func timerFired(now: NIODeadline) -> Action {
        armedTimer = nil
        latestNow = now
        switch phase {
        case .awaitingConnAck:
            guard let deadline = connAckDeadline else { return .none }
            guard now >= deadline else { return arm(at: deadline) }
            closeReason = .failed(.connAckTimeout(configuration.connAckTimeout))
            phase = .closing
            return .close(writing: nil, abrupt: false)
        case .connected:
            let earliest = outbound.values.min { $0.deadline < $1.deadline }
            if let earliest, earliest.deadline <= now, let awaited = earliest.request.awaited {
                // What firmware does when the broker stops answering: give up on the connection and
                // reconnect by its retry policy.
                let timeout = awaited == .suback || awaited == .unsuback
                    ? configuration.subAckTimeout : configuration.publishAckTimeout
                closeReason = .failed(.acknowledgementTimeout(awaited, timeout))
                phase = .closing
                return .close(writing: nil, abrupt: false)
            }
            let ackDeadline = earliest.flatMap { $0.deadline == .distantFuture ? nil : $0.deadline }
            guard let keepAlive else { return ackDeadline.map { arm(at: $0) } ?? .none }
            if let pingDeadline = pingResponseDeadline {
                if now >= pingDeadline {
                    closeReason = .failed(.keepAliveTimeout(pingTimeout(keepAlive)))
                    phase = .closing
                    return .close(writing: nil, abrupt: true)
                }
                // One PINGREQ at a time: wait for its answer or its deadline.
                return arm(at: min(pingDeadline, ackDeadline ?? pingDeadline))
            }
            let due = lastOutbound + keepAlive
            guard now >= due else { return arm(at: min(due, ackDeadline ?? due)) }
            let pingDeadline = now + pingTimeout(keepAlive)
            pingResponseDeadline = pingDeadline
            lastOutbound = now
            let next = min(pingDeadline, now + keepAlive, ackDeadline ?? pingDeadline)
            armedTimer = next
            return .writeAndScheduleTimer(.pingreq, at: next)
        case .initialized, .silent, .closing, .closed:
            return .none
        }
    }

    private mutating func arm(at deadline: NIODeadline) -> Action {
        armedTimer = deadline
        return .scheduleTimer(at: deadline)
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
        latestNow = now
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
        let deadline = track(packetIdentifier, awaitingAcknowledgementOf: message, requestID, now: now)
        publishesInFlight += 1
        lastOutbound = now
        return (requestID, writeArmingTimer(.publish(packet), deadline: deadline))
    }

    /// Subscribes; completes with one reason code per subscription.
    public mutating func subscribe(
        _ subscriptions: [Subscription], properties: MQTTProperties = [], now: NIODeadline
    ) throws(MQTTClientError) -> (MQTTRequestID, Action) {
        guard phase == .connected else { throw .notConnected }
        latestNow = now
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
        let deadline = now + configuration.subAckTimeout
        outbound[packetIdentifier] = Pending(
            request: .subscribe(requestID, count: subscriptions.count), deadline: deadline, order: takeOrder())
        lastOutbound = now
        return (requestID, writeArmingTimer(packet, deadline: deadline))
    }

    /// Unsubscribes; completes with one reason code per filter.
    public mutating func unsubscribe(
        _ filters: [String], properties: MQTTProperties = [], now: NIODeadline
    ) throws(MQTTClientError) -> (MQTTRequestID, Action) {
        guard phase == .connected else { throw .notConnected }
        latestNow = now
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
        let deadline = now + configuration.subAckTimeout
        outbound[packetIdentifier] = Pending(
            request: .unsubscribe(requestID, count: filters.count), deadline: deadline, order: takeOrder())
        lastOutbound = now
        return (requestID, writeArmingTimer(packet, deadline: deadline))
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
        guard let packetIdentifier, let request = outbound.removeValue(forKey: packetIdentifier)?.request else {
            return errorCaught(.encodingFailed(error))
        }
        var next: MQTTPacket?
        switch request {
        case .publishAwaitingPubAck, .publishAwaitingPubRec, .publishAwaitingPubComp:
            publishesInFlight -= 1
            next = nextQueuedPublish()
        case .publishAwaitingResend, .subscribe, .unsubscribe:
            // A carried-over publish is not in flight until `resend` writes it (and changes its state).
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
            guard case .publishAwaitingPubAck(let requestID) = outbound[ack.packetIdentifier]?.request else {
                return unknownIdentifier(ack.packetIdentifier, in: .puback)
            }
            return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
        case .pubrec(let ack):
            switch outbound[ack.packetIdentifier]?.request {
            case .publishAwaitingPubRec(let requestID):
                if ack.reasonCode.isFailure {
                    return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
                }
                outbound[ack.packetIdentifier]?.request = .publishAwaitingPubComp(requestID)
                outbound[ack.packetIdentifier]?.deadline = latestNow + configuration.publishAckTimeout
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
            guard case .publishAwaitingPubComp(let requestID) = outbound[ack.packetIdentifier]?.request else {
                return unknownIdentifier(ack.packetIdentifier, in: .pubcomp)
            }
            return complete(ack.packetIdentifier, requestID, .published(ack.reasonCode))
        case .suback(let ack):
            guard case .subscribe(let requestID, let count) = outbound[ack.packetIdentifier]?.request else {
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
            guard case .unsubscribe(let requestID, let count) = outbound[ack.packetIdentifier]?.request else {
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
        if info.keepAliveSeconds > 0 {
            keepAlive = .seconds(Int64(info.keepAliveSeconds))
        } else {
            keepAlive = nil
        }
        guard carriedSession else {
            let timer = keepAlive.map { lastOutbound + $0 }
            armedTimer = timer
            return .connected(info, timer: timer)
        }
        var abandoned: [MQTTRequestID] = []
        var resent: [MQTTPacket] = []
        if connAck.sessionPresent {
            while let packet = nextQueuedPublish() { resent.append(packet) }
        } else {
            // The server has no session: the client discards its own (MQTT 5 §3.2.2.1.1); what it had in
            // flight is lost with it, and publishes never sent go out as new ones.
            inboundAwaitingRelease = []
            for packetIdentifier in resendQueue[resendHead...] {
                if let pending = outbound.removeValue(forKey: packetIdentifier) { abandoned.append(pending.request.requestID) }
            }
            resendQueue = []
            resendHead = 0
            while let packet = nextQueuedPublish() { resent.append(packet) }
        }
        let keepAliveDue = keepAlive.map { lastOutbound + $0 }
        let timer = [keepAliveDue, earliestAcknowledgementDeadline].compactMap { $0 }.min()
        armedTimer = timer
        return .resumed(info, timer: timer, resend: resent, abandoned: abandoned)
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

    /// The next publish Receive Maximum lets through: a carried-over one to resend first, then one queued.
    private mutating func nextQueuedPublish() -> MQTTPacket? {
        guard let info = connAckInfo, publishesInFlight < Int(info.receiveMaximum) else { return nil }
        if resendHead < resendQueue.count {
            let packetIdentifier = resendQueue[resendHead]
            resendHead += 1
            if resendHead == resendQueue.count {
                resendQueue.removeAll(keepingCapacity: false)
                resendHead = 0
            }
            return resend(packetIdentifier)
        }
        guard queueHead < queuedPublishes.count, let packetIdentifier = allocatePacketIdentifier() else { return nil }
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
        _ = track(packetIdentifier, awaitingAcknowledgementOf: message, requestID, now: latestNow)
        publishesInFlight += 1
        return .publish(packet)
    }

    /// The packet that resumes a carried-over publish: PUBLISH again with DUP and its old identifier, or
    /// PUBREL when the server had already answered PUBREC. No topic alias: aliases end with a connection.
    private mutating func resend(_ packetIdentifier: UInt16) -> MQTTPacket? {
        guard let pending = outbound[packetIdentifier], case .publishAwaitingResend(let requestID, let released) = pending.request,
              let message = pending.message
        else { return nil }
        publishesInFlight += 1
        outbound[packetIdentifier]?.deadline = latestNow + configuration.publishAckTimeout
        if released {
            outbound[packetIdentifier]?.request = .publishAwaitingPubComp(requestID)
            return .pubrel(PublishAckPacket(packetIdentifier: packetIdentifier))
        }
        outbound[packetIdentifier]?.request =
            message.qos == .atLeastOnce ? .publishAwaitingPubAck(requestID) : .publishAwaitingPubRec(requestID)
        var packet = PublishPacket(message: message, packetIdentifier: packetIdentifier, version: version)
        packet.dup = true
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

    /// Records a QoS 1/2 publish as awaiting PUBACK or PUBREC; returns when that is overdue.
    private mutating func track(
        _ packetIdentifier: UInt16, awaitingAcknowledgementOf message: MQTTMessage, _ requestID: MQTTRequestID,
        now: NIODeadline
    ) -> NIODeadline {
        let deadline = now + configuration.publishAckTimeout
        outbound[packetIdentifier] = Pending(
            request: message.qos == .atLeastOnce ? .publishAwaitingPubAck(requestID) : .publishAwaitingPubRec(requestID),
            deadline: deadline, message: configuration.sessionOutlivesConnection ? message : nil, order: takeOrder())
        return deadline
    }

    private mutating func takeOrder() -> UInt64 {
        defer { nextOrder += 1 }
        return nextOrder
    }

    /// Writes `packet`, arming the timer sooner if `deadline` comes before the one armed.
    private mutating func writeArmingTimer(_ packet: MQTTPacket, deadline: NIODeadline) -> Action {
        guard armedTimer.map({ deadline < $0 }) ?? true else { return .write(packet) }
        armedTimer = deadline
        return .writeAndScheduleTimer(packet, at: deadline)
    }

    /// The earliest acknowledgement deadline of the requests in flight.
    private var earliestAcknowledgementDeadline: NIODeadline? {
        outbound.values.lazy.map(\.deadline).min().flatMap { $0 == .distantFuture ? nil : $0 }
    }

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
