/// Where the `/metrics` endpoint listens, as the user writes it after `--metrics`: `9464`,
/// `127.0.0.1:9464`, `0.0.0.0:9464` or `[::1]:9464`. A bare port binds loopback only, so a run
/// does not expose its figures to the network unless asked to.
public struct MetricsAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public static let defaultHost = "127.0.0.1"

    public init(host: String = MetricsAddress.defaultHost, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `PORT`, `HOST:PORT` or `[IPv6]:PORT`; nil when the port is missing or out of range.
    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        } else {
            host = Substring(Self.defaultHost)
            portText = Substring(text)
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
