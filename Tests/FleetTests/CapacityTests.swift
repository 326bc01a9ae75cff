import XCTest

@testable import Fleet

final class CapacityTests: XCTestCase {
    func testBudgetRefusesMoreConnectionsThanTheLimitWithTheNumbers() {
        let budget = FileDescriptorBudget(softLimit: 20_000, hardLimit: 20_000)
        XCTAssertNoThrow(try budget.check(devices: 19_000, impostors: 10, observers: 4))
        XCTAssertThrowsError(try budget.check(devices: 19_950, impostors: 0, observers: 1)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("20015"), text)
            XCTAssertTrue(text.contains("20000"), text)
        }
    }

    func testRaisingTheSoftLimitReachesTheHardLimit() {
        let raised = FileDescriptorBudget.raiseSoftLimitToHard()
        XCTAssertEqual(raised.softLimit, raised.hardLimit)
        XCTAssertEqual(FileDescriptorBudget.current(), raised)
    }

    func testSourceAddressesForALoopbackBrokerScaleWithConnections() {
        let few = SourceAddressPlan.plan(requested: [], brokerHost: "127.0.0.1", connections: 100, ephemeralPorts: 28_232)
        XCTAssertEqual(few.addresses, ["127.0.0.2"])
        let many = SourceAddressPlan.plan(requested: [], brokerHost: "localhost", connections: 19_000, ephemeralPorts: 28_232)
        XCTAssertEqual(many.addresses, ["127.0.0.2", "127.0.0.3"])
        XCTAssertEqual(many.address(forDevice: 0), "127.0.0.2")
        XCTAssertEqual(many.address(forDevice: 1), "127.0.0.3")
        XCTAssertEqual(many.address(forDevice: 2), "127.0.0.2")
    }

    func testRequestedAddressesWinAndRemoteBrokersAreNotBound() {
        let requested = SourceAddressPlan.plan(requested: ["10.0.0.5"], brokerHost: "127.0.0.1", connections: 5)
        XCTAssertEqual(requested.addresses, ["10.0.0.5"])
        let remote = SourceAddressPlan.plan(requested: [], brokerHost: "broker.example.com", connections: 50_000)
        XCTAssertNil(remote.address(forDevice: 3))
    }

    func testTheKernelsEphemeralRangeIsRead() {
        XCTAssertGreaterThan(SourceAddressPlan.ephemeralPortCount(), 1000)
    }
}
