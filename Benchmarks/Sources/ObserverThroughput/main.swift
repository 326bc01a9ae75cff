import Foundation
import Ledger
import NIOCore
import NIOPosix
import Observation
import Scenario
import Verification

// Observers' throughput: can the product's observers count ≥ 50,000 telemetry messages a second?
// Own mosquitto, fleet's `Observers` on one event loop, paced QoS 0 publishers on another.

/// Unbuffered, so progress shows when the output is piped.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

let options: BenchOptions
do {
    options = try BenchOptions(arguments: CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("observer-throughput: \(error)\n".utf8))
    exit(2)
}

let observerGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let publisherGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let broker = try await BenchBroker.start(executable: options.mosquitto, group: publisherGroup)
say("mosquitto (pid \(broker.pid)) on 127.0.0.1:\(broker.port)")

do {
    let plan = try ScenarioLoader.parse(yaml: """
        name: observer-throughput
        broker: { url: "mqtt://127.0.0.1:\(broker.port)" }
        groups:
          - name: bench
            count: \(options.devices)
            client-id: "bench-{index:05}"
            telemetry: { topic: "devices/{clientId}/sequence", every: 1s, qos: 0 }
        timeline:
          - { at: 0s, ramp: { over: 0s } }
          - { at: \(Int(options.duration.rounded(.up)))s, stop: graceful }
        observer: { connections: \(options.observers), qos: \(options.observerQoS) }
        """, path: "observer-throughput.yaml")
    let devices = plan.devices()
    let clock = RunClock()
    let observers = try await Observers.start(
        plan: plan, roster: ObserverRoster(plan: plan), ledger: RunEventCollector(), clock: clock, group: observerGroup)
    let observerThread = try await observerGroup.next().submit { CPUTime.currentThreadID() }.get()
    let publisherLoop = publisherGroup.next()
    let publisherThread = try await publisherLoop.submit { CPUTime.currentThreadID() }.get()
    let runID = String(UInt32(truncatingIfNeeded: clock.now() ^ UInt64(getpid())), radix: 36)
    let brokerCounters = try await BrokerCounters.connect(port: broker.port, loop: publisherLoop, runID: runID)
    let connections = try await PacedPublishers.connect(
        count: options.publishers, port: broker.port, loop: publisherLoop, runID: runID)
    let publishers = try await publisherLoop.submit {
        NIOLoopBound(PacedPublishers(loop: publisherLoop, connections: connections.map(\.value), devices: devices),
                     eventLoop: publisherLoop)
    }.get()

    say("""
        \(options.devices) devices, \(options.publishers) publisher connections, \(options.observers) observer \
        connection(s) (QoS \(options.observerQoS) subscription); target \(Int(options.rate)) msg/s for \
        \(options.duration) s, then \(options.drain) s drain
        """)

    // Start on a whole second of the run clock, so that the publishers' and the observer's
    // per-second counts (both indexed by run-clock second) line up with the CPU samples.
    let startNs = (clock.now() / 1_000_000_000 + 1) * 1_000_000_000
    try await Task.sleep(for: .nanoseconds(Int64(startNs - clock.now())))
    let (rate, duration) = (options.rate, options.duration)
    func sample() async throws -> CPUSample {
        let counters = try await publisherLoop.submit { brokerCounters.value.values }.get()
        return CPUSample.take(clock: clock, observerThread: observerThread, publisherThread: publisherThread,
                              broker: broker.pid, brokerPort: broker.port, brokerCounters: counters)
    }
    var samples = [try await sample()]
    let finished = try await publisherLoop.submit {
        publishers.value.start(rate: rate, duration: duration, clock: clock)
        return publishers.value.finished
    }.get()
    // Sample every second while publishing, then drain: keep going while mosquitto has not yet
    // taken in everything that was sent (at most 30 s), then --drain more seconds for its last
    // deliveries to reach the observer.
    let total = UInt64(options.rate * options.duration)
    var second = 0
    var drainedSince: Int?
    while true {
        second += 1
        let wake = startNs + UInt64(second) * 1_000_000_000
        let now = clock.now()
        if wake > now { try await Task.sleep(for: .nanoseconds(Int64(wake - now))) }
        samples.append(try await sample())
        guard Double(second) >= options.duration else { continue }
        if drainedSince == nil, samples[second].brokerCounters.received >= total { drainedSince = second }
        if let since = drainedSince, Double(second - since) >= options.drain { break }
        if Double(second) >= options.duration + 30 { break }
    }
    try await finished.get()
    let sent = try await publisherLoop.submit {
        (publishers.value.sent, publishers.value.sequences, publishers.value.sentPerSecond, publishers.value.blockedTicks)
    }.get()
    let totals = await observers.finish()

    let result = BenchResult(
        options: options, startNs: startNs, sent: sent.0, sequences: sent.1, sentPerSecond: sent.2,
        blockedTicks: sent.3, totals: totals, samples: samples, processCPU: CPUTime.process())
    say(result.render())
} catch {
    FileHandle.standardError.write(Data("observer-throughput: \(error)\n(mosquitto's config and log kept in \(broker.directory.path))\n".utf8))
    await broker.stop(keepFiles: true)
    exit(1)
}
await broker.stop()
try await publisherGroup.shutdownGracefully()
try await observerGroup.shutdownGracefully()
