import NIOConcurrencyHelpers
import Prometheus

/// The run's Prometheus metrics: one registry whose gauges and counters follow the snapshots the run
/// command hands in, so a long soak test can be watched in Grafana while it runs.
///
/// Counters in Prometheus only go up; the snapshot carries cumulative totals, so each update adds
/// the difference since the last one (a total that went down is ignored rather than breaking
/// `rate()`). Latencies are Prometheus histograms, one per measured phase, fed one value at a time
/// as the run measures them (``observeLatency(_:nanoseconds:)``). Safe to update from any thread
/// while the server reads from another.
public final class MetricsExporter: Sendable {
    /// The registry the server emits; exposed so callers may add metrics of their own.
    public let registry: PrometheusCollectorRegistry

    private let devicesTotal: Gauge
    private let devicesConnected: Gauge
    private let devicesConnecting: Gauge
    private let devicesDown: Gauge
    private let elapsedSeconds: Gauge
    private let published: Counter
    private let acknowledged: Counter
    private let received: Counter
    private let faults: Counter
    private let wills: Counter
    private let lastTotals = NIOLockedValueBox(Totals())
    /// One gauge per judgement, made when the judgement first appears (the exporter knows no list of them).
    private let verdictGauges = NIOLockedValueBox<[String: Gauge]>([:])
    /// One histogram per latency phase, made on its first value (a run without TLS exports no TLS histogram).
    private let latencies = NIOLockedValueBox<[LatencyMetric: ValueHistogram]>([:])

    /// Upper bounds in seconds shared by every latency histogram: 0.5 ms (a loopback CONNACK) to 2 min (a will
    /// after 1.5 keep-alives of 60 s plus a will delay), about 2.5× apart, so `histogram_quantile` is good to a
    /// bucket anywhere in between and histograms of different phases and runs aggregate.
    public static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120,
    ]

    /// Cumulative totals already added to the counters.
    private struct Totals {
        var published: UInt64 = 0
        var acknowledged: UInt64 = 0
        var received: UInt64 = 0
        var faults: UInt64 = 0
        var wills: UInt64 = 0
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        devicesTotal = registry.makeGauge(descriptor: Self.name("devices", unit: "", help: "Devices in the scenario's plan."))
        devicesConnected = registry.makeGauge(descriptor: Self.name(
            "devices", "connected", unit: "", help: "Devices connected to the broker (CONNACK accepted)."))
        devicesConnecting = registry.makeGauge(descriptor: Self.name(
            "devices", "connecting", unit: "", help: "Devices booting or waiting for CONNACK."))
        devicesDown = registry.makeGauge(descriptor: Self.name(
            "devices", "down", unit: "", help: "Started devices neither connected nor connecting (backoff, held, given up)."))
        elapsedSeconds = registry.makeGauge(descriptor: Self.name(
            "run", "elapsed", unit: "seconds", help: "Seconds since the run started."))
        published = registry.makeCounter(descriptor: Self.name(
            "messages", "published", unit: "total", help: "Messages the devices published."))
        acknowledged = registry.makeCounter(descriptor: Self.name(
            "messages", "acknowledged", unit: "total", help: "QoS 1/2 messages of the devices the broker acknowledged."))
        received = registry.makeCounter(descriptor: Self.name(
            "messages", "received", unit: "total", help: "Messages the observers received (telemetry, wills and status)."))
        faults = registry.makeCounter(descriptor: Self.name(
            "faults", "injected", unit: "total", help: "Faults the timeline injected."))
        wills = registry.makeCounter(descriptor: Self.name(
            "wills", "received", unit: "total", help: "Last-will messages the observers received."))
    }

    /// Sets the gauges and advances the counters to the snapshot's totals.
    public func update(_ snapshot: MetricsSnapshot) {
        devicesTotal.set(Int64(snapshot.devicesTotal))
        devicesConnected.set(Int64(snapshot.devicesConnected))
        devicesConnecting.set(Int64(snapshot.devicesConnecting))
        devicesDown.set(Int64(snapshot.devicesDown))
        elapsedSeconds.set(snapshot.elapsedSeconds)
        lastTotals.withLockedValue { last in
            Self.advance(published, from: &last.published, to: snapshot.messagesPublished)
            Self.advance(acknowledged, from: &last.acknowledged, to: snapshot.messagesAcknowledged)
            Self.advance(received, from: &last.received, to: snapshot.messagesReceived)
            Self.advance(faults, from: &last.faults, to: snapshot.faultsInjected)
            Self.advance(wills, from: &last.wills, to: snapshot.willsReceived)
        }
        verdictGauges.withLockedValue { gauges in
            for judgement in snapshot.willVerdicts.keys where gauges[judgement] == nil {
                gauges[judgement] = registry.makeGauge(
                    descriptor: Self.name("wills", "verdicts", unit: "", help: "Will verdicts so far by judgement."),
                    labels: [("judgement", judgement)])
            }
            for (judgement, gauge) in gauges { gauge.set(Int64(snapshot.willVerdicts[judgement] ?? 0)) }
        }
    }

    /// Adds one measured latency to its phase's histogram `fleet_latency_<phase>_seconds`.
    public func observeLatency(_ metric: LatencyMetric, nanoseconds: UInt64) {
        let histogram = latencies.withLockedValue { histograms in
            if let histogram = histograms[metric] { return histogram }
            let histogram = registry.makeValueHistogram(
                descriptor: Self.name("latency", metric.name, unit: "seconds", help: metric.help), buckets: Self.latencyBuckets)
            histograms[metric] = histogram
            return histogram
        }
        histogram.record(Double(nanoseconds) / 1e9)
    }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(2048)
        registry.emit(into: &buffer)
        return buffer
    }

    /// `fleet_<subsystem>_<name>_<unit>`, empty parts left out.
    private static func name(_ subsystem: String, _ name: String = "", unit: String, help: String) -> MetricNameDescriptor {
        if name.isEmpty {
            return MetricNameDescriptor(namespace: "fleet", metricName: subsystem, unitName: unit, helpText: help)
        }
        return MetricNameDescriptor(namespace: "fleet", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    private static func advance(_ counter: Counter, from last: inout UInt64, to total: UInt64) {
        guard total > last else { return }
        counter.increment(by: Int64(clamping: total - last))
        last = total
    }
}
