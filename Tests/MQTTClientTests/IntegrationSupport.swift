import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Where the mosquitto started by `Scripts/test-broker.sh start` listens, its PKI and its log, and
/// helpers the integration tests share. The broker is shared by every test in the process, so client
/// IDs and topics are unique per test.
enum TestBroker {
    static let host = "127.0.0.1"
    static let plain = MQTTEndpoint(host: host, port: 1883)
    /// Anonymous, with the ACL that denies everything outside devices/#, probe/#, fleet/#.
    static let acl = MQTTEndpoint(host: host, port: 1884)
    /// Mutual TLS: a client certificate chained to the test root is required.
    static let mutualTLS = MQTTEndpoint(host: host, port: 8883)
    /// Server-only TLS, anonymous.
    static let serverTLS = MQTTEndpoint(host: host, port: 8884)

    /// amqtt, also started by `Scripts/test-broker.sh` because Debian's mosquitto has no WebSockets;
    /// MQTT 3.1.1 only, anonymous, a broker of its own (nothing is shared with mosquitto's ports).
    static let amqttTCP = MQTTEndpoint(host: host, port: 1885)
    /// amqtt's ws:// listener, which serves any request path.
    static let webSocket = MQTTEndpoint(host: host, port: 8080, transport: .webSocket(MQTTWebSocketSettings()))
    /// amqtt's wss:// listener (the test server certificate): a client certificate is optional, but one
    /// that is sent must chain to the test root.
    static let secureWebSocket = MQTTEndpoint(host: host, port: 8443, transport: .webSocket(MQTTWebSocketSettings()))

    /// The repository root, from this file's path.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `FLEET_TEST_PKI`, else `.test-broker/pki` in the repository.
    static let pki: URL = {
        if let path = ProcessInfo.processInfo.environment["FLEET_TEST_PKI"] { return URL(fileURLWithPath: path) }
        return repository.appendingPathComponent(".test-broker/pki")
    }()

    static func pkiFile(_ name: String) -> String { pki.appendingPathComponent(name).path }

    static var logFile: String { repository.appendingPathComponent(".test-broker/mosquitto.log").path }

    /// Trust the test root (server-only TLS).
    static var serverTLSSettings: TLSSettings { TLSSettings(caFiles: [pkiFile("root.pem")]) }

    /// Trust the test root and present device-1's chain (leaf + intermediate) and key.
    static var device1TLSSettings: TLSSettings {
        TLSSettings(
            caFiles: [pkiFile("root.pem")], certificateChainFile: pkiFile("device-1.pem"),
            privateKeyFile: pkiFile("device-1.key"))
    }

    /// An identifier no other test uses, usable as client ID and topic level.
    static func uniqueID(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func configuration(
        _ version: MQTTProtocolVersion, _ clientID: String, keepAlive: UInt16 = 60, will: Will? = nil
    ) -> MQTTConnectionConfiguration {
        MQTTConnectionConfiguration(
            version: version, clientIdentifier: clientID, keepAliveSeconds: keepAlive, will: will)
    }

    /// Connects a subscriber to `filter` on `endpoint` (the plain listener) and collects what it receives.
    static func subscriber(
        _ filter: String, endpoint: MQTTEndpoint = plain, tls: TLSSettings? = nil,
        version: MQTTProtocolVersion = .v5_0, qos: QoS = .exactlyOnce
    ) async throws -> (MQTTClient, MessageCollector) {
        let client = try await MQTTClient.connect(
            to: endpoint, tls: tls, configuration: configuration(version, uniqueID("sub")))
        let collector = MessageCollector(client)
        let codes = try await client.subscribe([Subscription(filter: filter, qos: qos)])
        XCTAssertEqual(codes.count, 1)
        XCTAssertFalse(codes[0].isFailure, "subscription to \(filter) refused: \(codes[0])")
        return (client, collector)
    }
}

extension TestBroker {
    /// Ends `device` silently and waits (bounded) for its will: mosquitto 2.0 drops a silent client
    /// after roughly 1.5–2.5 × keep alive (up to ~6 s seen for keep alive 1 s on MQTT 5). If no will
    /// comes, the device is ended abruptly so the test finishes, and the reason says so.
    static func endSilently(
        _ device: MQTTClient, willTopic: String, collector: MessageCollector, seconds: Double = 15
    ) async -> (MQTTCloseReason, [PublishPacket]) {
        async let ended = device.close(.silent)
        let wills = await collector.wait(on: willTopic, seconds: seconds)
        if wills.isEmpty {
            await device.close(.abrupt)
        }
        return (await ended, wills)
    }
}

/// Collects a client's inbound messages in the background so tests can wait for one with a
/// deadline (an `AsyncStream` ends when a waiting task is cancelled, so it is drained by one task).
final class MessageCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [PublishPacket] = []

    init(_ client: MQTTClient) {
        Task { [weak self] in
            for await message in client.messages {
                self?.append(message)
            }
        }
    }

    private func append(_ message: PublishPacket) {
        lock.withLock { received.append(message) }
    }

    var messages: [PublishPacket] { lock.withLock { received } }

    /// Waits up to `seconds` for `count` messages on `topic`; returns those that arrived.
    func wait(for count: Int = 1, on topic: String, seconds: Double) async -> [PublishPacket] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let matching = messages.filter { $0.topic == topic }
            if matching.count >= count || Date() >= deadline { return matching }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension ByteBuffer {
    var text: String { String(buffer: self) }
}
