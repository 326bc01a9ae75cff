/// A latency phase as Prometheus names it: `name` in snake case (`tcp_connect`, `will_delivery`) becomes the
/// histogram `fleet_latency_<name>_seconds`, `help` its HELP line. Plain strings keep this target a leaf: the
/// caller maps its own phases onto these.
public struct LatencyMetric: Sendable, Hashable {
    public var name: String
    public var help: String

    public init(name: String, help: String) {
        self.name = name
        self.help = help
    }
}
