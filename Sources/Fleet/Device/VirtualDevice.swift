#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import Scenario

/// One simulated device, living on one event loop: its firmware state machine, its timers, its
/// current connection and its telemetry ground truth. No thread, no Task: NIO timers feed the
/// firmware events, and the firmware's actions become writes on the device's connection.
final class VirtualDevice {
    let plan: DevicePlan
    let profile: DeviceProfile
    private let environment: DeviceEnvironment
    private var firmware: DeviceFirmware
    private var payloadRandom: SeededGenerator
    private var link: (any DeviceLink)?
    /// Numbers connections, so that late callbacks from a connection already replaced are ignored.
    private var linkGeneration = 0
    private var bootTimer: Scheduled<Void>?
    private var telemetryTimer: Scheduled<Void>?
    private var reconnectTimer: Scheduled<Void>?
    private var shape = LinkShape.unshaped
    private var certificateFault: CertFaultKind?
    /// What a SAS device gets wrong in its token while a `sas-fault` lasts.
    private var sasFault: SASFaultKind?
    /// What the current connection's token presented (nil: a good token, or no SAS).
    private var presentedSASFault: String?
    /// The current connection's token expiry (Unix seconds), and the timer that renews it before then.
    private var tokenExpiry: Int?
    private var renewalTimer: Scheduled<Void>?
    /// A graceful end of the connection is under way to reconnect with a fresh token.
    private var reconnectingWithNewToken = false
    private var bootedAt: NIODeadline?
    /// When the device last sent a packet of its own (CONNECT, SUBSCRIBE, PUBLISH), run-clock ns.
    private var lastPacketAt: UInt64?
    /// The keep-alive in force on the current connection (the broker's Server Keep Alive if it sent one).
    private var negotiatedKeepAlive: UInt16?
    /// Why the current connection is being closed by us, so its close is logged as that cause.
    private var endingInProgress: MQTTEnding?
    /// What the persistent session carries to the next connection (nil while a connection holds it, or
    /// when the session ends with each connection).
    private var session: DeviceSession?
    /// A connection of this run was accepted with a session that outlives it, so the device holds session
    /// state the broker may resume. Until then an MQTT 5 device asks for a clean start: a client without
    /// session state must not take over one the broker kept from an earlier run ([MQTT-3.2.2-4]), whose packet
    /// identifiers would swallow its new QoS 2 publishes. MQTT 3.1.1 has no such rule, and Clean Session 1
    /// would give it no persistent session at all, so a 3.1.1 device connects as its firmware says.
    private var holdsSessionState = false
    /// A refused publish, and a packet over the buffer, are logged once per connection (a hostile broker
    /// must not grow the ledger without bound).
    private var refusalLoggedForGeneration = 0
    private var discardLoggedForGeneration = 0
    /// An impostor with this device's client ID is running (a `duplicate-client-id` step).
    var impostorActive = false
    /// The group's IoT Hub twin requests (`twin:`), and the timer of the next reported patch.
    private var twin: DeviceTwinClient?
    private var twinTimer: Scheduled<Void>?
    private(set) var sent: UInt64 = 0
    private(set) var acked: UInt64 = 0
    /// Messages delivered to the device on its subscriptions.
    private(set) var received: UInt64 = 0
    private(set) var lastSequence: UInt64?

    /// A device of the fleet, or an impostor borrowing a device's client ID and identity.
    enum Role {
        case device
        /// Connects, and reconnects every `every` up to `retries` times after being taken over; sends
        /// nothing else. Its own connections are not logged (the real device's `takenOver` ends are).
        case impostor(every: Duration, retries: Int?)
    }

    let role: Role

    init(plan: DevicePlan, profile: DeviceProfile, environment: DeviceEnvironment, seed: UInt64, role: Role = .device) {
        self.plan = plan
        self.profile = profile
        self.environment = environment
        self.role = role
        var settings = profile.firmware
        if case .impostor(let every, let retries) = role {
            // `impostor-retries: N` is N tries after the first: N + 1 attempts (one more after a takeover it won).
            settings = DeviceFirmware.Settings(
                bootDelay: .zero, telemetryInterval: nil, subscribes: false, publishesBirth: false,
                reconnect: RetryPolicy(backoff: .fixed(every), maxAttempts: retries.map { $0 + 1 }))
        }
        firmware = DeviceFirmware(settings: settings,
                                  random: SeededGenerator(seed: seed, stream: UInt64(plan.ordinal) &* 2 &+ 1))
        payloadRandom = SeededGenerator(seed: seed, stream: UInt64(plan.ordinal) &* 2 &+ 2)
        if case .device = role { twin = profile.group.twin.map(DeviceTwinClient.init) }
    }

