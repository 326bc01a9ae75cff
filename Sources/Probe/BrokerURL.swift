/// A broker address as users write it: `mqtt://host[:port]` or `mqtts://host[:port]`.
///
/// The probe and the scenario files both name brokers this way; the default ports are MQTT's
/// (1883 plain, 8883 TLS).
public struct BrokerURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var usesTLS: Bool

    public init(host: String, port: Int, usesTLS: Bool) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Parses `mqtt://` and `mqtts://` URLs; IPv6 hosts go in brackets (`mqtt://[::1]:1883`).
    public init(parsing text: String) throws(BrokerURLError) {
        let schemes: [(prefix: String, tls: Bool)] = [("mqtts://", true), ("mqtt://", false)]
        guard let scheme = schemes.first(where: { text.lowercased().hasPrefix($0.prefix) }) else {
            throw BrokerURLError(text: text, problem: "the URL must start with mqtt:// or mqtts://")
        }
        var rest = Substring(text.dropFirst(scheme.prefix.count))
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else {
                throw BrokerURLError(text: text, problem: "a broker URL has no path")
            }
            rest = rest[..<slash]
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw BrokerURLError(text: text, problem: "an IPv6 address needs a closing ]")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw BrokerURLError(text: text, problem: "expected :port after the IPv6 address")
                }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw BrokerURLError(text: text, problem: "the host is missing") }
        var port = scheme.tls ? 8883 : 1883
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw BrokerURLError(text: text, problem: "the port must be a number from 1 to 65535")
            }
            port = value
        }
        self.init(host: String(host), port: port, usesTLS: scheme.tls)
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(usesTLS ? "mqtts" : "mqtt")://\(shownHost):\(port)"
    }
}

/// A broker URL that could not be understood, with the reason.
public struct BrokerURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { "invalid broker URL '\(text)': \(problem)" }
}
