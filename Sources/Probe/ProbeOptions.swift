import MQTTClient
import MQTTCore
import NIOCore

/// Everything `fleet probe` is told: where, as whom, and which optional round trips to try.
public struct ProbeOptions: Sendable {
    public var url: BrokerURL
    /// CA, client chain and key, server name and verification mode (full unless named otherwise).
    public var tls: TLSSettings
    public var clientID: String
    public var username: String?
    public var password: String?
    public var version: MQTTProtocolVersion
    public var keepAliveSeconds: UInt16
    /// Subscribe to this topic and publish to it at QoS 1, expecting the message back; nil skips it.
    public var roundTripTopic: String?
    /// Set this will in CONNECT, then close abruptly and wait for it on a second connection; nil skips it.
    public var will: Will?
    /// How long to wait for the will after the abrupt close (the will delay is added to it).
    public var willTimeout: TimeAmount
    /// Per-step limit for connects, handshakes and acknowledgements.
    public var timeout: TimeAmount
    /// Local address to connect from (e.g. 127.0.0.2).
    public var sourceAddress: String?

    public init(
        url: BrokerURL, tls: TLSSettings = TLSSettings(), clientID: String, username: String? = nil,
        password: String? = nil, version: MQTTProtocolVersion = .v5_0, keepAliveSeconds: UInt16 = 30,
        roundTripTopic: String? = nil, will: Will? = nil, willTimeout: TimeAmount = .seconds(5),
        timeout: TimeAmount = .seconds(5), sourceAddress: String? = nil
    ) {
        self.url = url
        self.tls = tls
        self.clientID = clientID
        self.username = username
        self.password = password
        self.version = version
        self.keepAliveSeconds = keepAliveSeconds
        self.roundTripTopic = roundTripTopic
        self.will = will
        self.willTimeout = willTimeout
        self.timeout = timeout
        self.sourceAddress = sourceAddress
    }

    /// The CONNECT this probe sends; `suffix` makes the observer's client ID distinct.
    func configuration(clientIDSuffix suffix: String = "", will: Will?) -> MQTTConnectionConfiguration {
        MQTTConnectionConfiguration(
            version: version,
            clientIdentifier: clientID + suffix,
            keepAliveSeconds: keepAliveSeconds,
            username: username,
            password: password.map { ByteBuffer(string: $0) },
            will: will,
            connAckTimeout: timeout
        )
    }

    /// Where the probe's MQTT connections go; a WebSocket upgrade gets the same per-step limit as the rest.
    func endpoint(host: String) -> MQTTEndpoint {
        var transport = MQTTTransport(url: url)
        if case .webSocket(var settings) = transport {
            settings.upgradeTimeout = timeout
            transport = .webSocket(settings)
        }
        return MQTTEndpoint(host: host, port: url.port, localAddress: sourceAddress, connectTimeout: timeout,
                            transport: transport)
    }
}