    private var isolatedLoop: NIOIsolatedEventLoop { environment.eventLoop.assumeIsolatedUnsafeUnchecked() }
    var phase: DeviceFirmware.Phase { firmware.phase }
    var hasOpenLink: Bool { link != nil }

    var telemetryCount: DeviceTelemetryCount {
        DeviceTelemetryCount(clientID: plan.clientID, sent: sent, acked: acked, lastSequence: lastSequence,
                             received: received)
    }

    // MARK: commands from the timeline

    func powerOn() { handle(.powerOn) }

    func disconnect(_ mode: DisconnectMode, resume: ReconnectSpec) {
        let ending = Self.ending(mode)
        let now = environment.clock.now()
        environment.counters.faults += 1
        if firmware.phase == .online {
            record(.faultInjected(
                fault: Self.faultKind(mode), detail: nil,
                lastPacketAt: ending == .silent ? lastPacketEstimate(now: now) : now,
                keepAlive: negotiatedKeepAlive,
                willDelay: plan.will?.delay.map { UInt32(clamping: $0.components.seconds) },
                expectWill: plan.will != nil && ending != .graceful,
                sessionExpiry: profile.version == .v5_0
                    ? UInt32(clamping: profile.group.sessionExpiry?.components.seconds ?? 0) : nil))
        } else {
            // Selected, but not online right now: nothing to cut, no will to expect.
            record(.faultInjected(fault: Self.faultKind(mode), detail: "not connected (\(firmware.phase))", expectWill: false))
        }
        let resumeRule: DeviceFirmware.Resume = switch resume {
        case .after(let delay): .after(delay)
        case .byPolicy: .byPolicy
        case .never: .never
        }
        handle(.disconnect(ending, resume: resumeRule))
    }

    func reconnectNow() { handle(.reconnectNow) }

    func burst(count: Int) {
        guard firmware.phase == .online else { return }
        environment.counters.traffic += 1
        record(.faultInjected(fault: .burst, detail: "\(count) messages"))
        handle(.burst(count: count))
    }

    func throttle(_ newShape: LinkShape, detail: String) {
        shape = newShape
        link?.shape(newShape)
        let unthrottled = newShape.isUnshaped
        if !unthrottled { environment.counters.faults += 1 }
        record(.faultInjected(fault: unthrottled ? .unthrottled : .throttled, detail: detail))
    }

    func presentCertificateFault(_ kind: CertFaultKind) {
        certificateFault = kind
        environment.counters.faults += 1
        record(.faultInjected(fault: .certFault, detail: kind.rawValue))
    }

    /// From now on the device presents a faulty token (nil: good ones again); an online device reconnects at
    /// once, as on a renewal, so the broker sees the faulty token now.
    func presentSASFault(_ kind: SASFaultKind?) {
        guard case .sas = plan.credentials else { return }
        sasFault = kind
        guard let kind else { return }
        environment.counters.faults += 1
        record(.faultInjected(fault: .sasFault, detail: kind.rawValue))
        if firmware.phase == .online { reconnectWithNewToken() }
    }

    /// Ends the connection gracefully (DISCONNECT: the broker discards the will) and connects again once it has
    /// closed, as the Azure IoT SDKs reauthorize ("will issue disconnect and then a connect").
    private func reconnectWithNewToken() {
        reconnectingWithNewToken = true
        handle(.disconnect(.graceful, resume: .never))
    }

    private func scheduleRenewal() {
        renewalTimer?.cancel()
        renewalTimer = nil
        guard case .device = role, case .sas(let sas) = plan.credentials, presentedSASFault == nil else { return }
        let generation = linkGeneration
        renewalTimer = isolatedLoop.scheduleTask(in: TimeAmount(SASTokenIssuer.renewalDelay(sas))) {
            guard self.linkGeneration == generation, self.firmware.phase == .online else { return }
            self.record(.tokenRenewed(expiry: self.tokenExpiry ?? 0))
            self.reconnectWithNewToken()
        }
    }

    func stop(_ mode: StopMode) {
        handle(.stop(mode == .graceful ? .graceful : .abrupt))
    }

    // MARK: firmware

    private var isImpostor: Bool {
        if case .impostor = role { return true }
        return false
    }

