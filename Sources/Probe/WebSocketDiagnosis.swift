import MQTTClient
import MQTTCore

/// Explains a WebSocket upgrade that did not give an MQTT connection: what the server's answer (or
/// silence) says about the URL, and the URL or setting to try instead.
enum WebSocketDiagnosis {
    static func explain(_ failure: MQTTWebSocketUpgradeFailure, options: ProbeOptions) -> Diagnosis {
        let url = options.url
        let path = url.path ?? BrokerURL.defaultWebSocketPath
        let tried = "GET \(path) on \(url.host):\(url.port)"
        switch failure {
        case .refused(let status, let reason, let body):
            let answer = "HTTP \(status) \(reason)" + (body.isEmpty ? "" : " (\"\(body)\")")
            return refused(status: status, answer: answer, tried: tried, url: url)
        case .subprotocolNotSelected:
            return Diagnosis(
                problem: "a WebSocket server answered \(tried) but not as an MQTT broker: \(failure)",
                hint: "this path may lead to another WebSocket service; find the broker's MQTT path (often \(BrokerURL.defaultWebSocketPath)), or the broker wants another subprotocol (MQTT 3.1 brokers used \"mqttv3.1\")")
        case .invalidAccept:
            return Diagnosis(
                problem: "\(tried) was answered by an HTTP server that is not a WebSocket server (no valid Sec-WebSocket-Accept)",
                hint: "check the port: if it is the broker's MQTT port, use \(url.usesTLS ? "mqtts" : "mqtt")://\(authority(url))")
        case .malformedResponse(let detail):
            return Diagnosis(
                problem: "the answer to \(tried) is not HTTP (\(detail))",
                hint: url.usesTLS
                    ? "this may be an MQTT over TLS port: try mqtts://\(authority(url))"
                    : "this may be a TLS port (try wss://\(authority(url))\(path)) or an MQTT port (try mqtt://\(authority(url)))")
        case .closedBeforeResponse:
            return Diagnosis(
                problem: "the server closed the connection without answering \(tried)",
                hint: closedHint(url: url, path: path, presentedClientCertificate: options.tls.certificateChainFile != nil))
        case .timedOut(let milliseconds):
            return Diagnosis(
                problem: "no answer to \(tried) within \(milliseconds) ms",
                hint: url.usesTLS
                    ? "the port accepted TLS but nothing answered the upgrade: an MQTT over TLS listener waits for CONNECT (try mqtts://\(authority(url)))"
                    : "the port accepted TCP but nothing answered the upgrade: an MQTT listener waits for CONNECT (try mqtt://\(authority(url))), a TLS one for a handshake (try wss://)")
        }
    }

    private static func refused(status: Int, answer: String, tried: String, url: BrokerURL) -> Diagnosis {
        switch status {
        case 404:
            return Diagnosis(problem: "nothing is served at this path: \(tried) got \(answer)", hint: pathHint(url))
        case 401:
            return Diagnosis(
                problem: "the endpoint wants credentials before the upgrade: \(tried) got \(answer)",
                hint: "a gateway or proxy in front of the broker asks for HTTP authentication; MQTT's --username/--password go in CONNECT, after the upgrade, so they cannot answer it: ask for a route without it, or connect past the gateway")
        case 403:
            return Diagnosis(
                problem: "the upgrade is forbidden: \(tried) got \(answer)",
                hint: "a gateway or the broker refuses this client before MQTT starts (an IP allow list, an Origin check, a proxy rule); look at the gateway's log")
        case 400:
            return Diagnosis(
                problem: "the server does not take MQTT over WebSocket here: \(tried) got \(answer)",
                hint: "it may not speak MQTT over WebSocket on this path, or want another subprotocol than \"\(MQTTWebSocketSettings.subprotocol)\"; \(pathHint(url))")
        case 300..<400:
            return Diagnosis(
                problem: "the server redirects the upgrade: \(tried) got \(answer)",
                hint: url.usesTLS
                    ? "the broker's WebSocket endpoint has moved; use the URL it names"
                    : "a redirect to HTTPS means TLS: try wss://\(authority(url))\(url.path ?? "")")
        default:
            return Diagnosis(problem: "the upgrade was refused: \(tried) got \(answer)",
                             hint: "look at the log of the broker or of the gateway in front of it")
        }
    }

    /// Where the broker at `url` serves MQTT over WebSocket, when its host says which service it is.
    static func pathHint(_ url: BrokerURL) -> String {
        let host = url.host.lowercased()
        // IoT Hub's path is the one issue 13 names (seed 002: "MQTT v3.1.1 over WebSocket on port 443").
        if host.hasSuffix(".azure-devices.net") {
            return "Azure IoT Hub serves MQTT over WebSocket at /$iothub/websocket: wss://\(url.host):443/$iothub/websocket"
        }
        // Seed 003: Event Grid's MQTT broker takes MQTT over WebSocket on port 443.
        if host.hasSuffix(".eventgrid.azure.net") {
            return "Azure Event Grid serves MQTT over WebSocket at \(BrokerURL.defaultWebSocketPath): wss://\(url.host):443\(BrokerURL.defaultWebSocketPath)"
        }
        if url.path == BrokerURL.defaultWebSocketPath {
            return "\(BrokerURL.defaultWebSocketPath) is the usual path (mosquitto, EMQX, HiveMQ); look up this broker's, and check that this port is its WebSocket listener"
        }
        return "most brokers serve MQTT over WebSocket at \(BrokerURL.defaultWebSocketPath): \(url.scheme.rawValue)://\(authority(url))\(BrokerURL.defaultWebSocketPath)"
    }

    private static func closedHint(url: BrokerURL, path: String, presentedClientCertificate: Bool) -> String {
        if url.usesTLS {
            return presentedClientCertificate
                ? "the broker may have refused the client certificate just after the handshake (TLS 1.3), or this is an MQTT over TLS listener (try mqtts://\(authority(url)))"
                : "a broker that requires a client certificate closes here (pass --cert and --key), and so does an MQTT over TLS listener on an HTTP request (try mqtts://\(authority(url)))"
        }
        return "an MQTT listener (not WebSocket) closes on an HTTP request: try mqtt://\(authority(url)); a TLS listener does too: try wss://\(authority(url))\(path)"
    }

    /// `host:port` as a URL writes it (IPv6 in brackets).
    static func authority(_ url: BrokerURL) -> String {
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        return "\(host):\(url.port)"
    }
}
