/// Why a WebSocket upgrade did not give an MQTT connection, in the terms a user fixes it by.
public enum MQTTWebSocketUpgradeFailure: Sendable, Hashable, CustomStringConvertible {
    /// The server answered the upgrade with an HTTP status other than 101 (404: wrong path; 401/403: the
    /// credentials a gateway wants; 400: not a WebSocket endpoint), with the start of its body.
    case refused(status: Int, reason: String, body: String)
    /// The server switched protocols but did not select the `mqtt` subprotocol (MQTT 5.0 §6).
    case subprotocolNotSelected(selected: String?)
    /// The `Sec-WebSocket-Accept` header is missing or does not answer our key: not a WebSocket server.
    case invalidAccept
    /// No `101 Switching Protocols` within the upgrade timeout.
    case timedOut(milliseconds: Int64)
    /// The server closed the connection before answering the upgrade.
    case closedBeforeResponse
    /// The response is not HTTP/1.1 as an upgrade needs.
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .refused(let status, let reason, let body):
            let shownBody = body.isEmpty ? "" : " (\(body))"
            return "the server refused the WebSocket upgrade: HTTP \(status) \(reason)\(shownBody)"
        case .subprotocolNotSelected(let selected):
            let answer = selected.map { "selected \"\($0)\"" } ?? "selected no subprotocol"
            return "the server \(answer) where MQTT over WebSocket needs \"\(MQTTWebSocketSettings.subprotocol)\""
        case .invalidAccept:
            return "the upgrade response has no valid Sec-WebSocket-Accept: not a WebSocket server"
        case .timedOut(let milliseconds):
            return "no WebSocket upgrade response within \(milliseconds) ms"
        case .closedBeforeResponse:
            return "the server closed the connection before answering the WebSocket upgrade"
        case .malformedResponse(let detail):
            return "malformed WebSocket upgrade response: \(detail)"
        }
    }
}
