import Histogram
import Scenario
import XCTest

@testable import Fleet

/// Splitting a run over processes deals every device to exactly one of them, and their counts add up again.
final class FleetPartitionTests: XCTestCase {
    func testEveryDeviceHasExactlyOnePartition() {
        for count in 1...5 {
            let partitions = (0..<count).map { FleetPartition(index: $0, count: count) }
            for total in [0, 1, 4, 7, 100] {
                var owners = Array(repeating: 0, count: total)
                for partition in partitions {
                    let owned = Array(partition.ordinals(of: total))
                    XCTAssertEqual(owned.count, partition.share(of: total), "\(partition) of \(total)")
                    for (position, ordinal) in owned.enumerated() {
                        owners[ordinal] += 1
                        XCTAssertTrue(partition.owns(ordinal))
                        XCTAssertEqual(partition.position(of: ordinal), position)
                        XCTAssertEqual(partition.ordinal(at: position), ordinal)
                    }
                }
                XCTAssertEqual(owners, Array(repeating: 1, count: total), "\(count) partitions of \(total)")
            }
        }
        XCTAssertEqual(FleetPartition(index: 1, count: 3).description, "2/3")
        XCTAssertTrue(FleetPartition.whole.isLead)
    }

    func testMergedOutcomeRestoresOrdinalOrderAndSums() throws {
        func outcome(_ partition: FleetPartition, total: Int, acked: UInt64) -> FleetOutcome {
            var acknowledgements = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            acknowledgements.record(acked)
            return FleetOutcome(
                counters: FleetCounters(connected: partition.share(of: total), messagesOut: 10),
                counts: partition.ordinals(of: total).map {
                    DeviceTelemetryCount(clientID: "dev-\($0)", sent: UInt64($0), acked: UInt64($0), lastSequence: nil, received: 0)
                },
                acknowledgements: acknowledgements)
        }
        let parts = (0..<3).map { FleetPartition(index: $0, count: 3) }
        let merged = try XCTUnwrap(FleetOutcome.merged(parts.reversed().map { ($0, outcome($0, total: 8, acked: 1_000)) }))
        XCTAssertEqual(merged.counts.map(\.clientID), (0..<8).map { "dev-\($0)" })
        XCTAssertEqual(merged.counters.connected, 8)
        XCTAssertEqual(merged.counters.messagesOut, 30)
        XCTAssertEqual(merged.acknowledgements.totalCount, 3)
        XCTAssertNil(FleetOutcome.merged([]))
    }

    func testTooBigForOneProcessSaysHowManyWouldDo() throws {
        let plan = try ScenarioLoader.parse(yaml: """
            name: big
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - { name: g, count: 45000, client-id: "big-{index}" }
            timeline:
              - { at: 0s, ramp: { over: 90s } }
            """, path: "big.yaml")
        let budget = FileDescriptorBudget(softLimit: 20_000, hardLimit: 20_000)
        XCTAssertThrowsError(try RunPreflight.check(plan, devices: plan.devices(), budget: budget)) { error in
            XCTAssertTrue("\(error)".contains("--processes 3"), "\(error)")
        }
        XCTAssertThrowsError(try RunPreflight.check(plan, devices: plan.devices(), processes: 2, budget: budget))
        let split = try RunPreflight.check(plan, devices: plan.devices(), processes: 3, budget: budget)
        XCTAssertEqual(split.filesPerProcess, 15_000 + FileDescriptorBudget.spare)
        XCTAssertEqual(split.devices, 45_000)
    }
}
