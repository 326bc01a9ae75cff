import DevicePKI
import XCTest

/// Whether a broker's account can read a file, decided from owner, group and mode as the kernel does.
final class FileReaderTests: XCTestCase {
    private let mosquitto = FileReader(name: "mosquitto", userID: 101, primaryGroupID: 101)
    private let open = FileReader.Entry(ownerID: 0, groupID: 0, mode: 0o755)

    private func obstacle(_ entries: [String: FileReader.Entry], reader: FileReader? = nil) -> String? {
        (reader ?? mosquitto).obstacle(toReading: "/root/pki/server/key.pem") { entries[$0] }
    }

    func testAKeyOwnedByTheBrokerUnderOpenFoldersIsReadable() {
        XCTAssertNil(obstacle([
            "/root": open, "/root/pki": open, "/root/pki/server": open,
            "/root/pki/server/key.pem": .init(ownerID: 101, groupID: 101, mode: 0o600),
        ]))
    }

    func testAKeyOfRootAt0600IsNot() {
        let found = obstacle([
            "/root": open, "/root/pki": open, "/root/pki/server": open,
            "/root/pki/server/key.pem": .init(ownerID: 0, groupID: 0, mode: 0o600),
        ])
        XCTAssertEqual(found, "user mosquitto may not read /root/pki/server/key.pem (mode 600, owner uid 0)")
    }

    func testAPrivateHomeFolderIsNamedFirst() {
        let found = obstacle([
            "/root": .init(ownerID: 0, groupID: 0, mode: 0o700), "/root/pki": open, "/root/pki/server": open,
            "/root/pki/server/key.pem": .init(ownerID: 101, groupID: 101, mode: 0o600),
        ])
        XCTAssertEqual(found, "user mosquitto may not enter /root (mode 700, owner uid 0)")
    }

    func testGroupBitsApplyToMembers() {
        let member = FileReader(name: "mosquitto", userID: 101, primaryGroupID: 101, groupIDs: [5])
        let entries: [String: FileReader.Entry] = [
            "/root": .init(ownerID: 0, groupID: 5, mode: 0o710), "/root/pki": open, "/root/pki/server": open,
            "/root/pki/server/key.pem": .init(ownerID: 0, groupID: 5, mode: 0o640),
        ]
        XCTAssertNil(obstacle(entries, reader: member))
        XCTAssertNotNil(obstacle(entries))
    }

    func testAMissingFolderIsSaid() {
        XCTAssertEqual(obstacle(["/root": open]), "/root/pki does not exist")
    }
}
