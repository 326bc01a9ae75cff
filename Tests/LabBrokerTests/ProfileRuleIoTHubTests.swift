import AzureCredentials
import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Every rule of `iothub.yaml`, and the rules its device endpoint enforces (only the documented topics,
/// twins, direct methods, SAS username and password), enforced: the engine runs the shipped profile on
/// virtual time. Devices connect with MQTT 3.1.1 over TLS, username `lab.azure-devices.net/{id}/?api-version=…`
/// and a SAS token signed with the key the test adds (the shipped file has none).
final class ProfileRuleIoTHubTests: XCTestCase {
    private func harness(devices: [String] = ["d1", "d2"]) throws -> EngineHarness {
        EngineHarness(profile: try LabHub.profile(devices: devices))
    }

    func testIoTHubEveryRuleOfTheFileHasATest() throws {
        let tested: Set<String> = [
            "protocol-versions", "requires-tls", "authentication", "maximum-qos", "qos-above-maximum", "retain",
            "maximum-keep-alive", "takeover", "unauthorized-will", "shared-subscriptions", "authorization", "iot-hub",
        ]
        XCTAssertEqual(Set(try shippedProfile("iothub").sources.keys), tested)
    }

    // MARK: protocol-versions, requires-tls

    func testIoTHubProtocolVersionsAcceptOnly311() throws {
        let harness = try harness()
        let refused = harness.connectHubDevice("d1", password: LabHub.token(for: "d1"), username: LabHub.username("d1"),
                                               version: .v5_0)
        assertRefused(harness, refused, version: .v5_0, reason: .unsupportedProtocolVersion,
                      returnCode: .unacceptableProtocolVersion)
        assertAlive(harness, harness.connectedHubDevice("d1"))
    }

    func testIoTHubRequiresTLSRefusesPlainTCPAndWebSocket() throws {
        let harness = try harness()
        for transport in [ConnectionFacts.Transport.tcp, .webSocket] {
            let refused = harness.connectHubDevice("d1", password: LabHub.token(for: "d1"), username: LabHub.username("d1"),
                                                   transport: transport)
            assertRefused(harness, refused, version: .v3_1_1, reason: .notAuthorized, returnCode: .notAuthorized)
        }
        for transport in [ConnectionFacts.Transport.tls, .secureWebSocket] {
            let (_, connack) = harness.connectHubDevice("d1", password: LabHub.token(for: "d1"),
                                                        username: LabHub.username("d1"), transport: transport)
            XCTAssertEqual(connack.connectReturnCode, .accepted, "\(transport)")
        }
    }

    // MARK: authentication: SAS token password, username, certificate

    /// seed 002: "For the Password field, use a SAS token." Signed with the device's key for
    /// `{hub}/devices/{deviceId}`, not expired; anything else is return code 4.
    func testIoTHubAuthenticationSASTokenPassword() throws {
        let harness = try harness()
        let username = LabHub.username("d1")
        func attempt(_ password: String?) -> ConnectReturnCode {
            let (id, connack) = harness.connectHubDevice("d1", password: password, username: username)
            if connack.reasonCode == .success { harness.disconnect(id) } else { XCTAssertTrue(harness.isClosed(id)) }
            return connack.connectReturnCode
        }
        XCTAssertEqual(attempt(LabHub.token(for: "d1")), .accepted, "a valid token of its own")
        XCTAssertEqual(attempt(LabHub.token(for: "d1", expiresIn: -60)), .badUserNameOrPassword, "expired")
        XCTAssertEqual(attempt(LabHub.token(for: "d1", signedWithKeyOf: "d2")), .badUserNameOrPassword, "wrong key")
        XCTAssertEqual(attempt(LabHub.token(for: "d2")), .badUserNameOrPassword, "another device's valid token")
        XCTAssertEqual(attempt(LabHub.token(for: "d1", hostName: "other.azure-devices.net")), .badUserNameOrPassword,
                       "a token for another hub")
        XCTAssertEqual(attempt("not a token"), .badUserNameOrPassword)
        XCTAssertEqual(attempt(nil), .badUserNameOrPassword, "neither a token nor a certificate")

        let unknown = harness.connectHubDevice("d9", password: LabHub.token(for: "d9"), username: LabHub.username("d9"))
        assertRefused(harness, unknown, version: .v3_1_1, reason: .badUserNameOrPassword,
                      returnCode: .badUserNameOrPassword)
    }

    /// seed 002: Username `{iothubhostname}/{device_id}/api-version=…`, ClientId the device ID.
    func testIoTHubAuthenticationUsername() throws {
        let harness = try harness()
        let token = LabHub.token(for: "d1")
        func attempt(_ username: String?) -> ConnectReturnCode {
            let (id, connack) = harness.connectHubDevice("d1", password: token, username: username)
            if connack.reasonCode == .success { harness.disconnect(id) }
            return connack.connectReturnCode
        }
        XCTAssertEqual(attempt("lab.azure-devices.net/d1/?api-version=2021-04-12"), .accepted)
        XCTAssertEqual(attempt("lab.azure-devices.net/d1/api-version=2016-11-14"), .accepted, "seed 002's form, no `?`")
        XCTAssertEqual(attempt("lab.azure-devices.net/d1/?api-version=2021-04-12&DeviceClientType=c%2F1.0"), .accepted)
        XCTAssertEqual(attempt("other.azure-devices.net/d1/?api-version=2021-04-12"), .badUserNameOrPassword)
        XCTAssertEqual(attempt("lab.azure-devices.net/d2/?api-version=2021-04-12"), .badUserNameOrPassword)
        XCTAssertEqual(attempt("lab.azure-devices.net/d1/"), .badUserNameOrPassword, "no api-version")
        XCTAssertEqual(attempt("d1"), .badUserNameOrPassword)
        // 3.1.1 carries no password without a username: a certificate device that sends none is refused.
        let anonymous = harness.connectHubDevice("d1", password: nil, username: nil, commonName: "d1")
        assertRefused(harness, anonymous, version: .v3_1_1, reason: .badUserNameOrPassword,
                      returnCode: .badUserNameOrPassword)
    }

    /// seed 002: "If you use X.509 certificate authentication, SAS token passwords are not required." The
    /// certificate's CN must be the device ID (a device without a key in the profile may use one).
    func testIoTHubAuthenticationClientCertificate() throws {
        let harness = try harness()
        let (own, accepted) = harness.connectHubDevice("cert-dev", password: nil, username: LabHub.username("cert-dev"),
                                                       commonName: "cert-dev")
        XCTAssertEqual(accepted.connectReturnCode, .accepted)
        assertAlive(harness, own)
        let borrowed = harness.connectHubDevice("d1", password: nil, username: LabHub.username("d1"), commonName: "cert-dev")
        assertRefused(harness, borrowed, version: .v3_1_1, reason: .notAuthorized, returnCode: .notAuthorized)
    }

    // MARK: maximum-qos, qos-above-maximum, retain, maximum-keep-alive

    /// seed 002: "When a device app subscribes to a topic with QoS 2, IoT Hub grants maximum QoS level 1".
    func testIoTHubMaximumQoSGrants1ForQoS2Subscriptions() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "devices/d1/messages/devicebound/#", qos: .exactlyOnce),
            Subscription(filter: "$iothub/methods/POST/#", qos: .exactlyOnce),
        ], on: id), [.grantedQoS1, .grantedQoS1])
    }

    /// seed 002: "If a device app publishes a message with QoS 2, IoT Hub closes the network connection."
    func testIoTHubQoSAboveMaximumClosesTheConnection() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        harness.publish("devices/d1/messages/events/", "two", qos: .exactlyOnce, id: 3, on: id)
        assertEndedByBroker(harness, id, version: .v3_1_1, reason: .qosNotSupported)
        XCTAssertEqual(harness.engine.statistics.connections, 0)
    }

    /// seed 002: "IoT Hub does not persist Retain messages": a retained PUBLISH is accepted and passed on
    /// with retain 0, and nothing is stored for a later subscriber.
    func testIoTHubRetainIsNotPersisted() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        XCTAssertEqual(harness.publishQoS1("devices/d1/messages/events/", ByteBuffer(string: "t"), retain: true, on: id).pubackCodes,
                       [.success])
        assertAlive(harness, id)

        harness.subscribe("devices/d1/messages/devicebound/#", qos: .atLeastOnce, on: id)
        var actions: [BrokerAction] = []
        harness.engine.publishFromServer(
            PublishPacket(topic: "devices/d1/messages/devicebound/", payload: ByteBuffer(string: "c2d"), qos: .atLeastOnce,
                          retain: true),
            now: harness.now, into: &actions)
        let delivered = sentPublishes(actions, to: id)
        XCTAssertEqual(delivered.map(\.payload.string), ["c2d"])
        XCTAssertEqual(delivered.map(\.retain), [false])
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 0)

        let later = harness.connectedHubDevice("d2")
        harness.subscribe("$iothub/methods/POST/#", qos: .atLeastOnce, on: later)
        harness.subscribe("devices/d2/messages/devicebound/#", qos: .atLeastOnce, on: later)
        XCTAssertEqual(harness.publishes(later), [], "nothing retained")

        let will = Will(topic: "devices/d2/messages/events/", payload: ByteBuffer(string: "w"), qos: .atLeastOnce, retain: true)
        let (_, withWill) = harness.connectHubDevice("d2", password: LabHub.token(for: "d2"), username: LabHub.username("d2"),
                                                     will: will)
        XCTAssertEqual(withWill.connectReturnCode, .accepted, "a retained will is not refused either")
    }

    func testIoTHubMaximumKeepAliveIsNone() throws {
        let harness = try harness()
        let (id, connack) = harness.connectHubDevice("d1", password: LabHub.token(for: "d1"), username: LabHub.username("d1"),
                                                     keepAlive: 65535)
        XCTAssertEqual(connack.connectReturnCode, .accepted, "any keep-alive (Event Grid would refuse above 1160 s)")
        harness.advance(.seconds(65535))
        XCTAssertFalse(harness.isClosed(id))
    }

    // MARK: takeover, unauthorized-will, shared-subscriptions

    /// seed 002: "Any new MQTT connection on behalf of the same device ID causes IoT Hub to drop the
    /// existing connection."
    func testIoTHubTakeoverDropsTheExistingConnection() throws {
        let harness = try harness()
        let old = harness.connectedHubDevice("d1")
        let new = harness.connectedHubDevice("d1")
        assertEndedByBroker(harness, old, version: .v3_1_1, reason: .sessionTakenOver)
        assertAlive(harness, new)
    }

    /// A will on `devices/{id}/messages/events/` is forwarded as telemetry; one elsewhere does not refuse
    /// the CONNECT but is never published.
    func testIoTHubUnauthorizedWillIsDropped() throws {
        let harness = try harness()
        let elsewhere = Will(topic: "devices/d1/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let dropped = harness.connectedHubDevice("d1", will: elsewhere)
        harness.closeTransport(dropped)
        XCTAssertEqual(harness.engine.statistics.willsPublished, 0)

        let telemetry = Will(topic: "devices/d1/messages/events/", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let forwarded = harness.connectedHubDevice("d1", will: telemetry)
        harness.closeTransport(forwarded)
        XCTAssertEqual(harness.engine.statistics.willsPublished, 1)
    }

    func testIoTHubSharedSubscriptionsAreRefused() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "$share/g/$iothub/methods/POST/#", qos: .atLeastOnce),
            Subscription(filter: "$share/g/devices/d1/messages/devicebound/#", qos: .atLeastOnce),
            Subscription(filter: "$iothub/methods/POST/#", qos: .atLeastOnce),
        ], on: id), [.unspecifiedError, .unspecifiedError, .grantedQoS1])
    }

    // MARK: authorization: only the documented topics

    /// seed 002: "it only supports the documented topic names and topic filters": the four filters are
    /// granted, everything else is refused (3.1.1 SUBACK 0x80).
    func testIoTHubAuthorizationOnlyTheDocumentedFilters() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "devices/d1/messages/devicebound/#", qos: .atLeastOnce),
            Subscription(filter: "$iothub/twin/res/#", qos: .atLeastOnce),
            Subscription(filter: "$iothub/twin/PATCH/properties/desired/#", qos: .atLeastOnce),
            Subscription(filter: "$iothub/methods/POST/#", qos: .atLeastOnce),
        ], on: id), [.grantedQoS1, .grantedQoS1, .grantedQoS1, .grantedQoS1])
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "devices/d2/messages/devicebound/#", qos: .atLeastOnce),
            Subscription(filter: "devices/d1/#", qos: .atLeastOnce),
            Subscription(filter: "devices/+/messages/devicebound/#", qos: .atLeastOnce),
            Subscription(filter: "devices/d1/messages/events/", qos: .atLeastOnce),
            Subscription(filter: "$iothub/#", qos: .atLeastOnce),
            Subscription(filter: "#", qos: .atLeastOnce),
        ], on: id), Array(repeating: .unspecifiedError, count: 6))
    }

    /// Telemetry on the device's own events topic (with or without `/`, with a property bag) is
    /// acknowledged; any other topic closes the connection (3.1.1 cannot refuse a PUBLISH).
    func testIoTHubAuthorizationOnlyTheDocumentedTopicNames() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        let allowed = ["devices/d1/messages/events/", "devices/d1/messages/events",
                       "devices/d1/messages/events/level=high&%24.ct=application%2Fjson"]
        for (index, topic) in allowed.enumerated() {
            XCTAssertEqual(harness.publishQoS1(topic, ByteBuffer(string: "{}"), packetID: UInt16(index + 1), on: id).pubackCodes,
                           [.success], topic)
        }
        let refused = ["devices/d2/messages/events/", "devices/d1/status", "devices/d1/messages/devicebound/",
                       "$iothub/twin/GET/", "$iothub/methods/res/200/", "telemetry"]
        for topic in refused {
            let device = harness.connectedHubDevice("d1")
            harness.publish(topic, "{}", qos: .atLeastOnce, id: 1, on: device)
            assertEndedByBroker(harness, device, version: .v3_1_1, reason: .notAuthorized)
        }
        for topic in refused {
            let device = harness.connectedHubDevice("d1")
            harness.publish(topic, "{}", on: device)
            XCTAssertTrue(harness.isClosed(device), "QoS 0 on \(topic) closes too")
        }
    }

    // MARK: iot-hub: hub name and device keys

    /// The shipped file names the hub `lab.azure-devices.net` and has no device keys: every SAS device is
    /// unknown until keys are added, while certificate devices connect.
    func testIoTHubRuleHubNameAndNoShippedDeviceKeys() throws {
        let profile = try shippedProfile("iothub")
        // Behaviour can only sample device IDs; that no key at all ships is a fact of the value.
        XCTAssertEqual(profile.iotHub?.deviceKeys, [:])
        let shipped = EngineHarness(profile: profile)
        let sas = shipped.connectHubDevice("d1", password: LabHub.token(for: "d1"), username: LabHub.username("d1"))
        assertRefused(shipped, sas, version: .v3_1_1, reason: .badUserNameOrPassword, returnCode: .badUserNameOrPassword)
        let (_, certificate) = shipped.connectHubDevice("d1", password: nil, username: LabHub.username("d1"), commonName: "d1")
        XCTAssertEqual(certificate.connectReturnCode, .accepted)
        let otherHub = shipped.connectHubDevice("d2", password: nil, username: LabHub.username("d2", hostName: "contoso.azure-devices.net"),
                                                commonName: "d2")
        assertRefused(shipped, otherHub, version: .v3_1_1, reason: .badUserNameOrPassword, returnCode: .badUserNameOrPassword)
    }

    // MARK: twins

    /// seed 002: GET on `$iothub/twin/GET/?$rid={rid}` is answered on `$iothub/twin/res/200/?$rid={rid}`
    /// with the twin; a reported PATCH on `$iothub/twin/res/204/?$rid={rid}&$version={v}`.
    func testIoTHubTwinGetIsAnswered200AndReportedPatch204() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        harness.subscribe("$iothub/twin/res/#", qos: .atLeastOnce, on: id)

        harness.publish("$iothub/twin/GET/?$rid=1", "", on: id)
        let fresh = harness.publishes(id)
        XCTAssertEqual(fresh.map(\.topic), ["$iothub/twin/res/200/?$rid=1"])
        XCTAssertEqual(fresh.map(\.payload.string), [#"{"desired":{"$version":1},"reported":{"$version":1}}"#])

        let patch = harness.publishQoS1("$iothub/twin/PATCH/properties/reported/?$rid=2",
                                        ByteBuffer(string: #"{"batteryLevel":60}"#), packetID: 5, on: id)
        XCTAssertEqual(patch.pubackCodes, [.success])
        XCTAssertEqual(patch.publishPackets.map(\.topic), ["$iothub/twin/res/204/?$rid=2&$version=2"])

        harness.publish("$iothub/twin/GET/?$rid=3", "", on: id)
        let twin = harness.publishes(id)
        XCTAssertEqual(twin.map(\.topic), ["$iothub/twin/res/200/?$rid=3"])
        let document = try XCTUnwrap(twin.first.flatMap {
            try JSONSerialization.jsonObject(with: Data($0.payload.readableBytesView)) as? NSDictionary
        })
        XCTAssertEqual(document, ["desired": ["$version": 1], "reported": ["batteryLevel": 60, "$version": 2]] as NSDictionary)

        let bad = harness.publishQoS1("$iothub/twin/PATCH/properties/reported/?$rid=4", ByteBuffer(string: "not json"),
                                      packetID: 6, on: id)
        XCTAssertEqual(bad.publishPackets.map(\.topic), ["$iothub/twin/res/400/?$rid=4"])
    }

    /// seed 002: "First, a device subscribes to $iothub/twin/res/#, to receive the operation's responses":
    /// a device that has not subscribed gets none, and a response comes at most at the granted QoS.
    func testIoTHubTwinResponsesOnlyThroughTheDevicesOwnSubscription() throws {
        let harness = try harness()
        let unsubscribed = harness.connectedHubDevice("d1")
        harness.publish("$iothub/twin/GET/?$rid=1", "", on: unsubscribed)
        XCTAssertEqual(harness.take(unsubscribed), [])

        let atMostOnce = harness.connectedHubDevice("d2")
        XCTAssertEqual(harness.subscribe("$iothub/twin/res/#", qos: .atMostOnce, on: atMostOnce), [.grantedQoS0])
        harness.publish("$iothub/twin/GET/?$rid=2", "", on: atMostOnce)
        let replies = harness.publishes(atMostOnce)
        XCTAssertEqual(replies.map(\.topic), ["$iothub/twin/res/200/?$rid=2"])
        XCTAssertEqual(replies.map(\.qos), [.atMostOnce])
        XCTAssertEqual(harness.take(unsubscribed), [], "d2's reply is not routed to d1")
    }

    /// The operator's desired-properties patch reaches the device on
    /// `$iothub/twin/PATCH/properties/desired/?$version={v}`, and a later GET shows it.
    func testIoTHubTwinDesiredPatchFromTheOperatorReachesTheDevice() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        harness.subscribe("$iothub/twin/PATCH/properties/desired/#", qos: .atLeastOnce, on: id)
        harness.subscribe("$iothub/twin/res/#", qos: .atLeastOnce, on: id)
        let message = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"interval":30}"#))
        })
        var actions: [BrokerAction] = []
        XCTAssertTrue(harness.engine.deliverToDevice(message, now: harness.now, into: &actions))
        let notifications = sentPublishes(actions, to: id)
        XCTAssertEqual(notifications.map(\.topic), ["$iothub/twin/PATCH/properties/desired/?$version=2"])
        let body = try XCTUnwrap(notifications.first.flatMap {
            try JSONSerialization.jsonObject(with: Data($0.payload.readableBytesView)) as? NSDictionary
        })
        XCTAssertEqual(body, ["interval": 30, "$version": 2] as NSDictionary)

        harness.publish("$iothub/twin/GET/?$rid=7", "", on: id)
        let twin = try XCTUnwrap(harness.publishes(id).first.flatMap {
            try JSONSerialization.jsonObject(with: Data($0.payload.readableBytesView)) as? NSDictionary
        })
        XCTAssertEqual(twin["desired"] as? NSDictionary, ["interval": 30, "$version": 2] as NSDictionary)
    }

    /// A cloud-to-device message reaches the device through `devices/{id}/messages/devicebound/#` only.
    func testIoTHubCloudToDeviceMessageReachesTheSubscribedDevice() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        let message = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "hello"), properties: ["kind": "greeting"])
        })
        var actions: [BrokerAction] = []
        XCTAssertFalse(harness.engine.deliverToDevice(message, now: harness.now, into: &actions), "not subscribed yet")
        XCTAssertEqual(sentPublishes(actions, to: id), [])
        harness.subscribe("devices/d1/messages/devicebound/#", qos: .atLeastOnce, on: id)
        XCTAssertTrue(harness.engine.deliverToDevice(message, now: harness.now, into: &actions))
        let delivered = sentPublishes(actions, to: id)
        XCTAssertEqual(delivered.map(\.topic), ["devices/d1/messages/devicebound/kind=greeting"])
        XCTAssertEqual(delivered.map(\.payload.string), ["hello"])
        XCTAssertEqual(delivered.map(\.qos), [.atLeastOnce])
    }

    // MARK: direct methods

    /// seed 002: the hub sends the request on `$iothub/methods/POST/{name}/?$rid={rid}`; the device's
    /// answer on `$iothub/methods/res/{status}/?$rid={rid}` completes the operator's call.
    func testIoTHubDirectMethodResponseCompletesTheOperatorsCall() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        harness.subscribe("$iothub/methods/POST/#", qos: .atLeastOnce, on: id)
        let call = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.directMethod(deviceID: "d1", name: "reboot", payload: ByteBuffer(string: #"{"delay":5}"#),
                                      timeout: .seconds(30), now: harness.now)
        })
        var actions: [BrokerAction] = []
        XCTAssertTrue(harness.engine.deliverToDevice(call.message, now: harness.now, into: &actions))
        let request = sentPublishes(actions, to: id)
        XCTAssertEqual(request.map(\.topic), ["$iothub/methods/POST/reboot/?$rid=\(call.requestID)"])
        XCTAssertEqual(request.map(\.payload.string), [#"{"delay":5}"#])

        harness.advance(.seconds(2))
        let answer = harness.publishQoS1("$iothub/methods/res/200/?$rid=\(call.requestID)",
                                         ByteBuffer(string: #"{"rebooting":true}"#), on: id)
        XCTAssertEqual(answer.pubackCodes, [.success])
        let completions = try XCTUnwrap(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) })
        XCTAssertEqual(completions.map(\.requestID), [call.requestID])
        XCTAssertEqual(completions.map(\.deviceID), ["d1"])
        XCTAssertEqual(completions.map(\.methodName), ["reboot"])
        XCTAssertEqual(completions.map(\.outcome),
                       [.responded(status: 200, payload: ByteBuffer(string: #"{"rebooting":true}"#))])
    }

    func testIoTHubDirectMethodWithoutAnswerTimesOutOnVirtualTime() throws {
        let harness = try harness()
        let id = harness.connectedHubDevice("d1")
        harness.subscribe("$iothub/methods/POST/#", qos: .atLeastOnce, on: id)
        let call = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.directMethod(deviceID: "d1", name: "reboot", timeout: .seconds(10), now: harness.now)
        })
        harness.advance(.seconds(9))
        XCTAssertEqual(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) }, [])
        harness.advance(.seconds(1))
        let completions = try XCTUnwrap(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) })
        XCTAssertEqual(completions.map(\.requestID), [call.requestID])
        XCTAssertEqual(completions.map(\.outcome), [.timedOut])

        // A late answer completes nothing.
        harness.publish("$iothub/methods/res/200/?$rid=\(call.requestID)", "{}", on: id)
        XCTAssertEqual(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) }, [])
    }

    /// Another device answering with the call's `$rid` does not complete it.
    func testIoTHubDirectMethodOnlyTheCalledDeviceCompletesTheCall() throws {
        let harness = try harness()
        let called = harness.connectedHubDevice("d1")
        let other = harness.connectedHubDevice("d2")
        harness.subscribe("$iothub/methods/POST/#", qos: .atLeastOnce, on: called)
        harness.subscribe("$iothub/methods/POST/#", qos: .atLeastOnce, on: other)
        let call = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.directMethod(deviceID: "d1", name: "reboot", now: harness.now)
        })
        var actions: [BrokerAction] = []
        harness.engine.deliverToDevice(call.message, now: harness.now, into: &actions)
        XCTAssertEqual(sentPublishes(actions, to: other), [], "the request goes to the called device only")
        harness.publish("$iothub/methods/res/200/?$rid=\(call.requestID)", "{}", on: other)
        XCTAssertEqual(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) }, [])
        harness.publish("$iothub/methods/res/500/?$rid=\(call.requestID)", "{}", on: called)
        let completions = try XCTUnwrap(harness.engine.withIoTHub { $0.takeCompletedMethods(now: harness.now) })
        XCTAssertEqual(completions.map(\.outcome), [.responded(status: 500, payload: ByteBuffer(string: "{}"))])
    }
}

/// The PUBLISH packets among `actions` sent to `id`.
func sentPublishes(_ actions: [BrokerAction], to id: ConnectionID) -> [PublishPacket] {
    actions.compactMap { action in
        if case .send(id, .publish(let publish), _) = action { return publish }
        return nil
    }
}
