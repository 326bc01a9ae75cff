import Ledger
import XCTest

/// The cloud profile files, each played on the lab profile it names: the expectations the file states, and the
/// packet-level facts behind them from the ledger (reason codes, session present), which the expectations count
/// but do not name.
extension LibraryScenarioTests {
    func testEventgridWillNotAuthorized() throws {
        let events = try play().events()
        let refusals = connackRefusals(events)
        XCTAssertEqual(Set(refusals.keys), ["eg-will-esp-01", "eg-will-esp-02", "eg-will-esp-03", "eg-will-dotnet-01",
                                            "eg-will-dotnet-02"], "every device was refused")
        for (device, codes) in refusals {
            // MQTT 5 CONNACK 0x87 "Not authorized"; the 3.1.1 return code 5 "not authorized" reads as the same
            // reason code (MQTTCore decodes both versions into one vocabulary).
            XCTAssertEqual(Set(codes), [0x87], device)
        }
    }

    func testEventgridSubscribeNotAuthorized() throws {
        let events = try play().events()
        var refused: [String: [(filter: String, code: UInt8)]] = [:]
        for event in events {
            if case .subscribeRefused(let filter, let code) = event.kind, let device = event.device {
                refused[device, default: []].append((filter, code))
            }
        }
        XCTAssertEqual(refused.count, 5, "every device had a subscription refused")
        for (device, refusals) in refused {
            XCTAssertEqual(Set(refusals.map(\.filter)), ["ssl/mqtt5"], "\(device): only the filter outside its topic space")
            // 3.1.1 SUBACK: 0x80 Failure; MQTT 5: 0x87 Not authorized.
            XCTAssertEqual(Set(refusals.map(\.code)), [device.hasPrefix("eg-sub-esp") ? 0x80 : 0x87], device)
        }
    }

    func testEventgridTakeoverRefused() throws {
        let events = try play().events()
        let impostors = events.filter { if case .faultInjected(.impostorStarted, _, _, _, _, _, _, _) = $0.kind { true } else { false } }
        XCTAssertEqual(impostors.count, 2, "two impostors tried to take a live session over")
        for event in events {
            if case .disconnected(let cause, _) = event.kind {
                XCTAssertEqual(cause, .graceful, "\(event.device ?? "?"): only the stop ends a connection")
            }
        }
    }

    func testEventgridLockoutAfterRetryStorm() throws {
        let events = try play().events()
        let cut = try XCTUnwrap(events.first { if case .faultInjected(.abrupt, _, _, _, _, _, _, _) = $0.kind { true } else { false } }?.at)
        for device in ["eg-lockout-01", "eg-lockout-02"] {
            let after = events.filter { $0.device == device && $0.at > cut }
            let reconnected = after.contains { event in
                if case .connected = event.kind { return true }
                return false
            }
            XCTAssertFalse(reconnected, "\(device): its client ID is locked out, so its correct reconnect never gets in")
            let codes = after.compactMap { event -> UInt8? in
                if case .connectFailed(.connack, _, let code) = event.kind { code } else { nil }
            }
            XCTAssertFalse(codes.isEmpty, "\(device) tried to reconnect")
            XCTAssertEqual(Set(codes), [0x8A], "\(device): refused as banned while the lockout runs")
        }
        for device in ["eg-lockout-03", "eg-lockout-04"] {
            let back = events.contains { event in
                guard event.device == device, event.at > cut, case .connected = event.kind else { return false }
                return true
            }
            XCTAssertTrue(back, "\(device), whose ID nobody stormed, is back")
        }
    }

