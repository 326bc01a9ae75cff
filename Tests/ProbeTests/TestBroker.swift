import Foundation

/// Where the test broker started by `Scripts/test-broker.sh` listens, and its PKI.
enum TestBroker {
    static let host = "127.0.0.1"
    static let plainPort = 1883
    static let aclPort = 1884
    static let mutualTLSPort = 8883
    static let tlsPort = 8884
    /// amqtt's WebSocket listeners (any path, subprotocol mqtt; MQTT 3.1.1 only); wss uses the same PKI.
    static let amqttWebSocketPort = 8080
    static let amqttSecureWebSocketPort = 8443

    /// `FLEET_TEST_PKI`, else `.test-broker/pki` in the repository.
    static let pki: URL = {
        if let path = ProcessInfo.processInfo.environment["FLEET_TEST_PKI"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".test-broker/pki")
    }()

    static func file(_ name: String) -> String { pki.appendingPathComponent(name).path }

    /// A client ID no other test uses.
    static func uniqueID(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }
}
