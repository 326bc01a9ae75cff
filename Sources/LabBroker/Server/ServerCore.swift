import DequeModule
import MQTTCore
import NIOCore

/// The engine and every connection of one server, confined to the server's one event loop.
///
/// Connection handlers hand it frames; it calls the engine, performs the actions on whichever
/// connections they name (routing), and flushes each touched connection once when the batch ends: at
/// the end of a read batch, after a timer tick, after a connection ended. One scheduled task drives the
/// engine's timers, at `min(engine.nextDeadline, now + 1 s)`.
///
/// Connection lifecycle, as `BrokerEngine` expects it: `connectionOpened` once the transport's handshakes
/// are done; then exactly one of (a) `connectionClosed` when the channel goes away without the engine
/// having asked (EOF, reset, a backlog or handshake bound, shutdown), or (b) nothing, when the engine
/// asked for the close with `.close` (it has already forgotten the connection).
final class ServerCore {
    let engine: BrokerEngine
    let eventLoop: any EventLoop
    /// Largest inbound packet: the profile's maximum, else the protocol's.
    let maximumPacketSize: Int
    private(set) var statistics = TransportStatistics()

    /// Every accepted connection until its channel is closed (handshaking ones included, for shutdown).
    private var connections: [ConnectionID: ServerConnectionHandler] = [:]
    private var lastConnectionID: UInt64 = 0
    /// Reused for every engine call, so a call allocates nothing here.
    private var actions: [BrokerAction] = []
    /// Connections written to in the current batch, flushed once at its end.
    private var touched: [ServerConnectionHandler] = []
    private var flushing: [ServerConnectionHandler] = []
    private var isEndingBatch = false

    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// Connections still in their TLS or WebSocket handshake, oldest first (their deadlines are in order).
    private var handshakes: Deque<(deadline: NIODeadline, connection: ServerConnectionHandler)> = []

    private var serverChannels: [any Channel] = []
    private var shutdownFuture: EventLoopFuture<Void>?
    var isShuttingDown: Bool { shutdownFuture != nil }

    /// The engine's timers are looked at at least this often; it also bounds how late a handshake timeout is.
    static let timerCeiling = TimeAmount.seconds(1)
    /// How long a client may take to finish its TLS handshake or WebSocket upgrade.
    static let handshakeTimeout = TimeAmount.seconds(10)
    /// The largest packet MQTT can express: fixed header byte, 4-byte remaining length, body.
    static let protocolMaximumPacketSize = 1 + 4 + Int(VariableByteInteger.maximum)

    init(engine: BrokerEngine, eventLoop: any EventLoop) {
        self.engine = engine
        self.eventLoop = eventLoop
        self.maximumPacketSize = engine.profile.maximumPacketSize.map { Int($0) } ?? Self.protocolMaximumPacketSize
    }

    /// Remembers the listening channels, closed by `shutdown`.
    func listening(on channel: any Channel) {
        serverChannels.append(channel)
    }

    // MARK: Connections

    /// A channel was accepted: gives it an ID and a handler for the caller to add to its pipeline (now,
    /// or after its WebSocket upgrade). Nil during shutdown, when the channel is closed instead.
    func makeConnection(for channel: any Channel, transport: ConnectionFacts.Transport) -> ServerConnectionHandler? {
        guard !isShuttingDown else {
            channel.close(promise: nil)
            return nil
        }
        lastConnectionID += 1
        return ServerConnectionHandler(id: ConnectionID(lastConnectionID), transport: transport, channel: channel, core: self)
    }

    /// The accepted channel's pipeline is built: the connection is tracked until `connectionEnded`. Its
    /// handler reports the end itself once in the pipeline; before a WebSocket upgrade it is not, so the
    /// channel's close future does (a callback per connection only where it is needed).
    func register(_ connection: ServerConnectionHandler, handlerIsInPipeline: Bool) {
        connections[connection.id] = connection
        statistics.connectionsAccepted += 1
        if connection.transport != .tcp {
            handshakes.append((eventLoop.now + Self.handshakeTimeout, connection))
        }
        if !handlerIsInPipeline {
            connection.channel.closeFuture.assumeIsolated().whenComplete { _ in
                connection.transportEnded()
            }
        }
    }

    func opened(_ connection: ServerConnectionHandler, facts: ConnectionFacts) {
        statistics.connectionsOpened += 1
        engine.connectionOpened(connection.id, facts: facts, now: eventLoop.now)
        endBatch()
    }

    func received(_ frame: MQTTFrame, from connection: ServerConnectionHandler, now: NIODeadline) {
        runEngine { engine, actions in engine.received(frame, on: connection.id, now: now, into: &actions) }
    }

    func framingFailed(_ error: MQTTDecodeError, on connection: ServerConnectionHandler, now: NIODeadline) {
        runEngine { engine, actions in engine.framingFailed(error, on: connection.id, now: now, into: &actions) }
    }

