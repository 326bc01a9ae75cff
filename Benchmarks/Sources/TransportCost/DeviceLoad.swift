import MQTTClient
import MQTTCore
import NIOCore

/// Every device of the benchmark, on one event loop: paced connects, then a fixed count of QoS 1
/// publishes per device. Completion points read the meters on the loop, at the callback that ends the
/// phase, so no hop to another thread is counted in a phase.
final class DeviceLoad {
    private let loop: any EventLoop
    private let options: TransportOptions
    private let endpoints: [MQTTEndpoint]
    private let tls: MQTTTLSContext?
    private let payload: ByteBuffer
    private var devices: [BenchDevice] = []
    private var nextToConnect = 0
    private var connecting = 0
    private var connected = 0
    private var finished = 0
    private var phase: EventLoopPromise<MeterReading>?
    /// CONNACK latency of each device (connect start → CONNACK), nanoseconds.
    private(set) var connectLatencies: [UInt64] = []

    init(loop: any EventLoop, options: TransportOptions, tls: MQTTTLSContext?) {
        self.loop = loop
        self.options = options
        self.tls = tls
        let transport: MQTTTransport = options.transport.isWebSocket
            ? .webSocket(MQTTWebSocketSettings(path: options.path)) : .tcp
        endpoints = (0..<options.sources).map { source in
            MQTTEndpoint(host: "127.0.0.1", port: options.port, localAddress: "127.0.0.\(source + 2)",
                         transport: transport)
        }
        payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: options.payload)
    }

    /// Connects every device, `concurrentConnects` at a time; succeeds with the meters at the last CONNACK.
    func connectAll() -> EventLoopFuture<MeterReading> {
        let promise = loop.makePromise(of: MeterReading.self)
        phase = promise
        startConnects()
        return promise.futureResult
    }

    /// Every device publishes `messages` QoS 1 messages; succeeds with the meters at the last PUBACK.
    func publishAll() -> EventLoopFuture<MeterReading> {
        let promise = loop.makePromise(of: MeterReading.self)
        phase = promise
        finished = 0
        for device in devices {
            for _ in 0..<options.inFlight where device.sent < options.messages { publish(device) }
        }
        return promise.futureResult
    }

    /// Ends every connection gracefully (DISCONNECT; over WebSocket, the close handshake too).
    func closeAll() {
        for device in devices { device.handler?.close(.graceful) }
    }

    private func startConnects() {
        while connecting < options.concurrentConnects, nextToConnect < options.devices {
            let index = nextToConnect
            nextToConnect += 1
            connecting += 1
            let device = BenchDevice(index: index, load: self)
            devices.append(device)
            let configuration = MQTTConnectionConfiguration(
                version: options.version == "5" ? .v5_0 : .v3_1_1,
                clientIdentifier: "bench-\(options.transport)-\(index)", keepAliveSeconds: 300)
            let handler = MQTTConnectionHandler(configuration: configuration, delegate: device)
            device.handler = handler
            _ = MQTTConnector.connect(handler, to: endpoints[index % endpoints.count], tls: tls, on: loop)
        }
    }

    fileprivate func didConnect(_ device: BenchDevice) {
        connecting -= 1
        connected += 1
        if let total = device.handler?.timings.totalDuration { connectLatencies.append(UInt64(total.nanoseconds)) }
        if connected == options.devices {
            complete()
        } else {
            startConnects()
        }
    }

    fileprivate func didAcknowledge(_ device: BenchDevice) {
        device.acknowledged += 1
        if device.sent < options.messages {
            publish(device)
        } else if device.acknowledged == options.messages {
            finished += 1
            if finished == options.devices { complete() }
        }
    }

    fileprivate func didFail(_ device: BenchDevice, _ reason: String) {
        phase?.fail(TransportBenchError("device \(device.index): \(reason)"))
        phase = nil
    }

    private func publish(_ device: BenchDevice) {
        device.sent += 1
        do {
            try device.handler?.publish(MQTTMessage(topic: device.topic, payload: payload, qos: .atLeastOnce))
        } catch {
            didFail(device, "publish refused: \(error)")
        }
    }

    private func complete() {
        let reading = MeterReading.now(brokerPID: options.brokerPID)
        phase?.succeed(reading)
        phase = nil
    }
}

/// One device: its handler (until it closes) and its publish counts.
final class BenchDevice: MQTTConnectionDelegate {
    let index: Int
    let topic: String
    var handler: MQTTConnectionHandler?
    var sent = 0
    var acknowledged = 0
    private unowned let load: DeviceLoad

    init(index: Int, load: DeviceLoad) {
        self.index = index
        self.topic = "bench/\(index)/telemetry"
        self.load = load
    }

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        load.didConnect(self)
    }

    func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>
    ) {
        switch result {
        case .success(.published(let code)) where code.rawValue < 0x80: load.didAcknowledge(self)
        case .success(let outcome): load.didFail(self, "refused: \(outcome)")
        case .failure(let error): load.didFail(self, "publish failed: \(error)")
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        handler = nil
        if case .ended = reason { return }
        load.didFail(self, "closed: \(reason)")
    }
}
