import NIOCore
import Scenario
import XCTest

@testable import Fleet

final class PayloadTemplateTests: XCTestCase {
    private let device = PayloadContext(clientID: "XiaoTandHandCO2A", index: 7, group: "sensors")

    private func render(_ template: Template, sequence: UInt64 = 17, seed: UInt64 = 1) -> String {
        var random = SeededGenerator(seed: seed)
        var buffer = ByteBuffer()
        PayloadTemplate(template).render(into: &buffer, device: device, sequence: sequence, unixMillis: 1_700_000_000_123,
                                         uptimeMillis: 4_200, random: &random)
        return String(buffer: buffer)
    }

    func testTheSeedsDefaultPayload() {
        let template = Template(parts: [.text(#"{"ClientID":""#), .clientID, .text(#"","Sequence":"#), .sequence, .text("}")])
        XCTAssertEqual(render(template), #"{"ClientID":"XiaoTandHandCO2A","Sequence":17}"#)
        XCTAssertEqual(render(template, sequence: 0), #"{"ClientID":"XiaoTandHandCO2A","Sequence":0}"#)
        XCTAssertEqual(render(template, sequence: UInt64.max), #"{"ClientID":"XiaoTandHandCO2A","Sequence":18446744073709551615}"#)
    }

    func testEveryPlaceholder() {
        let template = Template(parts: [
            .group, .text("/"), .index(width: 4), .text("/"), .index(width: 0), .text(" t="), .timestamp,
            .text(" up="), .uptimeMs,
        ])
        XCTAssertEqual(render(template), "sensors/0007/7 t=1700000000123 up=4200")
    }

    func testRandomStaysInRangeIncludingNegativesAndReplays() {
        let template = Template(parts: [.random(-5...5)])
        var seen = Set<Int>()
        var random = SeededGenerator(seed: 9)
        let compiled = PayloadTemplate(template)
        var first: [String] = []
        for _ in 0..<500 {
            var buffer = ByteBuffer()
            compiled.render(into: &buffer, device: device, sequence: 0, unixMillis: 0, uptimeMillis: 0, random: &random)
            let text = String(buffer: buffer)
            first.append(text)
            seen.insert(Int(text)!)
        }
        XCTAssertEqual(seen, Set(-5...5))
        var again = SeededGenerator(seed: 9)
        var buffer = ByteBuffer()
        compiled.render(into: &buffer, device: device, sequence: 0, unixMillis: 0, uptimeMillis: 0, random: &again)
        XCTAssertEqual(String(buffer: buffer), first[0])
    }

    func testFillWritesItsBytesInPlace() {
        let template = Template(parts: [.text(#"{"s":"#), .sequence, .text(#","f":""#), .fill(5000), .text(#""}"#)])
        let compiled = PayloadTemplate(template)
        var random = SeededGenerator(seed: 1)
        let buffer = compiled.render(device: device, sequence: 9, unixMillis: 0, uptimeMillis: 0, random: &random,
                                     allocator: ByteBufferAllocator())
        XCTAssertEqual(String(buffer: buffer), #"{"s":9,"f":""# + String(repeating: "x", count: 5000) + #""}"#)
        XCTAssertLessThanOrEqual(buffer.readableBytes, compiled.capacityHint(for: device))
        XCTAssertGreaterThanOrEqual(compiled.capacityHint(for: device), 5000)
    }

    func testCapacityHintCoversTheLongestRendering() {
        let template = Template(parts: [.text("{\"c\":\""), .clientID, .text("\",\"s\":"), .sequence, .text(",\"t\":"), .timestamp, .text("}")])
        let compiled = PayloadTemplate(template)
        var random = SeededGenerator(seed: 1)
        let buffer = compiled.render(device: device, sequence: .max, unixMillis: .min, uptimeMillis: 0, random: &random,
                                     allocator: ByteBufferAllocator())
        XCTAssertLessThanOrEqual(buffer.readableBytes, compiled.capacityHint(for: device))
        XCTAssertTrue(compiled.usesTimestamp)
        XCTAssertTrue(String(buffer: buffer).contains("-9223372036854775808"))
    }
}
