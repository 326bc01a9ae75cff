import Fleet
import Foundation
import Ledger
import NIOCore
import NIOPosix
import Scenario

/// `fleet run --worker K/N`: one partition of a run split over processes (`--processes N`).
///
/// Drives its share of the devices and plays the whole timeline for them; no observers, no reports,
/// nothing printed on standard output but ``WorkerMessage`` lines for the coordinator, whose run clock
/// it shares. Ctrl-C (or the coordinator's SIGINT) stops its devices gracefully; it still reports.
enum RunWorker {
    static func run(plan: Plan, partition: FleetPartition, clock: RunClock, certificateFaults: String?) async throws {
        let preflight = try RunPreflight.check(plan, devices: plan.devices(), processes: partition.count)
        let output = LedgerWriter(handle: .standardOutput, flushInterval: .milliseconds(100))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let fleet = try Fleet(plan: plan, group: group, sink: WorkerEventStream(output: output), clock: clock,
                              connections: .plan(plan, sources: preflight.sources, certificateFaults: certificateFaults),
                              partition: partition)
        let devices = LocalDevices(fleet: fleet)
        let interruption = RunInterruption()
        let signals = interruption.install(announce: false) { devices.interrupt() }
        let counters = group.next().scheduleRepeatedAsyncTask(initialDelay: .milliseconds(100), delay: .milliseconds(200)) { _ in
            fleet.counters().map { output.append(WorkerMessage.counters($0)) }
        }
        output.append(WorkerMessage.ready)
        output.flush()
        // Interrupted or abandoned before the go: nothing was started, so there is nothing to play.
        if await startSignal(orElse: { devices.interrupt() }), !interruption.happened {
            try await devices.play()
        }
        counters.cancel()
        signals.forEach { $0.cancel() }
        output.append(WorkerMessage.outcome(try await devices.outcome()))
        output.close()
        try await group.shutdownGracefully()
    }

    /// Waits for the coordinator's go (a line on standard input); false when the input closed first. Once
    /// started, the input closing means the coordinator is gone: `orphaned` stops the devices.
    private static func startSignal(orElse orphaned: @escaping @Sendable () -> Void) async -> Bool {
        await withCheckedContinuation { (started: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                var resumed = false
                while case let chunk = FileHandle.standardInput.availableData, !chunk.isEmpty {
                    if !resumed, chunk.contains(0x0A) {
                        resumed = true
                        started.resume(returning: true)
                    }
                }
                if resumed { orphaned() } else { started.resume(returning: false) }
            }
            thread.start()
        }
    }
}
