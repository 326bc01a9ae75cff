import Fleet
import NIOCore

/// Who drives a run's devices, as the run command sees it: this process's own fleet
/// (``LocalDevices``) or worker processes that each drive a partition (``WorkerProcesses``).
/// Observers, the ledger, the live view and the reports stay with the run command either way.
protocol RunDevices: AnyObject, Sendable {
    /// Plays the timeline and returns once every device has stopped (the `stop` step, the end of the
    /// timeline, or `interrupt()`).
    func play() async throws
    /// Ctrl-C: stop every device gracefully.
    func interrupt()
    /// Live counts, for the progress line and Prometheus.
    func counters() -> EventLoopFuture<FleetCounters>
    /// What the devices counted themselves, once `play` has returned.
    func outcome() async throws -> FleetOutcome
}

/// The devices driven in this process.
final class LocalDevices: RunDevices {
    let fleet: Fleet

    init(fleet: Fleet) {
        self.fleet = fleet
    }

    func play() async throws {
        fleet.start()
        let stoppedBy = try await fleet.timelineFinished.get()
        try await fleet.stop(stoppedBy ?? .graceful).get()
    }

    func interrupt() {
        fleet.stop(.graceful).whenComplete { _ in }
    }

    func counters() -> EventLoopFuture<FleetCounters> {
        fleet.counters()
    }

    func outcome() async throws -> FleetOutcome {
        try await fleet.outcome().get()
    }
}
