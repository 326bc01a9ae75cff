import Foundation
import Ledger
import Verification

/// CPU seconds used so far, read once a second: this process, the observers' event loop thread,
/// the publishers' event loop thread and mosquitto; mosquitto's message counters and the unread
/// bytes on its connections.
struct CPUSample {
    var atNs: UInt64
    var process: Double
    var observer: Double
    var publisher: Double
    var broker: Double
    /// mosquitto's PUBLISH counters as last published on `$SYS` (up to a second old).
    var brokerCounters: BrokerCounters.Values
    /// Unread bytes in the broker's connections at this instant.
    var queues: SocketQueues

    static func take(clock: RunClock, observerThread: Int, publisherThread: Int, broker: Int32, brokerPort: Int,
                     brokerCounters: BrokerCounters.Values) -> CPUSample {
        CPUSample(atNs: clock.now(), process: CPUTime.process(), observer: CPUTime.thread(observerThread),
                  publisher: CPUTime.thread(publisherThread), broker: CPUTime.otherProcess(broker),
                  brokerCounters: brokerCounters, queues: SocketQueues.read(brokerPort: brokerPort))
    }
}

/// What the run measured, and the report: totals, a per-second table and who was the bottleneck.
struct BenchResult {
    let options: BenchOptions
    /// Run-clock time publishing started, on a whole second.
    let startNs: UInt64
    let sent: UInt64
    let sequences: [UInt64]
    let sentPerSecond: [UInt64]
    let blockedTicks: Int
    let totals: ObserverTotals
    let samples: [CPUSample]
    let processCPU: Double

    private var firstSecond: Int { Int(startNs / 1_000_000_000) }

    /// Messages written in the publishing seconds (a publisher held back by full sockets catches up later).
    private var sentWhilePublishing: Double {
        Double((0..<Int(options.duration)).reduce(UInt64(0)) { $0 + count(sentPerSecond, firstSecond + $1) })
    }

    private func count(_ perSecond: [UInt64], _ second: Int) -> UInt64 {
        second < perSecond.count ? perSecond[second] : 0
    }