    func testEventgridOfflineQueueOverflow() throws {
        let events = try play().events()
        let cut = try XCTUnwrap(events.first { if case .faultInjected(.abrupt, _, _, _, _, _, _, _) = $0.kind { true } else { false } }?.at)
        func reconnects(_ device: String) -> [Bool] {
            events.compactMap { event in
                guard event.device == device, event.at > cut, case .connected(_, _, _, _, let present) = event.kind else { return nil }
                return present
            }
        }
        XCTAssertEqual(reconnects("eg-queue-01"), [false], "101 queued messages ended eg-queue-01's session")
        XCTAssertEqual(reconnects("eg-queue-02"), [true], "eg-queue-02, sent one message, found its session")
        let commands = events.filter { if case .faultInjected(.publish, _, _, _, _, _, _, _) = $0.kind { $0.device == "eg-queue-01" } else { false } }
        XCTAssertEqual(commands.count, 101)
    }

    func testEventgridRetainRefused() throws {
        let events = try play().events()
        let closes = brokerCloses(events)
        XCTAssertEqual(Set(closes.keys), ["eg-retain-esp-01", "eg-retain-esp-02"], "only the MQTT 3.1.1 devices sent a retained PUBLISH")
        for (device, details) in closes {
            XCTAssertEqual(details, ["the server closed the connection without DISCONNECT"], device)
        }
        for device in ["eg-retain-dotnet-01", "eg-retain-dotnet-02"] {
            let connack = events.first { event in
                if event.device == device, case .connected = event.kind { return true }
                return false
            }
            XCTAssertNotNil(connack, "\(device) connected, was told Retain Available 0 and kept its connection")
        }
    }

    func testEventgridPacketTooLarge() throws {
        let run = try play()
        let events = try run.events()
        let closes = brokerCloses(events)
        XCTAssertEqual(Set(closes.keys), ["eg-frame-311-01", "eg-frame-311-02"], "only the MQTT 3.1.1 devices sent 600 KiB")
        for (device, details) in closes {
            XCTAssertEqual(details, ["the server closed the connection without DISCONNECT"], device)
        }
        // 400 KiB fits under 512 KiB: those frames reach the observers, sequence and all. No 600 KiB frame
        // arrives from anyone: the MQTT 5 client keeps to the announced maximum and drops them itself.
        let telemetry = try run.report().telemetry
        let irregular = Set(telemetry.irregular.map(\.device))
        XCTAssertEqual(irregular.intersection(["eg-thumb-01", "eg-thumb-02"]), [], "\(telemetry.irregular)")
        for device in ["eg-frame-5-01", "eg-frame-5-02"] {
            let counts = try XCTUnwrap(telemetry.irregular.first { $0.device == device }?.counts, device)
            XCTAssertEqual(counts.unique, 0, device)
            XCTAssertEqual(counts.lost, counts.sent, device)
        }
        XCTAssertGreaterThan(telemetry.total.unique, 0)
    }

    func testIothubQos2ClosesConnection() throws {
        let closes = brokerCloses(try play().events())
        XCTAssertEqual(Set(closes.keys), ["iothub-qos2-01", "iothub-qos2-02", "iothub-qos2-03"])
        for (device, details) in closes {
            // IoT Hub speaks MQTT 3.1.1 only: no DISCONNECT from the server, the connection is just closed.
            XCTAssertEqual(details, ["the server closed the connection without DISCONNECT"], device)
        }
    }

    /// The detail of every connection the broker ended, per device.
    private func brokerCloses(_ events: [RunEvent]) -> [String: [String]] {
        var closes: [String: [String]] = [:]
        for event in events {
            if case .disconnected(let cause, let detail) = event.kind, cause == .serverDisconnect || cause == .takenOver,
               let device = event.device {
                closes[device, default: []].append(detail ?? "")
            }
        }
        return closes
    }

    /// CONNACK refusal codes per device.
    private func connackRefusals(_ events: [RunEvent]) -> [String: [UInt8]] {
        var refusals: [String: [UInt8]] = [:]
        for event in events {
            if case .connectFailed(.connack, _, let code) = event.kind, let device = event.device, let code {
                refusals[device, default: []].append(code)
            }
        }
        return refusals
    }
}
