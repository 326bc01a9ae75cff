import Scenario
import XCTest

/// The same file selects the same devices on every run; another seed selects others.
final class SelectionDeterminismTests: XCTestCase {
    private func plan(seed: UInt64, count: Int = 100) throws -> Plan {
        try loadPlan("""
            seed: \(seed)
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - { name: a, count: \(count), client-id: "a-{index:03}" }
              - { name: b, count: \(count), client-id: "b-{index:03}" }
            timeline:
              - { at: 0s, ramp: {} }
              - { at: 1s, disconnect: { select: 10%, mode: abrupt } }
              - { at: 2s, disconnect: { group: b, select: 7, mode: abrupt } }
            """)
    }

    private func selected(_ plan: Plan, step: Int) -> [String] {
        guard case .disconnect(let spec) = plan.timeline[step].action else {
            XCTFail("step \(step) should be a disconnect")
            return []
        }
        return DeviceSelector(plan: plan).selectDevices(spec.target, step: plan.timeline[step].index).map(\.clientID)
    }

    func testSameSeedSelectsTheSameDevices() throws {
        let first = try plan(seed: 42)
        let second = try plan(seed: 42)
        XCTAssertEqual(selected(first, step: 1), selected(second, step: 1))
        XCTAssertEqual(selected(first, step: 2), selected(second, step: 2))
        XCTAssertEqual(selected(first, step: 1).count, 20, "10% of 200 devices")
        XCTAssertEqual(Set(selected(first, step: 1)).count, 20, "no device drawn twice")
    }

    func testDifferentSeedSelectsDifferentDevices() throws {
        XCTAssertNotEqual(selected(try plan(seed: 42), step: 1), selected(try plan(seed: 43), step: 1))
    }

    func testEachStepDrawsIndependently() throws {
        let plan = try plan(seed: 42)
        guard case .disconnect(let spec) = plan.timeline[1].action else { return XCTFail("expected a disconnect") }
        let selector = DeviceSelector(plan: plan)
        XCTAssertNotEqual(selector.select(spec.target, step: 1), selector.select(spec.target, step: 2))
    }

    func testGroupRestrictionStaysInTheGroup() throws {
        let chosen = selected(try plan(seed: 42), step: 2)
        XCTAssertEqual(chosen.count, 7)
        XCTAssertTrue(chosen.allSatisfy { $0.hasPrefix("b-") }, "\(chosen)")
    }

    func testSelectionIsReturnedInDeviceOrder() throws {
        let plan = try plan(seed: 7)
        guard case .disconnect(let spec) = plan.timeline[1].action else { return XCTFail("expected a disconnect") }
        let ordinals = DeviceSelector(plan: plan).select(spec.target, step: 1)
        XCTAssertEqual(ordinals, ordinals.sorted())
    }

    func testExplicitIDsAndWholeGroups() throws {
        let plan = try plan(seed: 1, count: 8)
        let selector = DeviceSelector(plan: plan)
        XCTAssertEqual(selector.selectDevices(Target(selection: .ids(["b-002", "a-005"])), step: 0).map(\.clientID),
                       ["a-005", "b-002"])
        XCTAssertEqual(selector.select(Target(selection: .group("b")), step: 0), Array(8..<16))
        XCTAssertEqual(selector.select(Target(selection: .all), step: 0).count, 16)
    }

    func testPercentRoundsToNearestAndSelectsAtLeastOne() {
        XCTAssertEqual(DeviceSelector.share(5, of: 10), 1, "0.5 rounds up")
        XCTAssertEqual(DeviceSelector.share(1, of: 10), 1, "0.1 still selects one device")
        XCTAssertEqual(DeviceSelector.share(33, of: 10), 3)
        XCTAssertEqual(DeviceSelector.share(100, of: 7), 7)
        XCTAssertEqual(DeviceSelector.share(50, of: 0), 0)
    }

    func testSeededGeneratorReplays() {
        var first = SeededGenerator(seed: 99)
        var second = SeededGenerator(seed: 99)
        var other = SeededGenerator(seed: 100)
        let a = (0..<8).map { _ in first.next() }
        XCTAssertEqual(a, (0..<8).map { _ in second.next() })
        XCTAssertNotEqual(a, (0..<8).map { _ in other.next() })
    }
}
