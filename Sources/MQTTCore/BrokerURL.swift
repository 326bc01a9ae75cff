/// A broker address as users write it: `mqtt://host[:port]`, `mqtts://host[:port]`, or MQTT over
/// WebSocket as `ws://host[:port][/path]` and `wss://host[:port][/path]` (MQTT 5.0 §6).
///
/// The probe, the scenario files and `--broker` all name brokers this way, so they are parsed once, here.
/// Default ports: 1883 plain, 8883 TLS, 80 ws, 443 wss; a WebSocket URL without a path means `/mqtt`.
public struct BrokerURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        case mqtt, mqtts, ws, wss

        public var usesTLS: Bool { self == .mqtts || self == .wss }
        public var isWebSocket: Bool { self == .ws || self == .wss }
        public var defaultPort: Int {
            switch self {
            case .mqtt: 1883
            case .mqtts: 8883
            case .ws: 80
            case .wss: 443
            }
        }
    }

    /// Where MQTT over WebSocket is served when the URL names no path (mosquitto, EMQX, HiveMQ, NanoMQ).
    public static let defaultWebSocketPath = "/mqtt"

    public var scheme: Scheme
    public var host: String
    public var port: Int
    /// The WebSocket upgrade's request target (with its query, if any); nil for `mqtt://` and `mqtts://`.
    public var path: String?

    public init(scheme: Scheme, host: String, port: Int, path: String? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = scheme.isWebSocket ? (path ?? Self.defaultWebSocketPath) : nil
    }

    public var usesTLS: Bool { scheme.usesTLS }

    /// Parses a broker URL; IPv6 hosts go in brackets (`mqtt://[::1]:1883`).
    public init(parsing text: String) throws(BrokerURLError) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw BrokerURLError(text: text, problem: "the URL has no scheme")
        }
        let schemeText = parts[0].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw BrokerURLError(text: text, problem: "unsupported scheme `\(schemeText)`")
        }
        var rest = parts[1]
        var path: String?
        if let slash = rest.firstIndex(of: "/") {
            let pathText = rest[slash...]
            if scheme.isWebSocket {
                path = pathText == "/" ? nil : String(pathText)
            } else if !pathText.allSatisfy({ $0 == "/" }) {
                throw BrokerURLError(text: text, problem: "an \(scheme.rawValue):// URL has no path; only ws:// and wss:// do")
            }
            rest = rest[..<slash]
        }
        let (host, portText) = try Self.splitAuthority(rest, text: text)
        var port = scheme.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else {
                throw BrokerURLError(text: text, problem: "the port `\(portText)` is not a number from 1 to 65535")
            }
            port = value
        }
        self.init(scheme: scheme, host: host, port: port, path: path)
    }

    private static func splitAuthority(_ authority: Substring, text: String) throws(BrokerURLError) -> (String, Substring?) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw BrokerURLError(text: text, problem: "an IPv6 address needs a closing ]")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw BrokerURLError(text: text, problem: "expected :port after the IPv6 address")
                }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw BrokerURLError(text: text, problem: "the host is missing") }
        guard !host.contains("@") else {
            throw BrokerURLError(text: text, problem: "credentials do not go in the URL")
        }
        return (String(host), portText)
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme.rawValue)://\(shownHost):\(port)\(path ?? "")"
    }
}

/// A broker URL that could not be understood, with the reason and the forms that are understood.
public struct BrokerURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public static let forms = "mqtt://host:port (plain), mqtts://host:port (TLS), ws://host:port/path or wss://host:port/path (WebSocket)"

    public init(text: String, problem: String) {
        self.text = text
        self.problem = problem
    }

    public var description: String { "invalid broker URL '\(text)': \(problem)" }
}