    private func record(_ kind: RunEventKind) {
        guard !isImpostor else { return }
        environment.record(plan.clientID, kind)
    }

    /// Actions waiting to run. An action can call back into the device synchronously (a connect that
    /// fails at once); queueing keeps events strictly one after another, and the buffer is reused.
    private var pendingActions: [DeviceFirmware.Action] = []
    private var performing = false

    private func handle(_ event: DeviceFirmware.Event) {
        let before = firmware.phase.counterColumn
        firmware.handle(event) { pendingActions.append($0) }
        let after = firmware.phase.counterColumn
        defer { drainActions() }
        if before != after, !isImpostor {
            if let before { environment.counters[keyPath: before] -= 1 }
            if let after { environment.counters[keyPath: after] += 1 }
        }
    }

    private func drainActions() {
        guard !performing else { return }
        performing = true
        var next = 0
        while next < pendingActions.count {
            let action = pendingActions[next]
            next += 1
            perform(action)
        }
        pendingActions.removeAll(keepingCapacity: true)
        performing = false
    }

    private func perform(_ action: DeviceFirmware.Action) {
        switch action {
        case .scheduleBoot(let delay):
            bootedAt = environment.eventLoop.now
            bootTimer = isolatedLoop.scheduleTask(in: TimeAmount(delay)) { self.handle(.bootCompleted) }
        case .openConnection(let attempt):
            openConnection(attempt: attempt)
        case .closeConnection(let ending):
            closeConnection(ending)
        case .subscribe:
            subscribe()
        case .publishBirth:
            publishBirth()
        case .publishTelemetry(let first, let count):
            for offset in 0..<count { publishTelemetry(sequence: first &+ UInt64(offset)) }
        case .scheduleTelemetry(let interval):
            telemetryTimer = isolatedLoop.scheduleTask(in: TimeAmount(interval)) { self.handle(.telemetryDue) }
        case .scheduleReconnect(let delay):
            reconnectTimer = isolatedLoop.scheduleTask(in: TimeAmount(delay)) { self.handle(.reconnectDue) }
        case .cancelTimers:
            bootTimer?.cancel()
            telemetryTimer?.cancel()
            reconnectTimer?.cancel()
            bootTimer = nil
            telemetryTimer = nil
            reconnectTimer = nil
        case .gaveUp(let attempts):
            record(.connectFailed(stage: .tcp, reason: "gave up after \(attempts) attempt" + (attempts == 1 ? "" : "s")))
        }
    }

    private func openConnection(attempt: Int) {
        if let previous = link {
            // A device coming back while its old connection is still open (silent): that socket is dead to it.
            endingInProgress = .abrupt
            previous.end(.abrupt, drain: false)
            detachLink()
        }
        record(.connecting(attempt: attempt))
        endingInProgress = nil
        if !isImpostor { environment.counters.openLinks += 1 }
        var configuration = profile.connectionConfiguration(for: plan)
        if case .device = role, !holdsSessionState, configuration.version == .v5_0 { configuration.cleanStart = true }
        if case .sas(let sas) = plan.credentials {
            let issued = SASTokenIssuer.issue(sas, now: environment.wallClock.unixSeconds(), fault: sasFault)
            configuration.password = ByteBuffer(string: issued.token)
            tokenExpiry = issued.expiry
            presentedSASFault = issued.fault
        }
        linkGeneration += 1
        let carried = session
        session = nil
        link = environment.links.open(device: plan, configuration: configuration, session: carried,
                                      certificateFault: certificateFault, shape: shape, on: environment.eventLoop,
                                      delegate: LinkCallbacks(device: self, generation: linkGeneration))
    }

    private func closeConnection(_ ending: DeviceFirmware.Ending) {
        guard let link else { return }
        let mqttEnding = Self.mqttEnding(ending)
        endingInProgress = mqttEnding
        link.end(mqttEnding, drain: firmware.phase == .stopped)
    }

    private func detachLink() {
        if link != nil, !isImpostor { environment.counters.openLinks -= 1 }
        link = nil
        renewalTimer?.cancel()
        renewalTimer = nil
        twinTimer?.cancel()
        twinTimer = nil
        twin?.connectionLost()
    }

