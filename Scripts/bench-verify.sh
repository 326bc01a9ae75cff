#!/usr/bin/env bash
# Measures the observer hot path: topic → device lookup, payload sequence scan and
# per-device sequence tracking, as an observer connection runs it per message; the
# ledger writer/reader under a connect storm's events; and the live will verdicts' polls.
# Builds the real sources (they need only the standard library) with -O into a
# throwaway binary and prints messages per second. Not a test: numbers only.
#   Scripts/bench-verify.sh [devices] [messages-per-device]
set -euo pipefail
cd "$(dirname "$0")/.."
devices="${1:-50000}"
per_device="${2:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/main.swift" <<SWIFT
let devices = $devices
let perDevice = $per_device
var registrations: [TopicDirectory.Registration] = []
var topics: [[UInt8]] = []
for index in 0..<devices {
    let topic = "devices/XiaoTandHandCO2-\(index)/sequence"
    registrations.append(.init(topic: topic, device: index, roles: .telemetry))
    topics.append(Array(topic.utf8))
}
let directory = TopicDirectory(registrations)
let scanner = PayloadScanner(key: "Sequence")
var trackers = Array(repeating: SequenceTracker(), count: devices)
// Payloads as the default template renders them, prepared up front (the network would hand us bytes).
var payloads: [[UInt8]] = []
for sequence in 0..<perDevice {
    payloads.append(Array("{\"ClientID\":\"XiaoTandHandCO2-0\",\"Sequence\":\(sequence)}".utf8))
}
let clock = ContinuousClock()
var messages = 0
var failures = 0
let started = clock.now
for sequence in 0..<perDevice {
    // Every tenth round swaps two messages per device: reordering takes the slow path.
    let order = sequence % 10 == 8 ? [sequence + 1, sequence] : (sequence % 10 == 9 ? [] : [sequence])
    for device in 0..<devices {
        for seq in order where seq < perDevice {
            let entry = topics[device].withUnsafeBytes { directory.lookup(\$0) }
            let sequence = payloads[seq].withUnsafeBytes { scanner.value(in: \$0) }
            if let entry, let sequence { trackers[entry.device].record(sequence) } else { failures += 1 }
            messages += 1
        }
    }
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
var total = TelemetryCounts()
for tracker in trackers { total = total + tracker.counts() }
print("devices \(devices), messages \(messages), failures \(failures)")
print("lost \(total.lost), out of order \(total.outOfOrder), duplicates \(total.duplicates)")
print("elapsed \(seconds) s: \(Int(Double(messages) / seconds)) messages/s on one core")

// The ledger: connection events as a connect storm of every device would write them.
let ledgerPath = "$work/ledger.jsonl"
let writer = try LedgerWriter(path: ledgerPath)
let ledgerStarted = clock.now
for device in 0..<devices {
    let id = "XiaoTandHandCO2-\(device)"
    writer.record(RunEvent(at: UInt64(device) * 1_000, device: id, kind: .connecting(attempt: 1)))
    writer.record(RunEvent(at: UInt64(device) * 1_000 + 500, device: id,
                           kind: .connected(tcpNs: 1_000_000, tlsNs: 5_000_000, connackNs: 2_000_000, sessionPresent: false)))
}
writer.close()
let ledgerElapsed = clock.now - ledgerStarted
let ledgerSeconds = Double(ledgerElapsed.components.seconds) + Double(ledgerElapsed.components.attoseconds) / 1e18
print("ledger: \(2 * devices) events in \(ledgerSeconds) s: \(Int(Double(2 * devices) / ledgerSeconds)) events/s")
let readStarted = clock.now
let readBack = try LedgerReader.read(path: ledgerPath).count
let readElapsed = clock.now - readStarted
print("ledger read back: \(readBack) events in \(Double(readElapsed.components.attoseconds) / 1e18 + Double(readElapsed.components.seconds)) s")

// Live will verdicts: a connect storm of every device, then an abrupt ending of a tenth of them with
// their wills, as the progress line would poll them (each poll re-judges only devices with news).
let live = LiveWillVerdicts(rules: WillRules(graceNs: 2_000_000_000), forwardingTo: RunEventCollector())
func timed(_ label: String, _ body: () -> Void) {
    let started = clock.now
    body()
    let elapsed = clock.now - started
    print("live verdicts: \(label) in \(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3) ms")
}
timed("record \(devices) connects") {
    for device in 0..<devices {
        live.record(RunEvent(at: 1_000, device: "XiaoTandHandCO2-\(device)",
                             kind: .connected(tcpNs: 1, tlsNs: nil, connackNs: 1, sessionPresent: false)))
    }
}
timed("first poll after the storm (\(devices) devices re-judged)") { _ = live.counts(at: 2_000) }
timed("idle poll") { _ = live.counts(at: 3_000) }
for device in stride(from: 0, to: devices, by: 10) {
    live.record(RunEvent(at: 5_000, device: "XiaoTandHandCO2-\(device)", kind: .faultInjected(
        fault: .abrupt, detail: nil, lastPacketAt: nil, keepAlive: 60, willDelay: 0, expectWill: true)))
}
var pending: [WillJudgement: Int] = [:]
timed("poll after \(devices / 10) abrupt endings") { pending = live.counts(at: 6_000) }
timed("poll with \(devices / 10) endings still pending") { pending = live.counts(at: 7_000) }
print("live verdicts: \(pending)")
SWIFT
# The will sources import Ledger; here everything is one module.
for file in LiveWillVerdicts WillVerdicts WillVerdict WillRules; do
  sed '/^import Ledger$/d' "Sources/Verification/$file.swift" > "$work/Will-$file.swift"
done
swiftc -O -module-name VerifyBench -o "$work/bench" \
  Sources/Verification/TopicDirectory.swift \
  Sources/Verification/PayloadScanner.swift \
  Sources/Verification/SequenceTracker.swift \
  Sources/Verification/SequenceTracker+Merge.swift \
  Sources/Verification/TelemetryCounts.swift \
  "$work"/Will*.swift \
  Sources/Ledger/*.swift \
  "$work/main.swift"
"$work/bench"