    func render() -> String {
        var counts = TelemetryCounts()
        for (device, tracker) in totals.trackers.enumerated() {
            let published = sequences[device]
            let device = tracker.counts(deviceSummary: (sent: published, lastSequence: published &- 1))
            counts.delivered += device.delivered
            counts.unique += device.unique
            counts.lost += device.lost
            counts.duplicates += device.duplicates
            counts.outOfOrder += device.outOfOrder
        }
        var lines: [String] = []
        let duration = options.duration
        lines.append(String(format: "sent       %llu (target %.0f msg/s → %.0f msg/s achieved by the publishers while publishing; %d ticks held back by a full socket)",
                            sent, options.rate, sentWhilePublishing / duration, blockedTicks))
        lines.append("received   \(counts.delivered) delivered, \(counts.unique) unique")
        let broker = samples.last?.brokerCounters ?? BrokerCounters.Values()
        lines.append("broker     ($SYS, refreshed every 1-2 s) received \(broker.received), sent \(broker.sent) (incl. a few $SYS), dropped \(broker.dropped)")
        lines.append("lost       \(counts.lost)   duplicates \(counts.duplicates)   out of order \(counts.outOfOrder)   unknown topic \(totals.unknownTopic)   unreadable \(totals.unreadable)")

        // Per-second table, aligned on the run clock's seconds (publishing starts on a whole second).
        lines.append("")
        lines.append("  second      sent  observer   backlog   unread KB: by mosquitto  by observer   CPU: observer  publisher  mosquitto  process")
        var cumulativeSent: UInt64 = 0
        var cumulativeReceived: UInt64 = 0
        var backlogAtEnd: UInt64 = 0
        var receivedWhilePublishing: UInt64 = 0
        var fullSecondRates: [UInt64] = []
        for index in 1..<samples.count {
            let second = firstSecond + index - 1
            let sentNow = count(sentPerSecond, second)
            let receivedNow = count(totals.deliveredPerSecond, second)
            cumulativeSent += sentNow
            cumulativeReceived += receivedNow
            let backlog = cumulativeSent > cumulativeReceived ? cumulativeSent - cumulativeReceived : 0
            if Double(index) <= duration {
                receivedWhilePublishing += receivedNow
                backlogAtEnd = backlog
                if Double(index) >= 2 { fullSecondRates.append(receivedNow) }
            }
            let (before, after) = (samples[index - 1], samples[index])
            let wall = Double(after.atNs - before.atNs) / 1e9
            func percent(_ path: KeyPath<CPUSample, Double>) -> String {
                String(format: "%5.0f%%", (after[keyPath: path] - before[keyPath: path]) / wall * 100)
            }
            lines.append(String(format: "  %6d  %8llu  %8llu  %8llu  %23d  %11d", index, sentNow, receivedNow, backlog,
                                after.queues.unreadByBroker / 1024, after.queues.unreadByClients / 1024)
                         + "         \(percent(\.observer))     \(percent(\.publisher))     \(percent(\.broker))   \(percent(\.process))")
        }

        let window = samples.firstIndex { Double($0.atNs - startNs) / 1e9 >= duration - 0.001 } ?? samples.count - 1
        let publishing = (samples[0], samples[window])
        let wall = Double(publishing.1.atNs - publishing.0.atNs) / 1e9
        let observerBusy = (publishing.1.observer - publishing.0.observer) / wall
        let brokerBusy = (publishing.1.broker - publishing.0.broker) / wall
        let publisherBusy = (publishing.1.publisher - publishing.0.publisher) / wall
        let processBusy = (publishing.1.process - publishing.0.process) / wall
        let sortedRates = fullSecondRates.sorted()
        let median = sortedRates.isEmpty ? 0 : sortedRates[sortedRates.count / 2]
        let observerRate = Double(receivedWhilePublishing) / Double(Int(duration))
        lines.append("")
        lines.append(String(format: "observer   %.0f msg/s counted while publishing; median full second %llu msg/s; backlog when publishing stopped: %llu",
                            observerRate, median, backlogAtEnd))
        lines.append(String(format: "CPU        process %.2f s in total; while publishing: observer loop %.0f%%, publisher loop %.0f%%, mosquitto %.0f%%, process %.0f%% (2 cores = 200%%)",
                            processCPU, observerBusy * 100, publisherBusy * 100, brokerBusy * 100, processBusy * 100))
        // Where unread bytes sat while publishing: in mosquitto's input or in the observer's.
        let publishingSamples = samples[1...window]
        let unreadByBroker = publishingSamples.map(\.queues.unreadByBroker).reduce(0, +) / publishingSamples.count
        let unreadByObserver = publishingSamples.map(\.queues.unreadByClients).reduce(0, +) / publishingSamples.count
        lines.append("machine    load average \(loadAverage) (other processes compete for the 2 cores)")
        lines.append("bottleneck " + bottleneck(counts: counts, backlog: backlogAtEnd, unread: (unreadByBroker, unreadByObserver), observer: observerBusy,
                                                 broker: brokerBusy))
        return lines.joined(separator: "\n")
    }

    private func bottleneck(counts: TelemetryCounts, backlog: UInt64, unread: (broker: Int, observer: Int),
                            observer: Double, broker: Double) -> String {
        let sentRate = sentWhilePublishing / options.duration
        let keptUp = counts.lost == 0 && Double(backlog) < 0.02 * sentRate
        let percent = { (share: Double) in "\(Int(share * 100))% of a core" }
        let queues = "unread on average: \(unread.broker / 1024) KB by mosquitto, \(unread.observer / 1024) KB by the observer"
        if keptUp && sentRate >= 0.97 * options.rate {
            return String(format: "none: the observer kept up with %.0f msg/s (observer loop %@, mosquitto %@; %@)",
                          sentRate, percent(observer), percent(broker), queues)
        }
        let starved = { (share: Double) in
            share < 0.9 ? ", though it got only \(percent(share)): runnable but not scheduled, the cores are contended" : " (\(percent(share)))"
        }
        if unread.observer > unread.broker && unread.observer >= 64 * 1024 {
            return "the observer: it did not read what mosquitto sent fast enough\(starved(observer)); \(queues); mosquitto \(percent(broker))"
        }
        return "mosquitto: the observer read what mosquitto sent as it came (\(queues)), the backlog of \(backlog) "
            + "waited in mosquitto\(starved(broker)); observer loop \(percent(observer))"
    }

    private var loadAverage: String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }
}
