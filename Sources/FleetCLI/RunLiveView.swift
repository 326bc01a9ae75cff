import Fleet
import Foundation
import Ledger
import NIOCore

/// Polls the fleet's counters (5 times a second) for the status line and the summary's figures:
/// when every device was first connected, and the telemetry rate.
final class RunLiveView: @unchecked Sendable {
    struct Figures {
        var allConnectedAtNs: UInt64?
        var peakMessagesPerSecond: Double = 0
        var firstMessageAtNs: UInt64?
        var lastMessagesOut: UInt64 = 0
        var lastPollNs: UInt64 = 0
        /// Telemetry published in each second of the run (index = second), for throughput charts.
        var publishedPerSecond: [UInt64] = []
    }

    private let fleet: Fleet
    private let total: Int
    private let clock: RunClock
    private let printEvery: Int
    private let lock = NSLock()
    private var state = Figures()
    private var polls = 0
    private var task: RepeatedTask?

    init(fleet: Fleet, total: Int, clock: RunClock, every seconds: Double) {
        self.fleet = fleet
        self.total = total
        self.clock = clock
        printEvery = seconds > 0 ? max(Int((seconds * 5).rounded()), 1) : 0
    }

    var figures: Figures { lock.withLock { state } }

    func start(on eventLoop: any EventLoop) {
        task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            self.fleet.counters().map { self.poll($0) }
        }
    }

    func stop() {
        task?.cancel()
    }

    private func poll(_ counters: FleetCounters) {
        let now = clock.now()
        let line: String? = lock.withLock {
            if state.allConnectedAtNs == nil, counters.connected >= total, total > 0 { state.allConnectedAtNs = now }
            if state.firstMessageAtNs == nil, counters.messagesOut > 0 { state.firstMessageAtNs = now }
            let elapsed = Double(now &- state.lastPollNs) / 1e9
            if elapsed > 0, state.lastPollNs > 0 {
                let rate = Double(counters.messagesOut &- state.lastMessagesOut) / elapsed
                state.peakMessagesPerSecond = max(state.peakMessagesPerSecond, rate)
            }
            let second = Int(now / 1_000_000_000)
            if state.publishedPerSecond.count <= second {
                state.publishedPerSecond += Array(repeating: 0, count: second + 1 - state.publishedPerSecond.count)
            }
            state.publishedPerSecond[second] &+= counters.messagesOut &- state.lastMessagesOut
            state.lastMessagesOut = counters.messagesOut
            state.lastPollNs = now
            polls += 1
            guard printEvery > 0, polls % printEvery == 0 else { return nil }
            return String(
                format: "%7.1fs  connected %d/%d  connecting %d  down %d  msgs out %llu  acked %llu  faults %d",
                Double(now) / 1e9, counters.connected, total, counters.connecting, counters.down,
                counters.messagesOut, counters.messagesAcked, counters.faults)
        }
        if let line { print(line) }
    }
}
