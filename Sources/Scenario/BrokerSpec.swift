import MQTTCore

/// Where the fleet connects and how it trusts the broker.
public struct BrokerSpec: Sendable, Hashable {
    /// The URL as written (`mqtt://host:port`, `mqtts://…`, `ws://host:port/path`, `wss://…`), for reports.
    public var url: String
    public var host: String
    public var port: Int
    /// `mqtts://` and `wss://` ⇒ TLS; `mqtt://` and `ws://` ⇒ none.
    public var tls: Bool
    /// MQTT over WebSocket, upgraded at this request path (`ws://`/`wss://`, or `websocket:` on the lab
    /// broker); nil: MQTT straight over TCP or TLS.
    public var webSocketPath: String?
    /// ALPN protocols the fleet offers in its TLS handshakes (some cloud brokers route port 443 by them).
    public var alpn: [String] = []
    /// PEM file of the roots to trust, relative to the current working directory (like every path the CLI takes).
    /// nil with TLS means the system trust store.
    public var caFile: String?
    /// SNI and hostname to verify; nil means `host`.
    public var serverName: String?
    public var verification: TLSVerification
    /// Protocol for groups whose personality does not fix one and that do not say; nil ⇒ the personality's default.
    public var protocolVersion: ProtocolVersion?
    /// Broker family, for its documented limits and quirks (see `BrokerProfile`); nil ⇒ no assumptions.
    public var profile: String?
    /// Local addresses to bind outgoing connections to, spreading the 64k-ports-per-address limit.
    /// Empty ⇒ the fleet picks (one address unless it needs more).
    public var sourceAddresses: [String]
    /// How long a device's TCP connect may take before the attempt counts as failed (its CONNACK wait is its
    /// group's `timeouts.connAck`); the observers and the controller bound their CONNACK by it too.
    public var connectTimeout: Duration
    /// The lab broker profile (a built-in name or a profile file) the run starts on loopback and connects to
    /// instead of an external broker; nil: the broker at `url`. Until the run starts it, `port` is 0.
    public var lab: String?

    public init(
        url: String, host: String, port: Int, tls: Bool, webSocketPath: String? = nil, caFile: String? = nil,
        serverName: String? = nil, verification: TLSVerification = .full, protocolVersion: ProtocolVersion? = nil,
        profile: String? = nil, sourceAddresses: [String] = [], connectTimeout: Duration = .seconds(10)
    ) {
        self.url = url
        self.host = host
        self.port = port
        self.tls = tls
        self.webSocketPath = webSocketPath
        self.caFile = caFile
        self.serverName = serverName
        self.verification = verification
        self.protocolVersion = protocolVersion
        self.profile = profile
        self.sourceAddresses = sourceAddresses
        self.connectTimeout = connectTimeout
    }

    /// The broker at `parsed`, `url` as the user wrote it.
    public init(url: String, parsed: BrokerURL) {
        self.init(url: url, host: parsed.host, port: parsed.port, tls: parsed.usesTLS, webSocketPath: parsed.path)
    }

    /// The embedded lab broker with `profile`: what a scenario without a `broker` runs against.
    public static func lab(profile: String = LabTarget.defaultProfile) -> BrokerSpec {
        let known = LabTarget.knownProfiles[profile]
        var spec = BrokerSpec(url: LabTarget.url(profile: profile), host: "127.0.0.1", port: 0,
                              tls: known?.limits.requiresTLS ?? false, profile: known?.rawValue)
        spec.lab = profile
        return spec
    }

    /// This spec aimed at the lab broker once it listens: its address, and its CA when it speaks TLS.
    public func resolvingLab(port: Int, caFile: String?) -> BrokerSpec {
        var spec = self
        let scheme: BrokerURL.Scheme = webSocketPath == nil ? (tls ? .mqtts : .mqtt) : (tls ? .wss : .ws)
        spec.url = BrokerURL(scheme: scheme, host: host, port: port, path: webSocketPath).description
        spec.port = port
        spec.caFile = caFile
        return spec
    }

    /// The profile as a known value, when it names one.
    public var knownProfile: BrokerProfile? { profile.flatMap(BrokerProfile.init(rawValue:)) }
}

