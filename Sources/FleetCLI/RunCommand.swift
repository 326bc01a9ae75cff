import ArgumentParser
import Dispatch
import Fleet
import Foundation
import LabBroker
import Ledger
import NIOCore
import NIOPosix
import Reports
import RunMetrics
import Scenario
import Verification

/// `fleet run SCENARIO.yaml`: plays a scenario's timeline against its broker with thousands of
/// virtual devices, watches them with observers, and judges the run against its expectations.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: spawn its devices, play its timeline of faults, judge wills, telemetry and latency.",
        discussion: """
            Writes the event ledger as the run goes and, at the end, <ledger>.json, .junit.xml, .html and .txt reports. \
            A run too big for one process's open-file limit says how many processes it needs: --processes N splits it.

            Exit status: 0 when every expectation passed, 1 when one failed, 2 for a malformed scenario, 3 when the \
            run does not fit this machine's limits, 4 when the observers cannot subscribe, 130 when interrupted (the \
            reports are still written).
            """
    )

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(name: .long, help: """
        The broker to run against instead of the scenario's: mqtt://, mqtts://, ws:// or wss://HOST:PORT[/PATH], \
        or lab[:PROFILE] for the embedded lab broker (profiles: standard, eventgrid, iothub, or a profile file). \
        A scenario that names no broker runs against lab:standard.
        """)
    var broker: String?

    @Option(name: .long, help: "PEM file of the roots to trust for an mqtts:// --broker (default: the scenario's, else the system's).")
    var brokerCa: String?

    @Option(name: .long, help: "Where to write the event ledger (JSON lines). Default: runs/<name>-<time>.jsonl")
    var events: String?

    @Flag(name: .long, help: "Check the scenario and the limits, print what would run, connect nothing.")
    var dryRun = false

    @Option(name: .long, help: """
        Seconds between refreshes of the live line (0: none); into a pipe or file a plain line comes when the \
        counts change, and otherwise every 5 s (or every N s, when N is longer).
        """)
    var statusEvery: Double = 1

    @Option(name: .long, help: "Serve Prometheus metrics at PORT or HOST:PORT (host defaults to 127.0.0.1) during the run.",
            transform: { text in
                guard let address = MetricsAddress(text) else {
                    throw ValidationError("--metrics: expected PORT or HOST:PORT, got '\(text)'")
                }
                return address
            })
    var metrics: MetricsAddress?

    @Option(name: .long, help: """
        Split the devices over N worker processes, each with its own open-file limit; observers, ledger and \
        reports stay in this one. The run reads like one: same selections, same report.
        """)
    var processes: Int = 1

    @Option(name: .long, help: .hidden, transform: Self.partition)
    var worker: FleetPartition?

    @Option(name: .long, help: .hidden)
    var clockOrigin: UInt64?

    /// A worker's copy of the coordinator's folder of `cert-fault` identities.
    @Option(name: .long, help: .hidden)
    var certFaults: String?

    func validate() throws {
        guard (1...256).contains(processes) else { throw ValidationError("--processes must be between 1 and 256") }
        if worker != nil, clockOrigin == nil { throw ValidationError("--worker needs --clock-origin") }
    }

    /// `K/N` (1-based) as a partition.
    private static func partition(_ text: String) throws -> FleetPartition {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw ValidationError("--worker: expected K/N with 1 ≤ K ≤ N, got '\(text)'")
        }
        return FleetPartition(index: parts[0] - 1, count: parts[1])
    }

    func run() async throws {
        var plan: Plan
        do {
            plan = try ScenarioLoader.load(path: scenario, options: .init(
                brokerOverride: broker, brokerCA: brokerCa, iotHubStepsSentByCoordinator: worker != nil))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        if let worker, let clockOrigin {
            do {
                try await RunWorker.run(plan: plan, partition: worker, clock: RunClock(originNs: clockOrigin),
                                        certificateFaults: certFaults)
            } catch {
                FileHandle.standardError.write(Data("fleet run --worker \(worker): \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        let devices = plan.devices()
        let preflight: RunPreflight
        do {
            preflight = try RunPreflight.check(plan, devices: devices, processes: processes)
        } catch {
            FileHandle.standardError.write(Data("fleet run: \(error)\n".utf8))
            throw ExitCode(3)
        }
        print(RunConsole.preflight(plan, preflight, devices: devices))
        if dryRun { return }

        let path = events ?? RunConsole.defaultLedgerPath(plan)
        // The run's own folder, beside its ledger: the certificate folders the scenario names are only read.
        let certificateFaults = RunConsole.reportBase(ledgerPath: path) + ".cert-faults"
        for line in try await CertificateFaultIdentities.prepare(plan: plan, devices: devices, faults: certificateFaults) {
            print("  " + line)
        }
        var lab: LabBrokerLaunch?
        if plan.broker.lab != nil {
            do {
                let launch = try await LabBrokerLaunch.start(for: plan.broker, plan: plan,
                                                             workDirectory: RunConsole.reportBase(ledgerPath: path) + ".lab")
                plan.broker = launch.broker
                print(launch.banner)
                lab = launch
            } catch {
                FileHandle.standardError.write(Data("fleet run: the lab broker could not start: \(error)\n".utf8))
                throw ExitCode(3)
            }
        }
        do {
            try await play(plan, devices: devices, preflight: preflight, ledgerPath: path,
                           certificateFaults: certificateFaults, cloud: LabCloudOperator(lab))
        } catch {
            try? await lab?.server.shutdown()
            throw error
        }
        try? await lab?.server.shutdown()
    }

    /// Everything after the plan is loaded, checked and aimed at its broker. `cloud` sends the `iothub` steps
    /// (the lab broker's IoT Hub endpoint): from the fleet, or in a split run from this process, which owns
    /// the lab broker (`CloudTimeline`), started with the workers' timelines.
    private func play(_ plan: Plan, devices: [DevicePlan], preflight: RunPreflight, ledgerPath path: String,
                      certificateFaults: String, cloud: (any CloudServiceOperator)?) async throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        let ledger = try LedgerWriter(path: path)
        let clock = RunClock()
        ledger.record(RunEvent(at: clock.now(), kind: .runStarted(scenario: plan.name, seed: plan.seed, devices: devices.count)))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        // Every event reaches the ledger through the live verdicts, so the progress line can count them.
        // With --metrics, the latencies events carry reach Prometheus on their way to the ledger, and each
        // will's delay as the live verdicts judge it.
        let exporter = metrics.map { _ in MetricsExporter() }
        let sink: any RunEventSink = exporter.map { MetricsLatencyTap(exporter: $0, next: ledger) } ?? ledger
        let willLatency = exporter.map { exporter -> @Sendable (UInt64) -> Void in
            let metric = MeasuredPhase.willDelivery.metric
            return { nanoseconds in exporter.observeLatency(metric, nanoseconds: nanoseconds) }
        }
        let verdicts = LiveWillVerdicts(rules: WillRules(plan), forwardingTo: sink, willLatency: willLatency)
        let verification: RunVerification
        do {
            verification = try await RunVerification.start(plan: plan, ledger: verdicts, clock: clock, group: group)
        } catch {
            FileHandle.standardError.write(Data("fleet run: the observers could not start: \(error)\n".utf8))
            ledger.close()
            try? await group.shutdownGracefully()
            throw ExitCode(4)
        }
        let cloudTimeline = processes > 1 && CloudTimeline.isNeeded(for: plan)
            ? cloud.map { CloudTimeline(plan: plan, eventLoop: group.next(), sink: verdicts, clock: clock, cloud: $0) }
            : nil
        let workers = processes > 1
            ? WorkerProcesses(scenario: scenario,
                              brokerArguments: Self.brokerArguments(plan.broker) + ["--cert-faults", certificateFaults],
                              count: processes,
                              clock: clock, sink: verdicts, eventLoop: group.next(), onStart: { cloudTimeline?.start() })
            : nil
        let driver: any RunDevices = try workers ?? LocalDevices(fleet: Fleet(
            plan: plan, group: group, sink: verdicts, clock: clock, connections: .plan(plan, sources: preflight.sources,
                                                                                    certificateFaults: certificateFaults),
            cloud: cloud))
        let interruption = RunInterruption()
        let signals = interruption.install { driver.interrupt() }
        var metricsServer: MetricsServer?
        if let metrics, let exporter {
            let server = try await MetricsServer.start(exporter: exporter, at: metrics, group: group)
            print("metrics: http://\(server.address)/metrics")
            metricsServer = server
        }
        let live = RunLiveView(devices: driver, observers: verification.observers, verdicts: verdicts, total: devices.count,
                               planned: plan.duration, clock: clock, style: RunVerification.terminalStyle,
                               every: statusEvery, exporter: exporter)
        live.start(on: group.next())

        try await driver.play()
        try await cloudTimeline?.finish().get()
        live.stop()
        signals.forEach { $0.cancel() }
        // Wills of the last abrupt endings are still on their way to the observers.
        try await Task.sleep(for: RunVerification.drain)
        let observed = await verification.stopObserving()
        try await metricsServer?.shutdown()

        let outcome = try? await driver.outcome()
        for count in outcome?.counts ?? [] {
            ledger.record(RunEvent(at: clock.now(), device: count.clientID, kind: .telemetrySummary(
                sent: count.sent, acked: count.acked, lastSequence: count.lastSequence ?? 0)))
        }
        let reason: RunEndReason = interruption.happened ? .interrupted : .completed
        ledger.record(RunEvent(at: clock.now(), kind: .runEnded(reason: reason)))
        ledger.close()
        try await group.shutdownGracefully()
        print(RunConsole.summary(plan: plan, counters: outcome?.counters ?? FleetCounters(), counts: outcome?.counts ?? [],
                                live: live.figures, clock: clock, reason: reason, ledgerPath: path))
        let base = RunConsole.reportBase(ledgerPath: path)
        let (report, files) = try RunVerification.judge(
            plan: plan, observed: observed, acknowledgements: outcome?.acknowledgements, ledgerPath: path,
            reportBase: base, publishedPerSecond: live.figures.publishedPerSecond)
        print(TerminalSummary.render(report, style: RunVerification.terminalStyle))
        print("reports: " + files.joined(separator: ", "))
        let failures = workers?.failures ?? []
        for failure in failures { FileHandle.standardError.write(Data("fleet run: \(failure)\n".utf8)) }
        if reason == .interrupted { throw ExitCode(130) }
        if !report.passed || !failures.isEmpty { throw ExitCode(1) }
    }

    /// Workers load the scenario themselves: they get the broker this run resolved, so a lab broker's port
    /// and CA reach them.
    private static func brokerArguments(_ broker: BrokerSpec) -> [String] {
        guard broker.lab != nil else { return [] }
        return ["--broker", broker.url] + (broker.caFile.map { ["--broker-ca", $0] } ?? [])
    }
}
