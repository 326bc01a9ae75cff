#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Fleet
import Foundation
import Ledger
import NIOConcurrencyHelpers
import NIOCore

/// Worker processes that each drive one partition of the plan's devices (`fleet run --processes N`),
/// each with its own open-file limit. Their ledger events flow into this process's ledger as they
/// happen (so the live verdicts and a Ctrl-C see them), their counters into the live view, and their
/// own counts into the report, so a split run reads like one.
final class WorkerProcesses: RunDevices, @unchecked Sendable {
    // @unchecked: the mutable state is in `state`, a locked box; the rest is immutable.
    private let scenario: String
    /// `--broker …` when the coordinator resolved the broker (the lab broker's port and CA).
    private let brokerArguments: [String]
    private let count: Int
    private let clock: RunClock
    private let sink: any RunEventSink
    private let eventLoop: any EventLoop
    /// Called once, as every worker is told to start its timeline (the coordinator's own steps start then).
    private let onStart: @Sendable () -> Void
    private let state: NIOLockedValueBox<State>

    private struct State {
        var processes: [Process] = []
        /// Each worker's standard input, to start its timeline.
        var inputs: [FileHandle] = []
        var ready = 0
        var counters: [FleetCounters]
        var outcomes: [Int: FleetOutcome] = [:]
        /// Workers that ended badly, in words.
        var failures: [String] = []
    }

    init(scenario: String, brokerArguments: [String], count: Int, clock: RunClock, sink: any RunEventSink, eventLoop: any EventLoop,
         onStart: @escaping @Sendable () -> Void = {}) {
        self.onStart = onStart
        self.scenario = scenario
        self.brokerArguments = brokerArguments
        self.count = count
        self.clock = clock
        self.sink = sink
        self.eventLoop = eventLoop
        state = NIOLockedValueBox(State(counters: Array(repeating: FleetCounters(), count: count)))
    }

    /// Workers that exited without reporting, or with a failure status; empty when all went well.
    var failures: [String] { state.withLockedValue { $0.failures } }

    func play() async throws {
        // A worker that died must not take this process with it when it is told to start.
        signal(SIGPIPE, SIG_IGN)
        var started: [(index: Int, process: Process, output: FileHandle)] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = Self.executable
            process.arguments = ["run", scenario, "--worker", FleetPartition(index: index, count: count).description,
                                 "--clock-origin", String(clock.originNs)] + brokerArguments
            let output = Pipe()
            let input = Pipe()
            process.standardOutput = output
            process.standardInput = input
            process.standardError = FileHandle.standardError
            try process.run()
            state.withLockedValue {
                $0.processes.append(process)
                $0.inputs.append(input.fileHandleForWriting)
            }
            started.append((index, process, output.fileHandleForReading))
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in started {
                group.addTask { await self.follow(worker.index, worker.process, worker.output) }
            }
        }
    }

    func interrupt() {
        state.withLockedValue { $0.processes.filter(\.isRunning) }.forEach { $0.interrupt() }
    }

    func counters() -> EventLoopFuture<FleetCounters> {
        eventLoop.makeSucceededFuture(state.withLockedValue { $0.counters.reduce(FleetCounters(), +) })
    }

    func outcome() async throws -> FleetOutcome {
        let parts = state.withLockedValue { state in
            state.outcomes.sorted { $0.key < $1.key }.map { (FleetPartition(index: $0.key, count: count), $0.value) }
        }
        guard let merged = FleetOutcome.merged(parts) else { throw WorkerFailure.noOutcome }
        return merged
    }

    /// Reads one worker's messages until it closes its output, then waits for it to exit. A thread of its
    /// own, because the reads block; a handful of workers, so a handful of threads.
    private func follow(_ index: Int, _ process: Process, _ output: FileHandle) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                let decoder = JSONDecoder()
                var pending = Data()
                while case let chunk = output.availableData, !chunk.isEmpty {
                    pending.append(chunk)
                    var start = pending.startIndex
                    while let newline = pending[start...].firstIndex(of: 0x0A) {
                        handle(pending[start..<newline], from: index, decoder: decoder)
                        start = pending.index(after: newline)
                    }
                    pending = Data(pending[start...])
                }
                if !pending.isEmpty { handle(pending, from: index, decoder: decoder) }
                process.waitUntilExit()
                finished(index, status: process.terminationStatus)
                done.resume()
            }
            thread.start()
        }
    }

    private func handle(_ line: Data, from index: Int, decoder: JSONDecoder) {
        guard let message = try? decoder.decode(WorkerMessage.self, from: line) else {
            // Not a message: something printed it; show it rather than lose it.
            let text = String(decoding: line, as: UTF8.self)
            FileHandle.standardError.write(Data("[worker \(index + 1)/\(count)] \(text)\n".utf8))
            return
        }
        switch message {
        case .ready: workerReady()
        case .event(let event): sink.record(event)
        case .counters(let counters): state.withLockedValue { $0.counters[index] = counters }
        case .outcome(let outcome): state.withLockedValue { $0.outcomes[index] = outcome }
        }
    }

    /// Once every worker has built its devices, starts all their timelines at once.
    private func workerReady() {
        let inputs: [FileHandle] = state.withLockedValue { state in
            state.ready += 1
            return state.ready == count ? state.inputs : []
        }
        guard !inputs.isEmpty else { return }
        onStart()
        for input in inputs { try? input.write(contentsOf: Data("start\n".utf8)) }
    }

    private func finished(_ index: Int, status: Int32) {
        let abandoned: [FileHandle] = state.withLockedValue { state in
            // Exited before every worker was ready: the others would wait for the go forever; closing
            // their input tells them to end without starting.
            state.ready < count ? state.inputs : []
        }
        for input in abandoned { try? input.close() }
        state.withLockedValue { state in
            let name = "worker \(index + 1)/\(count)"
            if status != 0 {
                state.failures.append("\(name) exited with status \(status)")
            } else if state.outcomes[index] == nil {
                state.failures.append("\(name) exited without reporting its devices' counts")
            }
        }
    }

    /// This program, to start its workers with.
    private static var executable: URL {
        if FileManager.default.fileExists(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }
}

enum WorkerFailure: Error, CustomStringConvertible {
    case noOutcome

    var description: String { "no worker process reported its devices' counts" }
}
