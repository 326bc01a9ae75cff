import Verification
import XCTest

final class TopicDirectoryTests: XCTestCase {
    func testLooksUpRawBytesOfManyTopics() {
        let registrations = (0..<5000).flatMap { index in
            [
                TopicDirectory.Registration(topic: "devices/dev-\(index)/sequence", device: index, roles: .telemetry),
                TopicDirectory.Registration(topic: "devices/dev-\(index)/status", device: index, roles: .will),
                TopicDirectory.Registration(topic: "devices/dev-\(index)/status", device: index, roles: .status),
            ]
        }
        let directory = TopicDirectory(registrations)
        XCTAssertEqual(directory.count, 10_000)
        for index in stride(from: 0, to: 5000, by: 37) {
            let bytes = Array("devices/dev-\(index)/sequence".utf8)
            let entry = bytes.withUnsafeBytes { directory.lookup($0) }
            XCTAssertEqual(entry, TopicDirectory.Entry(device: index, roles: .telemetry))
            XCTAssertEqual(directory.lookup("devices/dev-\(index)/status")?.roles, [.will, .status])
        }
        XCTAssertNil(directory.lookup("devices/dev-5000/sequence"))
        XCTAssertNil(directory.lookup("devices/dev-1/sequenc"))
        XCTAssertNil(directory.lookup(""))
    }
}