    /// A connection's channel is gone; when the engine knew it and did not ask for the close itself, it
    /// hears `connectionClosed` (EOF, reset, a bound, shutdown) — the will path.
    func connectionEnded(_ connection: ServerConnectionHandler, engineKnowsIt: Bool) {
        connections.removeValue(forKey: connection.id)
        guard engineKnowsIt else { return }
        let now = eventLoop.now
        runEngine { engine, actions in engine.connectionClosed(connection.id, now: now, into: &actions) }
        endBatch()
    }

    /// The end of a read batch on some connection: flush everything it caused.
    func readBatchEnded() {
        endBatch()
    }

    func publishFromServer(_ message: PublishPacket) {
        runForOperator { engine, now, actions in engine.publishFromServer(message, now: now, into: &actions) }
    }

    /// Runs an engine call made outside any connection's batch (an operator's publish, an IoT Hub service
    /// request), performs its actions and flushes the connections they touched. Nil once shutdown began.
    @discardableResult
    func runForOperator<Result>(_ call: (BrokerEngine, NIODeadline, inout [BrokerAction]) -> Result) -> Result? {
        guard !isShuttingDown else { return nil }
        let now = eventLoop.now
        var result: Result?
        runEngine { engine, actions in result = call(engine, now, &actions) }
        endBatch()
        return result
    }

    func touch(_ connection: ServerConnectionHandler) {
        guard !connection.isTouched else { return }
        connection.isTouched = true
        touched.append(connection)
    }

    func count(_ update: (inout TransportStatistics) -> Void) {
        update(&statistics)
    }

    // MARK: Engine calls and batches

    /// Calls the engine and performs what it asks. Performing only encodes into connections' buffers and
    /// marks closes; no channel operation happens here, so nothing re-enters the engine meanwhile.
    private func runEngine(_ call: (BrokerEngine, inout [BrokerAction]) -> Void) {
        call(engine, &actions)
        guard !actions.isEmpty else { return }
        for action in actions {
            perform(action)
        }
        actions.removeAll(keepingCapacity: true)
    }

    private func perform(_ action: BrokerAction) {
        switch action {
        case .send(let id, let packet, let version):
            guard !isShuttingDown, let connection = connections[id] else { return }
            connection.send(packet, version: version)
        case .close(let id):
            connections[id]?.closeRequestedByEngine()
        }
    }

    /// Flushes every touched connection once (closing those asked to close), then re-arms the timer. A
    /// flush can end a connection and so call the engine again; the loop picks up what that touched, and
    /// a nested call (a close inside a flush) leaves the work to the outer one.
    private func endBatch() {
        guard !isEndingBatch else { return }
        isEndingBatch = true
        while !touched.isEmpty {
            swap(&touched, &flushing)
            for connection in flushing {
                connection.isTouched = false
                connection.flushPending()
            }
            flushing.removeAll(keepingCapacity: true)
        }
        isEndingBatch = false
        armTimer()
    }

    // MARK: Timer

    /// Makes sure the one timer fires no later than the engine's next deadline and at most a second from
    /// now. An already armed earlier timer is kept, so a busy loop does not reschedule per batch.
    private func armTimer() {
        guard !isShuttingDown else { return }
        let now = eventLoop.now
        var deadline = now + Self.timerCeiling
        if let next = engine.nextDeadline, next < deadline {
            deadline = next
        }
        if let armed = timerDeadline, armed <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard !isShuttingDown else { return }
        let now = eventLoop.now
        expireHandshakes(now: now)
        runEngine { engine, actions in engine.tick(now: now, into: &actions) }
        endBatch()
    }

    /// Closes connections whose TLS handshake or WebSocket upgrade is still not done after its timeout.
    private func expireHandshakes(now: NIODeadline) {
        while let oldest = handshakes.first, oldest.deadline <= now {
            handshakes.removeFirst()
            oldest.connection.handshakeTimedOut()
        }
        while let oldest = handshakes.first, !oldest.connection.isAwaitingTransport {
            handshakes.removeFirst()
        }
    }

    // MARK: Shutdown

    /// Closes the listeners and every connection; completes when all their channels are closed.
    /// Idempotent: later calls get the same future.
    func shutdown() -> EventLoopFuture<Void> {
        if let shutdownFuture { return shutdownFuture }
        var closed: [EventLoopFuture<Void>] = []
        let future = eventLoop.makePromise(of: Void.self)
        shutdownFuture = future.futureResult
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        handshakes.removeAll()
        for channel in serverChannels {
            channel.close(promise: nil)
            closed.append(channel.closeFuture)
        }
        serverChannels.removeAll()
        for connection in Array(connections.values) {
            closed.append(connection.channel.closeFuture)
            connection.channel.close(promise: nil)
        }
        EventLoopFuture.andAllComplete(closed, on: eventLoop).cascade(to: future)
        return future.futureResult
    }
}
