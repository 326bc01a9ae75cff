import Ledger
import RunMetrics
import Verification

/// Sits in front of the ledger while `fleet run --metrics` serves Prometheus: the latencies that events carry
/// (TCP, TLS, WebSocket upgrade, CONNACK, SUBACK, IoT Hub method and twin round trips) go to the exporter's
/// histograms as they happen, and every event is passed on unchanged.
struct MetricsLatencyTap: RunEventSink {
    let exporter: MetricsExporter
    let next: any RunEventSink

    func record(_ event: RunEvent) {
        next.record(event)
        switch event.kind {
        case .connected(let tcpNs, let tlsNs, let webSocketNs, let connackNs, _):
            observe(.tcpConnect, tcpNs)
            if let tlsNs { observe(.tlsHandshake, tlsNs) }
            if let webSocketNs { observe(.webSocketUpgrade, webSocketNs) }
            observe(.connack, connackNs)
        case .subscribed(_, let subackNs):
            observe(.suback, subackNs)
        case .methodCompleted(_, _, .answered, _, let roundTripNs):
            observe(.commandReply, roundTripNs)
        case .twinAnswered(_, _, _, let roundTripNs):
            observe(.twinResponse, roundTripNs)
        default:
            break
        }
    }

    private func observe(_ phase: MeasuredPhase, _ nanoseconds: UInt64) {
        exporter.observeLatency(phase.metric, nanoseconds: nanoseconds)
    }
}

extension MeasuredPhase {
    /// The phase as a Prometheus histogram: `fleet_latency_<name>_seconds`, its title as help.
    var metric: LatencyMetric {
        let name = switch self {
        case .tcpConnect: "tcp_connect"
        case .tlsHandshake: "tls_handshake"
        case .webSocketUpgrade: "websocket_upgrade"
        case .connack: "connack"
        case .suback: "suback"
        case .puback: "puback"
        case .endToEnd: "end_to_end"
        case .willDelivery: "will_delivery"
        case .commandReply: "command_reply"
        case .twinResponse: "twin_response"
        }
        return LatencyMetric(name: name, help: "Latency of \(title), in seconds.")
    }
}
