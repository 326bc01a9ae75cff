import Fleet
import Ledger

/// What a worker process tells the run command that started it, one JSON line at a time on its
/// standard output: that its devices are built, every ledger event as it happens, its live counters a
/// few times a second, and at the end what its devices counted. The coordinator answers `ready` with
/// one line on the worker's standard input once every worker is ready, so all timelines start together.
enum WorkerMessage: Codable, Sendable {
    case ready
    case event(RunEvent)
    case counters(FleetCounters)
    case outcome(FleetOutcome)
}

/// A worker's ledger: events go to the coordinator's ledger through its standard output.
struct WorkerEventStream: RunEventSink {
    let output: LedgerWriter

    func record(_ event: RunEvent) {
        output.append(WorkerMessage.event(event))
    }
}