    private func subscribe() {
        guard let link else { return }
        let subscriptions = plan.subscribe.map { Subscription(filter: $0.filter, qos: QoS(clamping: $0.qos)) }
        let started = environment.clock.now()
        lastPacketAt = started
        link.subscribe(subscriptions) { [self] codes in
            let refused = zip(plan.subscribe, codes).filter { $0.1.isFailure }
            for (subscription, code) in refused {
                record(.subscribeRefused(filter: subscription.filter, reasonCode: code.rawValue))
            }
            if refused.isEmpty, codes.count == subscriptions.count {
                record(.subscribed(filters: codes.count, subackNs: environment.clock.now() &- started))
                startTwin()
            }
        }
    }

    private func publishBirth() {
        guard let link, let birth = plan.birth else { return }
        lastPacketAt = environment.clock.now()
        link.publish(MQTTMessage(topic: birth.topic, payload: ByteBuffer(string: birth.payload),
                                 qos: QoS(clamping: birth.qos), retain: birth.retain), telemetry: false)
    }

    private func publishTelemetry(sequence: UInt64) {
        guard let link, let telemetry = plan.telemetry, let template = profile.payload else { return }
        let context = PayloadContext(clientID: plan.clientID, index: plan.index, group: plan.group)
        let now = environment.eventLoop.now
        let uptime = bootedAt.map { (now - $0).nanoseconds / 1_000_000 } ?? 0
        let unixMillis = profile.telemetryUsesTimestamp ? Self.unixMillis() : 0
        let allocator = ByteBufferAllocator()
        let payload = template.render(
            device: context, sequence: sequence, unixMillis: unixMillis,
            uptimeMillis: uptime, random: &payloadRandom, allocator: allocator)
        var properties = profile.telemetryProperties
        for (name, value) in profile.telemetryUserProperties {
            let rendered = value.render(device: context, sequence: sequence, unixMillis: unixMillis,
                                        uptimeMillis: uptime, random: &payloadRandom, allocator: allocator)
            properties.append(.userProperty(name, String(buffer: rendered)))
        }
        sent &+= 1
        lastSequence = sequence
        environment.counters.messagesOut &+= 1
        lastPacketAt = environment.clock.now()
        let message = MQTTMessage(topic: telemetry.topic, payload: payload, qos: profile.telemetryQoS,
                                  retain: telemetry.retain, properties: properties)
        link.publish(message, telemetry: true)
    }

    /// Answers a received message by the first response rule it matches, after the rule's processing time, on
    /// the connection it came in on (a reply due after a reconnect is dropped, as firmware would lose it).
    /// An MQTT 5 request's Response Topic and Correlation Data are honoured; a rule's `{rid}` and `{method}` take
    /// the request's `$rid` and method name (IoT Hub direct methods), and a request without them goes unanswered.
    private func answer(_ request: PublishPacket) {
        guard let index = plan.respond.firstIndex(where: { TopicRules.matches(filter: $0.filter, topic: request.topic) })
        else { return }
        let rule = plan.respond[index]
        guard let captures = rule.captures(answering: request.topic) else { return }
        let topic = request.properties.responseTopic ?? rule.replyTopic(captures)
        var properties = MQTTProperties()
        if profile.version == .v5_0, let correlation = request.properties.correlationData {
            properties.append(.correlationData(correlation))
        }
        let now = environment.eventLoop.now
        let payload = profile.responsePayloads[index].render(
            device: PayloadContext(clientID: plan.clientID, index: plan.index, group: plan.group),
            sequence: lastSequence ?? 0, unixMillis: Self.unixMillis(),
            uptimeMillis: bootedAt.map { (now - $0).nanoseconds / 1_000_000 } ?? 0,
            random: &payloadRandom, allocator: ByteBufferAllocator(), request: captures)
        let reply = MQTTMessage(topic: topic, payload: payload,
                                qos: QoS(clamping: rule.qos), retain: false, properties: properties)
        let generation = linkGeneration
        isolatedLoop.scheduleTask(in: TimeAmount(rule.after)) {
            guard self.linkGeneration == generation, let link = self.link else { return }
            self.lastPacketAt = self.environment.clock.now()
            link.publish(reply, telemetry: false)
        }
    }

    // MARK: link callbacks

    /// Forwards a connection's callbacks to its device while it is the device's current connection.
    private final class LinkCallbacks: DeviceLinkDelegate {
        weak var device: VirtualDevice?
        let generation: Int

        init(device: VirtualDevice, generation: Int) {
            self.device = device
            self.generation = generation
        }

        private var current: VirtualDevice? {
            guard let device, device.linkGeneration == generation, device.link != nil else { return nil }
            return device
        }

