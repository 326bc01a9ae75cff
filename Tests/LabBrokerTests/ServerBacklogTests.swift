@testable import LabBroker
import XCTest

/// The outbound bound: QoS 0 is dropped past 1 MiB of backlog, everything else past 16 MiB closes.
final class ServerBacklogTests: XCTestCase {
    func testAWritableConnectionSendsEverything() {
        let backlog = OutboundBacklog()
        XCTAssertEqual(backlog.decide(size: 1000, isQoS0Publish: true, unflushed: 0), .send)
        XCTAssertEqual(backlog.decide(size: 1000, isQoS0Publish: true, unflushed: OutboundBacklog.qos0Limit - 1000), .send)
    }

    func testQoS0IsDroppedOnceTheBacklogPassesItsBound() {
        var backlog = OutboundBacklog()
        backlog.writability(false)
        XCTAssertEqual(backlog.unwritableBytes, OutboundBacklog.highWaterMark)
        backlog.handedToChannel(OutboundBacklog.qos0Limit - OutboundBacklog.highWaterMark - 100)
        XCTAssertEqual(backlog.decide(size: 100, isQoS0Publish: true, unflushed: 0), .send)
        XCTAssertEqual(backlog.decide(size: 101, isQoS0Publish: true, unflushed: 0), .dropQoS0)
        XCTAssertEqual(backlog.decide(size: 100, isQoS0Publish: true, unflushed: 1), .dropQoS0, "the batch's own bytes count")
        XCTAssertEqual(backlog.decide(size: 101, isQoS0Publish: false, unflushed: 0), .send, "acks and QoS 1/2 still go out")
    }

    func testEverythingPastTheHardBoundClosesTheConnection() {
        var backlog = OutboundBacklog()
        backlog.writability(false)
        backlog.handedToChannel(OutboundBacklog.closeLimit - OutboundBacklog.highWaterMark)
        XCTAssertEqual(backlog.decide(size: 1, isQoS0Publish: false, unflushed: 0), .closeConnection)
        XCTAssertEqual(backlog.decide(size: 1, isQoS0Publish: true, unflushed: 0), .dropQoS0)
    }

    func testBecomingWritableClearsTheEstimate() {
        var backlog = OutboundBacklog()
        backlog.handedToChannel(10 << 20)
        XCTAssertEqual(backlog.unwritableBytes, 0, "bytes handed over while writable are within the water mark")
        backlog.writability(false)
        backlog.handedToChannel(2 << 20)
        backlog.writability(false)
        XCTAssertEqual(backlog.unwritableBytes, OutboundBacklog.highWaterMark + (2 << 20), "a repeated report keeps the count")
        backlog.writability(true)
        XCTAssertEqual(backlog.unwritableBytes, 0)
        XCTAssertEqual(backlog.decide(size: 1000, isQoS0Publish: true, unflushed: 0), .send)
    }
}
