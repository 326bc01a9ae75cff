import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Scenario

/// One publishing connection: the product's `MQTTConnectionHandler` does CONNECT/CONNACK and
/// keep-alive; the telemetry itself is written straight to the channel in batches (below).
final class PublisherConnection: MQTTConnectionDelegate {
    let connected: EventLoopPromise<Void>
    var channel: (any Channel)?
    private(set) var closeReason: MQTTCloseReason?

    init(connected: EventLoopPromise<Void>) {
        self.connected = connected
    }

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        connected.succeed()
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        closeReason = reason
        connected.fail(BenchError("publisher connection closed: \(reason)"))
    }
}

/// Publishes every device's default telemetry, `{"ClientID":"…","Sequence":N}`, QoS 0, on the
/// device's telemetry topic, at a target total rate, from a few connections on one event loop.
///
/// Every tick (1 ms) it writes what is due, encoded back to back into one buffer per connection,
/// and flushes each connection once: thousands of messages per second cost a few hundred
/// syscalls, so the publishers take little of the CPU the observer and mosquitto need. When a
/// connection's socket is full (mosquitto is not reading fast enough) the tick stops early and the
/// shortfall shows as a sent rate below target. PUBLISH frames are encoded here rather than
/// through the state machine, which writes and flushes one packet at a time.
final class PacedPublishers: NIOScheduledCallbackHandler {
    private let loop: any EventLoop
    private let connections: [PublisherConnection]
    /// Per device: the encoded topic (length-prefixed) and the payload up to the sequence number.
    private let topics: [[UInt8]]
    private let payloadPrefixes: [[UInt8]]
    private(set) var sequences: [UInt64]
    private var nextDevice = 0
    private(set) var sent: UInt64 = 0
    /// Messages written per second of the run clock (index = second), like the observer's count.
    private(set) var sentPerSecond: [UInt64] = []
    /// Ticks that stopped early because a socket was full.
    private(set) var blockedTicks = 0
    private var lastWrite: EventLoopFuture<Void>?
    private let done: EventLoopPromise<Void>
    private var rate = 0.0
    private var total: UInt64 = 0
    private var startNs: UInt64 = 0
    private var clock = RunClock()

    init(loop: any EventLoop, connections: [PublisherConnection], devices: [DevicePlan]) {
        self.loop = loop
        self.connections = connections
        topics = devices.map { device in
            let topic = Array((device.telemetry?.topic ?? "devices/\(device.clientID)/sequence").utf8)
            return [UInt8(topic.count >> 8), UInt8(topic.count & 0xFF)] + topic
        }
        payloadPrefixes = devices.map { Array("{\"ClientID\":\"\($0.clientID)\",\"Sequence\":".utf8) }
        sequences = Array(repeating: 0, count: devices.count)
        done = loop.makePromise()
    }

    /// Connects `count` publishers to the broker and returns once all have their CONNACK.
    static func connect(count: Int, port: Int, loop: any EventLoop, runID: String) async throws -> [NIOLoopBound<PublisherConnection>] {
        let (bound, ready) = try await loop.submit {
            var bound: [NIOLoopBound<PublisherConnection>] = []
            var ready: [EventLoopFuture<Void>] = []
            for number in 1...count {
                let delegate = PublisherConnection(connected: loop.makePromise())
                let handler = MQTTConnectionHandler(
                    configuration: MQTTConnectionConfiguration(
                        version: .v3_1_1, clientIdentifier: "bench-publisher-\(runID)-\(number)", keepAliveSeconds: 60),
                    delegate: delegate)
                let connecting = MQTTConnector.connect(handler, to: MQTTEndpoint(host: "127.0.0.1", port: port), on: loop)
                connecting.assumeIsolated().whenComplete { result in
                    switch result {
                    case .success(let channel): delegate.channel = channel
                    case .failure(let error): delegate.connected.fail(error)
                    }
                }
                ready.append(delegate.connected.futureResult)
                bound.append(NIOLoopBound(delegate, eventLoop: loop))
            }
            return (bound, ready)
        }.get()
        try await EventLoopFuture.andAllSucceed(ready, on: loop).get()
        return bound
    }

    /// Starts publishing `rate` messages per second in total until `duration` has passed. Call on
    /// the loop; `finished` completes when the last batch has been handed to the kernel.
    func start(rate: Double, duration: Double, clock: RunClock) {
        self.rate = rate
        self.clock = clock
        total = UInt64(rate * duration)
        startNs = clock.now()
        scheduleNext()
    }

    var finished: EventLoopFuture<Void> { done.futureResult }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        let now = clock.now()
        let due = min(UInt64(rate * Double(now - startNs) / 1e9), total)
        if due > sent { publish(due - sent, atNs: now) }
        if sent >= total {
            (lastWrite ?? loop.makeSucceededVoidFuture()).cascade(to: done)
        } else {
            scheduleNext()
        }
    }

    private func scheduleNext() {
        _ = try? loop.assumeIsolated().scheduleCallback(in: .milliseconds(1), handler: self)
    }

    private func publish(_ count: UInt64, atNs now: UInt64) {
        var buffers = connections.map { _ in ByteBuffer() }
        var written: UInt64 = 0
        for _ in 0..<count {
            let device = nextDevice
            let connection = device % connections.count
            guard let channel = connections[connection].channel, channel.isWritable else {
                blockedTicks += 1
                break
            }
            if buffers[connection].capacity == 0 {
                buffers[connection] = channel.allocator.buffer(capacity: Int(count / UInt64(connections.count) + 1) * 64)
            }
            encode(device: device, into: &buffers[connection])
            sequences[device] += 1
            nextDevice = device + 1 == sequences.count ? 0 : device + 1
            written += 1
        }
        for (index, buffer) in buffers.enumerated() where buffer.readableBytes > 0 {
            lastWrite = connections[index].channel?.writeAndFlush(buffer)
        }
        sent += written
        let second = Int(now / 1_000_000_000)
        if second >= sentPerSecond.count {
            sentPerSecond.append(contentsOf: repeatElement(0, count: second - sentPerSecond.count + 1))
        }
        sentPerSecond[second] += written
    }

    /// A QoS 0 MQTT 3.1.1 PUBLISH: fixed header, topic, `{"ClientID":"…","Sequence":` N `}`.
    @inline(__always)
    private func encode(device: Int, into buffer: inout ByteBuffer) {
        let sequence = sequences[device]
        var digits = 1
        var rest = sequence / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let topic = topics[device]
        let prefix = payloadPrefixes[device]
        var remaining = topic.count + prefix.count + digits + 1
        buffer.writeInteger(UInt8(0x30))
        repeat {
            var byte = UInt8(remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            buffer.writeInteger(byte)
        } while remaining > 0
        buffer.writeBytes(topic)
        buffer.writeBytes(prefix)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { bytes in
            var value = sequence
            for position in stride(from: digits - 1, through: 0, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            return digits
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }
}