        func linkConnected(info: MQTTConnAckInfo, timings: MQTTPhaseTimings, resent: Int, abandoned: Int) {
            guard let device = current else { return }
            if resent > 0 || abandoned > 0 { device.record(.sessionCarried(resent: resent, abandoned: abandoned)) }
            device.linkConnected(info: info, timings: timings)
        }

        /// Only the current connection's session is carried on: a connection already replaced (a silent one
        /// the device gave up on) takes what it still had in flight with it, as the firmware's would.
        func linkKept(_ session: DeviceSession?) {
            guard let device = current else { return }
            device.session = session
        }

        func linkDiscarded(_ report: MQTTOversizedPacketDiscarded) {
            guard let device, device.linkGeneration == generation,
                  device.discardLoggedForGeneration != generation else { return }
            device.discardLoggedForGeneration = generation
            device.record(.oversizedPacketDropped(packetType: "\(report.packetType)", size: report.size,
                                                  limit: report.limit, deliveredBytes: report.deliveredBytes))
        }

        func linkRefusedPublish(topic: String, error: MQTTClientError) {
            guard let device, device.linkGeneration == generation else { return }
            guard device.refusalLoggedForGeneration != generation else { return }
            device.refusalLoggedForGeneration = generation
            device.record(.publishRefused(topic: topic, reason: error.description))
        }

        func linkFailed(stage: ConnectStage, error: MQTTClientError) {
            current?.linkFailed(stage: stage, error: error)
        }

        func linkClosed(_ reason: MQTTCloseReason) {
            current?.linkClosed(reason)
        }

        func linkReceived(_ message: PublishPacket) {
            guard let device, device.linkGeneration == generation else { return }
            device.received &+= 1
            // Only the session verdicts read these, and only for sessions that outlive connections: no
            // ledger line per message for the rest.
            if message.qos != .atMostOnce, device.profile.sessionOutlivesConnection {
                let facts = MessageFacts(qos: message.qos.rawValue, retain: message.retain,
                                         digest: MessageFacts.digest(message.payload.readableBytesView))
                device.record(.messageReceived(topic: message.topic, message: facts))
            }
            device.twinReceived(message.topic)
            device.answer(message)
        }

        func linkAcknowledgedTelemetry(latencyNs: UInt64) {
            guard let device, device.linkGeneration == generation else { return }
            device.acked &+= 1
            device.environment.counters.messagesAcked &+= 1
            device.environment.acknowledgementLatency.record(latencyNs)
        }
    }

    /// The device's last packet before going silent: its last own packet, or the last PINGREQ the
    /// client sent after a keep-alive interval without other packets.
    private func lastPacketEstimate(now: UInt64) -> UInt64? {
        guard let last = lastPacketAt else { return nil }
        guard let keepAlive = negotiatedKeepAlive, keepAlive > 0 else { return last }
        let interval = UInt64(keepAlive) * 1_000_000_000
        let idle = now &- last
        return last &+ (idle / interval) * interval
    }

    private func linkConnected(info: MQTTConnAckInfo, timings: MQTTPhaseTimings) {
        holdsSessionState = profile.sessionOutlivesConnection
        negotiatedKeepAlive = info.keepAliveSeconds
        lastPacketAt = environment.clock.now()
        record(.connected(
            tcpNs: Self.nanoseconds(timings.tcpDuration) ?? 0,
            tlsNs: Self.nanoseconds(timings.tlsDuration),
            webSocketNs: Self.nanoseconds(timings.webSocketUpgradeDuration),
            connackNs: Self.nanoseconds(timings.connAckDuration) ?? 0,
            sessionPresent: info.sessionPresent))
        handle(.connectSucceeded)
        scheduleRenewal()
    }

    private func linkFailed(stage: ConnectStage, error: MQTTClientError) {
        detachLink()
        var reasonCode: UInt8?
        if case .connectionRefused(let code, _) = error { reasonCode = code.rawValue }
        let presented = presentedSASFault.map { " — presented \($0)" } ?? ""
        record(.connectFailed(stage: stage, reason: error.description + presented, reasonCode: reasonCode))
        handle(.connectFailed)
    }

    private func linkClosed(_ reason: MQTTCloseReason) {
        detachLink()
        var (cause, detail) = Self.cause(of: reason, endingInProgress: endingInProgress)
        if cause == .serverDisconnect, impostorActive {
            // Brokers that just close the old connection (MQTT 3.1.1, mosquitto 2.0 on MQTT 5 too) say
            // nothing about why; the fleet knows an impostor holds this client ID.
            cause = .takenOver
            detail = (detail ?? "") + " (an impostor with this client ID is connecting)"
        }
        endingInProgress = nil
        record(.disconnected(cause: cause, detail: detail))
        handle(.connectionLost)
        if reconnectingWithNewToken {
            reconnectingWithNewToken = false
            handle(.reconnectNow)
        }
    }