/// `lab` and `lab:PROFILE` wherever a broker URL is accepted: the embedded broker instead of an external one.
public enum LabTarget {
    public static let scheme = "lab"
    public static let defaultProfile = "standard"
    /// Built-in lab profiles that imitate a broker family, so the loader checks that family's documented limits.
    public static let knownProfiles: [String: BrokerProfile] = ["eventgrid": .azureEventGrid, "iothub": .azureIoTHub]

    /// The profile named by `lab` / `lab:PROFILE`, or nil when `text` is not a lab target.
    public static func profile(in text: String) -> String? {
        if text == scheme { return defaultProfile }
        guard text.hasPrefix(scheme + ":"), !text.hasPrefix(scheme + "://") else { return nil }
        let profile = String(text.dropFirst(scheme.count + 1))
        return profile.isEmpty ? defaultProfile : profile
    }

    public static func url(profile: String) -> String { "\(scheme):\(profile)" }

    /// Where a lab profile serves MQTT over WebSocket: where the broker it imitates does (IoT Hub's
    /// documented `/$iothub/websocket`), else `/mqtt`.
    public static func webSocketPath(profile: String) -> String {
        knownProfiles[profile] == .azureIoTHub ? "/$iothub/websocket" : BrokerURL.defaultWebSocketPath
    }
}

/// How much of the broker's certificate is checked. Anything weaker than `.full` must be asked for by name.
public enum TLSVerification: String, Sendable, Hashable, CaseIterable {
    /// Chain to a trusted root and hostname/IP match.
    case full
    /// Chain checked, hostname not (brokers reached by an address their certificate does not name).
    case noHostname = "no-hostname"
    /// Nothing checked; only via `insecure-skip-verify: true`.
    case none
}

/// MQTT protocol revision a device speaks.
public enum ProtocolVersion: String, Sendable, Hashable, CaseIterable {
    case v3_1_1 = "3.1.1"
    case v5 = "5"

    /// The CONNECT packet's protocol level byte.
    public var protocolLevel: UInt8 {
        switch self {
        case .v3_1_1: 4
        case .v5: 5
        }
    }
}

/// Broker families with documented limits the loader can check a scenario against before anything connects.
public enum BrokerProfile: String, Sendable, Hashable, CaseIterable {
    case mosquitto
    case nanomq
    case emqx
    case hivemq
    case azureEventGrid = "azure-event-grid"
    case azureIoTHub = "azure-iot-hub"

    /// What the broker family accepts; nil fields mean "no documented limit we check".
    public var limits: BrokerLimits {
        switch self {
        case .mosquitto, .nanomq, .emqx, .hivemq:
            BrokerLimits(protocolVersions: [.v3_1_1, .v5], maxQoS: 2, retainAvailable: true,
                         maxKeepAlive: nil, sharedSubscriptions: true, requiresTLS: false)
        case .azureEventGrid:
            // Event Grid MQTT broker (seeds 001–004): QoS 0/1 only, retain flag and shared subscriptions
            // not supported yet, keep-alive at most 1160 s.
            BrokerLimits(protocolVersions: [.v3_1_1, .v5], maxQoS: 1, retainAvailable: false,
                         maxKeepAlive: .seconds(1160),
                         sharedSubscriptions: false, requiresTLS: true)
        case .azureIoTHub:
            // IoT Hub MQTT endpoint: 3.1.1, no QoS 2 (it closes the connection), retained messages not persisted.
            BrokerLimits(protocolVersions: [.v3_1_1], maxQoS: 1, retainAvailable: false,
                         maxKeepAlive: nil,
                         sharedSubscriptions: false, requiresTLS: true)
        }
    }
}

/// The subset of a broker family's rules the loader validates a scenario against.
public struct BrokerLimits: Sendable, Hashable {
    public var protocolVersions: Set<ProtocolVersion>
    public var maxQoS: Int
    public var retainAvailable: Bool
    public var maxKeepAlive: Duration?
    public var sharedSubscriptions: Bool
    /// Only TLS listeners (both Azure brokers).
    public var requiresTLS: Bool

    public init(
        protocolVersions: Set<ProtocolVersion>, maxQoS: Int, retainAvailable: Bool, maxKeepAlive: Duration?,
        sharedSubscriptions: Bool, requiresTLS: Bool
    ) {
        self.requiresTLS = requiresTLS
        self.protocolVersions = protocolVersions
        self.maxQoS = maxQoS
        self.retainAvailable = retainAvailable
        self.maxKeepAlive = maxKeepAlive
        self.sharedSubscriptions = sharedSubscriptions
    }
}
