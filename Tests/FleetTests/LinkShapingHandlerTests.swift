import NIOCore
import NIOEmbedded
import Scenario
import XCTest

@testable import Fleet

final class LinkShapingHandlerTests: XCTestCase {
    private func makeChannel(_ shape: LinkShape) throws -> (EmbeddedChannel, LinkShapingHandler) {
        let handler = LinkShapingHandler(shape: shape, random: SeededGenerator(seed: 3))
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        return (channel, handler)
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) -> EventLoopFuture<Void> {
        channel.writeAndFlush(ByteBuffer(string: text))
    }

    private func drainOutbound(_ channel: EmbeddedChannel) throws -> [String] {
        var result: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { result.append(String(buffer: buffer)) }
        return result
    }

    func testUnshapedLinkPassesWritesAtOnce() throws {
        let (channel, _) = try makeChannel(.unshaped)
        _ = send(channel, "a")
        XCTAssertEqual(try drainOutbound(channel), ["a"])
    }

    func testLatencyHoldsWritesThenReleasesThemInOrder() throws {
        let (channel, _) = try makeChannel(LinkShape(latency: .milliseconds(100)))
        let first = send(channel, "1")
        _ = send(channel, "2")
        _ = send(channel, "3")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        XCTAssertEqual(try drainOutbound(channel), [])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try drainOutbound(channel), ["1", "2", "3"])
        XCTAssertNoThrow(try first.wait())
    }

    func testJitterNeverReorders() throws {
        let (channel, _) = try makeChannel(LinkShape(latency: .milliseconds(50), jitter: .milliseconds(45)))
        var released: [String] = []
        for index in 0..<50 {
            _ = send(channel, "\(index)")
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
            released += try drainOutbound(channel)
        }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        released += try drainOutbound(channel)
        XCTAssertEqual(released, (0..<50).map { "\($0)" })
    }

    func testJitterSpreadsReleaseTimes() throws {
        let (channel, _) = try makeChannel(LinkShape(latency: .milliseconds(50), jitter: .milliseconds(40)))
        var releaseTimes: [Int] = []
        for index in 0..<20 {
            _ = send(channel, "\(index)")
            for millisecond in 1...100 {
                channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
                if try !drainOutbound(channel).isEmpty {
                    releaseTimes.append(millisecond)
                    break
                }
            }
        }
        XCTAssertEqual(releaseTimes.count, 20)
        XCTAssertTrue(releaseTimes.allSatisfy { (10...90).contains($0) }, "\(releaseTimes)")
        XCTAssertGreaterThan(Set(releaseTimes).count, 5, "\(releaseTimes)")
    }

    func testBandwidthCapPacesBytesAfterTheBurstAllowance() throws {
        // 8 kbit/s = 1000 bytes/s; the bucket starts with one segment (1460 bytes).
        let (channel, _) = try makeChannel(LinkShape(bandwidthBitsPerSecond: 8_000))
        _ = channel.writeAndFlush(ByteBuffer(repeating: 1, count: 1460))
        XCTAssertEqual(try drainOutbound(channel).count, 1)
        _ = channel.writeAndFlush(ByteBuffer(repeating: 2, count: 500))
        _ = channel.writeAndFlush(ByteBuffer(repeating: 3, count: 500))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        XCTAssertEqual(try drainOutbound(channel).count, 0)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try drainOutbound(channel).count, 1)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        XCTAssertEqual(try drainOutbound(channel).count, 0)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try drainOutbound(channel).count, 1)
    }

    func testStallHoldsBothDirectionsUntilReleased() throws {
        let (channel, handler) = try makeChannel(LinkShape(stalled: true))
        _ = send(channel, "out")
        try channel.writeInbound(ByteBuffer(string: "in"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        XCTAssertEqual(try drainOutbound(channel), [])
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertEqual(handler.heldBytes, 3)
        handler.apply(.unshaped)
        XCTAssertEqual(try drainOutbound(channel), ["out"])
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, "in")
        _ = send(channel, "after")
        XCTAssertEqual(try drainOutbound(channel), ["after"])
    }

    func testClosingAStalledLinkDropsWhatItHolds() throws {
        let (channel, _) = try makeChannel(LinkShape(stalled: true))
        let write = send(channel, "lost")
        try channel.close().wait()
        XCTAssertThrowsError(try write.wait())
        XCTAssertEqual(try drainOutbound(channel), [])
    }

    func testClosingASlowLinkWaitsForHeldWritesToLeave() throws {
        let (channel, _) = try makeChannel(LinkShape(latency: .milliseconds(200)))
        _ = send(channel, "DISCONNECT")
        let closed = channel.close()
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        XCTAssertEqual(try drainOutbound(channel), ["DISCONNECT"])
        XCTAssertNoThrow(try closed.wait())
        XCTAssertFalse(channel.isActive)
    }
}
