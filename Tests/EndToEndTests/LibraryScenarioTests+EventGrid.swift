import Ledger
import Scenario
import XCTest

/// Event Grid's multi-session clients, played on lab:eventgrid: the plan's sessions and what the broker let in.
extension LibraryScenarioTests {
    func testEventgridMultiSession() throws {
        let plan = try LibraryScenarios.plan(LibraryScenarios.path("eventgrid-multi-session"))
        let devices = plan.devices()
        XCTAssertEqual(Set(devices.map(\.clientID)).count, devices.count, "every session has its own client ID")
        var sessionsByName: [String: [String]] = [:]
        for device in devices {
            let name = try XCTUnwrap(device.authenticationName, device.clientID)
            sessionsByName[name, default: []].append(device.clientID)
            // One certificate and one username per identity, whichever session presents them.
            guard case .certificate(let files, let username) = device.credentials else {
                return XCTFail("\(device.clientID) has no certificate")
            }
            XCTAssertEqual(username, name, "\(device.clientID) sends its authentication name")
            XCTAssertTrue(files.chain.hasSuffix("/devices/\(name)/chain.pem"), files.chain)
        }
        XCTAssertEqual(sessionsByName.mapValues { $0.sorted() }, [
            "eg-session-01": ["eg-session-01-replica-1", "eg-session-01-session-1", "eg-session-01-session-2",
                              "eg-session-01-session-3"],
            "eg-session-02": ["eg-session-02-replica-1", "eg-session-02-session-1", "eg-session-02-session-2",
                              "eg-session-02-session-3"],
        ])

        let events = try play().events()
        var connected: Set<String> = []
        var refusals: [String: [UInt8]] = [:]
        for event in events {
            guard let device = event.device else { continue }
            if case .connected = event.kind { connected.insert(device) }
            if case .connectFailed(.connack, _, let code?) = event.kind { refusals[device, default: []].append(code) }
        }
        XCTAssertEqual(connected, Set(devices.map(\.clientID).filter { !$0.contains("-replica-") }),
                       "the three sessions of each identity connected")
        // The fourth session of a name: 0x97 Quota exceeded, once (the replicas do not retry).
        XCTAssertEqual(refusals, ["eg-session-01-replica-1": [0x97], "eg-session-02-replica-1": [0x97]])
        for event in events {
            if case .disconnected(let cause, _) = event.kind {
                XCTAssertEqual(cause, .graceful, "\(event.device ?? "?"): the refusal ended none of the live sessions")
            }
        }
    }
}
