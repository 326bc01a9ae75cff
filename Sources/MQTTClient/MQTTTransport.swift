import MQTTCore
import NIOCore

/// How a connection carries MQTT: straight over TCP (or TLS), or in WebSocket binary frames over an
/// HTTP/1.1 upgrade (MQTT 5.0 §6, 3.1.1 §6) — what corporate networks that open only port 443 leave.
public enum MQTTTransport: Sendable, Hashable {
    case tcp
    case webSocket(MQTTWebSocketSettings)

    /// What `url`'s scheme says: WebSocket frames at its path for ws:// and wss://, else plain MQTT.
    public init(url: BrokerURL, headers: [MQTTWebSocketSettings.Header] = []) {
        if let path = url.path {
            self = .webSocket(MQTTWebSocketSettings(path: path, headers: headers))
        } else {
            self = .tcp
        }
    }

    public var webSocket: MQTTWebSocketSettings? {
        if case .webSocket(let settings) = self { return settings }
        return nil
    }
}

/// The HTTP upgrade a WebSocket connection starts with, and the bounds on what it may cost.
public struct MQTTWebSocketSettings: Sendable, Hashable {
    /// The subprotocol MQTT over WebSocket must name and the server must select (MQTT 5.0 §6).
    public static let subprotocol = "mqtt"
    /// Where most brokers serve MQTT over WebSocket (mosquitto, EMQX, HiveMQ, NanoMQ, the lab broker).
    public static let defaultPath = BrokerURL.defaultWebSocketPath

    /// Request target of the upgrade, starting with `/` (IoT Hub: `/$iothub/websocket`).
    public var path: String
    /// Extra request headers (a proxy's `Authorization`, say). `Host`, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-*` are the upgrade's own and are set by the client.
    public var headers: [Header]
    /// Largest WebSocket frame accepted from the server. A frame is buffered whole before its bytes
    /// reach the MQTT framer, so this bounds memory per connection whatever the server sends.
    public var maximumFrameSize: Int
    /// How long the upgrade (request out, `101 Switching Protocols` in) may take once TCP and TLS are up.
    public var upgradeTimeout: TimeAmount
    /// How long a graceful close waits for the server's close frame before closing TCP itself (RFC 6455
    /// §7.1.1 lets the server close TCP first).
    public var closeTimeout: TimeAmount

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        path: String = MQTTWebSocketSettings.defaultPath, headers: [Header] = [],
        maximumFrameSize: Int = 1 << 20, upgradeTimeout: TimeAmount = .seconds(10), closeTimeout: TimeAmount = .seconds(2)
    ) {
        self.path = path
        self.headers = headers
        self.maximumFrameSize = maximumFrameSize
        self.upgradeTimeout = upgradeTimeout
        self.closeTimeout = closeTimeout
    }
}