    // MARK: mapping

    static func cause(of reason: MQTTCloseReason, endingInProgress: MQTTEnding?) -> (DisconnectCause, String?) {
        switch reason {
        case .ended(let ending):
            return (cause(of: ending), nil)
        case .failed(let error):
            if let endingInProgress { return (cause(of: endingInProgress), error.description) }
            switch error {
            case .serverDisconnected(let code, _) where code == .sessionTakenOver:
                return (.takenOver, error.description)
            case .serverDisconnected, .closedByPeer:
                return (.serverDisconnect, error.description)
            case .keepAliveTimeout:
                return (.keepAliveTimeout, error.description)
            default:
                return (.networkError, error.description)
            }
        }
    }

    static func cause(of ending: MQTTEnding) -> DisconnectCause {
        switch ending {
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        case .abrupt: .abrupt
        case .silent: .silent
        }
    }

    static func ending(_ mode: DisconnectMode) -> DeviceFirmware.Ending {
        switch mode {
        case .abrupt: .abrupt
        case .silent: .silent
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        }
    }

    static func faultKind(_ mode: DisconnectMode) -> FaultKind {
        switch mode {
        case .abrupt: .abrupt
        case .silent: .silent
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        }
    }

    static func mqttEnding(_ ending: DeviceFirmware.Ending) -> MQTTEnding {
        switch ending {
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        case .abrupt: .abrupt
        case .silent: .silent
        }
    }

    private static func nanoseconds(_ amount: TimeAmount?) -> UInt64? {
        amount.map { UInt64(max($0.nanoseconds, 0)) }
    }

    private static func unixMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// The device twin's requests on the device's connection (see `DeviceTwinClient`).
extension VirtualDevice {
    /// The subscriptions were granted: read the twin and report, as the SDKs do on connecting.
    func startTwin() {
        guard var client = twin else { return }
        let now = environment.clock.now()
        let actions = client.subscribed(now: now)
        twin = client
        performTwin(actions, now: now)
    }

    func twinReceived(_ topic: String) {
        guard var client = twin, topic.hasPrefix(DeviceTwinClient.responsePrefix) else { return }
        let now = environment.clock.now()
        let action = client.received(topic: topic, now: now)
        twin = client
        if let action { performTwin([action], now: now) }
    }

    /// Twin events carry the time the client was given, so each answer's round trip is exactly the gap
    /// between its request's event and its own.
    private func performTwin(_ actions: [DeviceTwinClient.Action], now: UInt64) {
        for action in actions {
            switch action {
            case .send(let request):
                sendTwinRequest(request, at: now)
            case .scheduleReport(let delay):
                let generation = linkGeneration
                twinTimer = isolatedLoop.scheduleTask(in: TimeAmount(delay)) {
                    guard self.linkGeneration == generation, self.link != nil, var client = self.twin else { return }
                    let now = self.environment.clock.now()
                    let actions = client.reportDue(now: now)
                    self.twin = client
                    self.performTwin(actions, now: now)
                }
            case .answered(let operation, let requestID, let status, let roundTripNs):
                environment.record(plan.clientID, .twinAnswered(operation: operation, requestID: requestID, status: status,
                                                                roundTripNs: roundTripNs), at: now)
            }
        }
    }

    private func sendTwinRequest(_ request: DeviceTwinClient.Request, at now: UInt64) {
        guard let link, let spec = twin?.spec else { return }
        var payload = ByteBuffer()
        if request.operation == .report, let template = profile.twinReport {
            let loopNow = environment.eventLoop.now
            payload = template.render(
                device: PayloadContext(clientID: plan.clientID, index: plan.index, group: plan.group),
                sequence: request.reportNumber, unixMillis: Self.unixMillis(),
                uptimeMillis: bootedAt.map { (loopNow - $0).nanoseconds / 1_000_000 } ?? 0,
                random: &payloadRandom, allocator: ByteBufferAllocator())
        }
        lastPacketAt = now
        environment.record(plan.clientID, .twinRequested(operation: request.operation, requestID: request.requestID), at: now)
        link.publish(MQTTMessage(topic: request.topic, payload: payload, qos: QoS(clamping: spec.qos), retain: false),
                     telemetry: false)
    }
}
