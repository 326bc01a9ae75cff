import Fleet
import Foundation
import Ledger
import NIOConcurrencyHelpers
import NIOCore
import Observation
import Reports
import RunMetrics
import Verification

/// Polls the fleet's and the observers' counters and the will verdicts so far (5 times a second) for
/// the live progress line, Prometheus and the summary's figures: when every device was first
/// connected, and the telemetry rates. The line is redrawn in place at the terminal's width, or
/// written as plain lines into a log when its counts change and every 5 s at least (`LiveDisplay`).
final class RunLiveView: Sendable {
    struct Figures {
        var allConnectedAtNs: UInt64?
        var peakMessagesPerSecond: Double = 0
        var firstMessageAtNs: UInt64?
        var lastMessagesOut: UInt64 = 0
        var lastDelivered: UInt64 = 0
        var lastPollNs: UInt64 = 0
        /// Telemetry published in each second of the run (index = second), for throughput charts.
        var publishedPerSecond: [UInt64] = []
    }

    /// What the polls change, behind one lock: polls run one after another on an event loop, `figures` and
    /// `stop` come from the run's task.
    private struct Polling {
        var figures = Figures()
        var display: LiveDisplay<ProgressSnapshot>
        var polls = 0
        /// Will verdicts so far by judgement, refreshed only for a line or once a second for Prometheus
        /// (re-judging costs more than reading counters).
        var verdictCounts: [String: Int] = [:]
        var task: RepeatedTask?
    }

    private let devices: any RunDevices
    private let observers: Observers
    private let verdicts: LiveWillVerdicts
    private let total: Int
    private let plannedNs: UInt64
    private let clock: RunClock
    private let terminal: Bool
    private let printEvery: Int
    /// Prometheus figures, when `fleet run --metrics` serves them.
    private let exporter: MetricsExporter?
    private let polling: NIOLockedValueBox<Polling>

    init(devices: any RunDevices, observers: Observers, verdicts: LiveWillVerdicts, total: Int, planned: Duration,
         clock: RunClock, style: TerminalStyle, every seconds: Double, exporter: MetricsExporter?) {
        self.devices = devices
        self.verdicts = verdicts
        self.exporter = exporter
        self.observers = observers
        self.total = total
        let (whole, fraction) = planned.components
        plannedNs = UInt64(max(whole, 0)) * 1_000_000_000 + UInt64(max(fraction, 0) / 1_000_000_000)
        self.clock = clock
        terminal = style == .ansi
        polling = NIOLockedValueBox(Polling(display: LiveDisplay(terminal: terminal, heartbeatSeconds: max(seconds, 5))))
        printEvery = seconds > 0 ? max(Int((seconds * 5).rounded()), 1) : 0
    }

    var figures: Figures { polling.withLockedValue { $0.figures } }

    func start(on eventLoop: any EventLoop) {
        let task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            self.devices.counters().and(self.observers.liveCounts()).map { self.poll($0.0, observed: $0.1) }
        }
        polling.withLockedValue { $0.task = task }
    }

    func stop() {
        polling.withLockedValue { polling in
            polling.task?.cancel()
            // Under the lock, so that the newline comes after the last line.
            if let end = polling.display.finish() { StandardOutput.write(end) }
        }
    }

    private func poll(_ counters: FleetCounters, observed: (delivered: UInt64, wills: UInt64)) {
        let now = clock.now()
        let delivered = observed.delivered
        polling.withLockedValue { polling in
            let lineDue = printEvery > 0 && (polling.polls + 1) % printEvery == 0
            if lineDue || (exporter != nil && polling.polls % 5 == 0) {
                polling.verdictCounts = Dictionary(
                    uniqueKeysWithValues: verdicts.counts(at: now).map { ($0.key.rawValue, $0.value) })
            }
            exporter?.update(MetricsSnapshot(
                devicesTotal: total, devicesConnected: counters.connected, devicesConnecting: counters.connecting,
                devicesDown: counters.down, messagesPublished: counters.messagesOut,
                messagesAcknowledged: counters.messagesAcked, messagesReceived: delivered,
                faultsInjected: UInt64(counters.faults), willsReceived: observed.wills,
                willVerdicts: polling.verdictCounts, elapsedSeconds: Double(now) / 1e9))
            let (outRate, inRate) = Self.record(counters, delivered: delivered, at: now, total: total,
                                                into: &polling.figures)
            polling.polls += 1
            guard lineDue else { return }
            let snapshot = ProgressSnapshot(
                elapsedNs: now, plannedNs: plannedNs, devices: total, connected: counters.connected,
                connecting: counters.connecting, down: counters.down, publishedPerSecond: outRate,
                deliveredPerSecond: inRate, faultsInjected: counters.faults, verdicts: polling.verdictCounts)
            let line = polling.display.refresh(snapshot.counts, atNs: now,
                                               columns: terminal ? StandardOutput.columns() : 0) {
                ProgressLine.render(snapshot, style: $0, width: $1)
            }
            if let line { StandardOutput.write(line) }
        }
    }

    /// Adds one poll's counters to the figures; the telemetry rates out and in since the last poll.
    private static func record(_ counters: FleetCounters, delivered: UInt64, at now: UInt64, total: Int,
                               into state: inout Figures) -> (out: Double, in: Double) {
        if state.allConnectedAtNs == nil, counters.connected >= total, total > 0 { state.allConnectedAtNs = now }
        if state.firstMessageAtNs == nil, counters.messagesOut > 0 { state.firstMessageAtNs = now }
        let elapsed = Double(now &- state.lastPollNs) / 1e9
        var rates = (out: 0.0, in: 0.0)
        if elapsed > 0, state.lastPollNs > 0 {
            rates = (Double(counters.messagesOut &- state.lastMessagesOut) / elapsed,
                     Double(delivered &- state.lastDelivered) / elapsed)
            state.peakMessagesPerSecond = max(state.peakMessagesPerSecond, rates.out)
        }
        let second = Int(now / 1_000_000_000)
        if state.publishedPerSecond.count <= second {
            state.publishedPerSecond += Array(repeating: 0, count: second + 1 - state.publishedPerSecond.count)
        }
        state.publishedPerSecond[second] &+= counters.messagesOut &- state.lastMessagesOut
        state.lastMessagesOut = counters.messagesOut
        state.lastDelivered = delivered
        state.lastPollNs = now
        return rates
    }
}
