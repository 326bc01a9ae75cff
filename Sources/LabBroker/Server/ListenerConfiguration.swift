/// One socket the lab broker listens on and the transport it speaks there.
///
/// Every listener binds to 127.0.0.1 unless told otherwise: the lab broker is for tests on this machine.
/// Port 0 asks the kernel for a free port (see `BoundListener.port` for the one it picked).
public enum ListenerConfiguration: Sendable, Hashable {
    /// MQTT over plain TCP (`mqtt://`).
    case tcp(host: String = ListenerConfiguration.loopback, port: Int = 0)
    /// MQTT over TLS (`mqtts://`), optionally asking for client certificates (mutual TLS).
    case tls(
        host: String = ListenerConfiguration.loopback, port: Int = 0, identity: TLSServerIdentity,
        clientCertificates: ClientCertificatePolicy = .none)
    /// MQTT over WebSocket (`ws://host:port/path`), subprotocol `mqtt`.
    case webSocket(host: String = ListenerConfiguration.loopback, port: Int = 0, path: String = ListenerConfiguration.defaultWebSocketPath)
    /// MQTT over WebSocket over TLS (`wss://host:port/path`).
    case secureWebSocket(
        host: String = ListenerConfiguration.loopback, port: Int = 0, path: String = ListenerConfiguration.defaultWebSocketPath,
        identity: TLSServerIdentity, clientCertificates: ClientCertificatePolicy = .none)

    public static let loopback = "127.0.0.1"
    /// The path browsers' MQTT libraries and the cloud brokers use.
    public static let defaultWebSocketPath = "/mqtt"

    public var transport: ConnectionFacts.Transport {
        switch self {
        case .tcp: return .tcp
        case .tls: return .tls
        case .webSocket: return .webSocket
        case .secureWebSocket: return .secureWebSocket
        }
    }

    public var host: String {
        switch self {
        case .tcp(let host, _), .tls(let host, _, _, _), .webSocket(let host, _, _), .secureWebSocket(let host, _, _, _, _):
            return host
        }
    }

    public var port: Int {
        switch self {
        case .tcp(_, let port), .tls(_, let port, _, _), .webSocket(_, let port, _), .secureWebSocket(_, let port, _, _, _):
            return port
        }
    }

    /// The server identity and client certificate policy of a TLS or WSS listener; nil for plain ones.
    public var tls: (identity: TLSServerIdentity, clientCertificates: ClientCertificatePolicy)? {
        switch self {
        case .tcp, .webSocket: return nil
        case .tls(_, _, let identity, let clients), .secureWebSocket(_, _, _, let identity, let clients):
            return (identity, clients)
        }
    }

    /// The HTTP path a WebSocket listener upgrades on; nil for TCP and TLS.
    public var webSocketPath: String? {
        switch self {
        case .tcp, .tls: return nil
        case .webSocket(_, _, let path), .secureWebSocket(_, _, let path, _, _): return path
        }
    }
}

/// The broker's certificate chain (leaf first, then intermediates) and its private key, as PEM files —
/// what `fleet certs server` writes (`server/chain.pem`, `server/key.pem`).
public struct TLSServerIdentity: Sendable, Hashable {
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// Whether a TLS listener asks clients for a certificate, and which roots it must chain to.
public enum ClientCertificatePolicy: Sendable, Hashable {
    /// Server-only TLS: no certificate is requested.
    case none
    /// A certificate is requested and, when presented, must chain to `trustRoots` (a PEM file); clients
    /// without one are still accepted (and have no certificate CN).
    case optional(trustRoots: String)
    /// Mutual TLS: the handshake fails without a certificate chaining to `trustRoots`.
    case required(trustRoots: String)
}

/// A listener as it was opened: its transport, address, the port the kernel gave, and the URL a client
/// connects to.
public struct BoundListener: Sendable, Hashable, CustomStringConvertible {
    public var transport: ConnectionFacts.Transport
    public var host: String
    public var port: Int
    /// The WebSocket path; nil for TCP and TLS.
    public var path: String?

    public init(transport: ConnectionFacts.Transport, host: String, port: Int, path: String? = nil) {
        self.transport = transport
        self.host = host
        self.port = port
        self.path = path
    }

    /// `mqtt://127.0.0.1:1883`, `mqtts://…`, `ws://127.0.0.1:8080/mqtt`, `wss://…/mqtt`.
    public var url: String {
        let scheme: String
        switch transport {
        case .tcp: scheme = "mqtt"
        case .tls: scheme = "mqtts"
        case .webSocket: scheme = "ws"
        case .secureWebSocket: scheme = "wss"
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return "\(scheme)://\(authority)\(path ?? "")"
    }

    public var description: String { url }
}
