/// One latency histogram per phase, mergeable across observers, devices' loops and runs.
public struct LatencyBook: Sendable, Equatable {
    public private(set) var phases: [MeasuredPhase: LatencyHistogram] = [:]

    public init() {}

    /// Records one value; the phase's histogram is created on first use.
    public mutating func record(_ phase: MeasuredPhase, _ nanoseconds: UInt64) {
        phases[phase, default: LatencyHistogram()].record(nanoseconds)
    }

    /// Adds `histogram` into `phase`; an empty one adds nothing (no empty phase appears).
    public mutating func merge(_ phase: MeasuredPhase, _ histogram: LatencyHistogram) {
        guard histogram.count > 0 else { return }
        phases[phase, default: LatencyHistogram()].merge(histogram)
    }

    /// Adds every phase of `other`.
    public mutating func merge(_ other: LatencyBook) {
        for (phase, histogram) in other.phases { merge(phase, histogram) }
    }

    public subscript(phase: MeasuredPhase) -> LatencyHistogram? { phases[phase] }
}
