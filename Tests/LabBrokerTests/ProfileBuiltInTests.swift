import Foundation
import LabBroker
import MQTTCore
import XCTest

/// Every rule of the built-in profiles, as loaded from their YAML files: changing a value there fails here.
final class ProfileBuiltInTests: XCTestCase {
    func testBuiltInNames() {
        XCTAssertEqual(ProfileLoader.builtInNames, ["standard", "eventgrid", "iothub"])
    }

    func testStandardIsTheSpecification() throws {
        let profile = try ProfileLoader.builtIn(named: "standard")
        var expected = BrokerProfile()
        expected.sources = profile.sources
        XCTAssertEqual(profile, expected, "standard.yaml must say what BrokerProfile() defaults to")
        XCTAssertEqual(profile.name, "standard")
        XCTAssertEqual(profile.protocolVersions, [.v3_1_1, .v5_0])
        XCTAssertEqual(profile.maximumQoS, .exactlyOnce)
        XCTAssertNil(profile.authorization)
        XCTAssertNil(profile.maximumPacketSize)
        XCTAssertNil(profile.throttling.lockout)
    }

    func testEventGrid() throws {
        let profile = try ProfileLoader.builtIn(named: "eventgrid")
        XCTAssertEqual(profile.name, "eventgrid")
        XCTAssertEqual(profile.summary, "Azure Event Grid MQTT broker (namespace topic spaces, seeds 001–004)")
        XCTAssertEqual(profile.protocolVersions, [.v3_1_1, .v5_0])
        XCTAssertTrue(profile.requiresTLS)
        XCTAssertEqual(profile.authentication, .certificateCommonName(usernameMustMatch: true))
        XCTAssertEqual(profile.maximumQoS, .atLeastOnce)
        XCTAssertEqual(profile.qosAboveMaximum, .disconnect)
        XCTAssertEqual(profile.retain, .refused(.disconnect))
        XCTAssertEqual(profile.maximumKeepAlive, 1160)
        XCTAssertEqual(profile.topicAliasMaximum, 10)
        XCTAssertEqual(profile.maximumPacketSize, 512 * 1024)
        XCTAssertEqual(profile.receiveMaximum, 65535)
        XCTAssertEqual(profile.maximumSessionExpiry, 3600)
        XCTAssertEqual(profile.takeover, .refuseNew)
        XCTAssertEqual(profile.unauthorizedWill, .refuseConnect)
        XCTAssertFalse(profile.sharedSubscriptions)
        XCTAssertEqual(profile.offlineQueue, QueueLimit(messages: 100, bytes: 1_000_000, onOverflow: .endSession))
        XCTAssertEqual(profile.authorization, [
            TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish, .subscribe]),
            TopicPermission(topicTemplate: "clients/${client.authenticationName}/status", actions: [.publish]),
            TopicPermission(topicTemplate: "clients/+/status", actions: [.subscribe]),
            TopicPermission(topicTemplate: "#", actions: [.publish, .subscribe], identity: "fleet-observer*"),
        ])
        XCTAssertEqual(profile.throttling, ThrottleRules(
            connectsPerClient: 1, connectsTotal: 200, messagesPerClient: 1000,
            lockout: ThrottleRules.Lockout(failures: 5, windowSeconds: 60, durationSeconds: 600)))
        XCTAssertNil(profile.iotHub)
    }

    func testEventGridGrantsWhatTheSeedsDevicesUse() throws {
        let profile = try ProfileLoader.builtIn(named: "eventgrid")
        let grants = TopicAuthorizer(permissions: profile.authorization)
            .grants(for: ClientIdentity(clientID: "XiaoTandHandCO2A", authenticationName: "XiaoTandHandCO2A"))
        XCTAssertTrue(grants.allows(.publish, "devices/XiaoTandHandCO2A/sequence"))
        XCTAssertTrue(grants.allows(.subscribe, "devices/XiaoTandHandCO2A/configuration"))
        XCTAssertFalse(grants.allows(.subscribe, "devices/XiaoTandHandCO2V/configuration"), "seed 000's B device")
        XCTAssertFalse(grants.allows(.subscribe, "ssl/mqtt5"), "seed 000's sample topic that 'didn't exist'")
        XCTAssertFalse(grants.allows(.publish, "devices/esp32/lwt"), "seed 000's will topic")
        XCTAssertTrue(grants.allows(.publish, "clients/XiaoTandHandCO2A/status"))
        XCTAssertTrue(grants.allows(.subscribe, "clients/+/status"))
        XCTAssertFalse(grants.allows(.subscribe, "#"), "a device is no monitoring client")
        let observer = TopicAuthorizer(permissions: profile.authorization)
            .grants(for: ClientIdentity(clientID: "fleet-observer-x1-1", authenticationName: "fleet-observer"))
        XCTAssertTrue(observer.allows(.subscribe, "devices/+/sequence"), "the fleet's observers watch every device")
        XCTAssertTrue(observer.allows(.publish, "devices/XiaoTandHandCO2A/configuration"), "and its controller commands them")
    }

    func testIoTHub() throws {
        let profile = try ProfileLoader.builtIn(named: "iothub")
        XCTAssertEqual(profile.name, "iothub")
        XCTAssertEqual(profile.protocolVersions, [.v3_1_1])
        XCTAssertTrue(profile.requiresTLS)
        XCTAssertEqual(profile.authentication, .iotHub)
        XCTAssertEqual(profile.maximumQoS, .atLeastOnce)
        XCTAssertEqual(profile.qosAboveMaximum, .disconnect)
        XCTAssertEqual(profile.retain, .notPersisted)
        XCTAssertNil(profile.maximumKeepAlive)
        XCTAssertEqual(profile.takeover, .replaceOld)
        XCTAssertEqual(profile.unauthorizedWill, .dropWill)
        XCTAssertFalse(profile.sharedSubscriptions)
        XCTAssertNil(profile.authorization, "the device endpoint enforces IoT Hub's topics")
        XCTAssertEqual(profile.iotHub, IoTHubRules(hostName: "lab.azure-devices.net", deviceKeys: [:]))
        XCTAssertEqual(profile.throttling, ThrottleRules())
        XCTAssertEqual(profile.offlineQueue, QueueLimit())
    }

    /// Every rule a built-in file sets cites a seed, the specification or the documentation, and every
    /// rule that is the lab's own invention says so.
    func testEveryBuiltInRuleCitesItsSource() throws {
        let seedRules: [String: Set<String>] = [
            "eventgrid": ["protocol-versions", "requires-tls", "authentication", "maximum-qos", "qos-above-maximum",
                          "retain", "maximum-keep-alive", "topic-alias-maximum", "maximum-packet-size",
                          "maximum-session-expiry", "takeover", "max-sessions-per-authentication-name",
                          "unauthorized-will", "shared-subscriptions",
                          "offline-queue", "authorization", "messages-per-client", "connects-per-client",
                          "connects-total", "lockout"],
            "iothub": ["protocol-versions", "requires-tls", "authentication", "maximum-qos", "qos-above-maximum", "retain",
                       "maximum-keep-alive", "takeover", "unauthorized-will", "shared-subscriptions", "authorization", "iot-hub"],
        ]
        for name in ProfileLoader.builtInNames {
            let profile = try ProfileLoader.builtIn(named: name)
            XCTAssertFalse(profile.sources.isEmpty, name)
            for (rule, source) in profile.sources {
                XCTAssertFalse(source.hasPrefix("lab:\(name):"), "\(name) `\(rule)` cites no source")
                let cites = source.contains("seed 00") || source.contains("MQTT 5.0 §") || source.contains("MQTT 3.1.1 §")
                    || source.contains("learn.microsoft.com") || source.hasPrefix("LAB MODEL")
                XCTAssertTrue(cites, "\(name) `\(rule)`: \(source)")
            }
            if let expected = seedRules[name] { XCTAssertEqual(Set(profile.sources.keys), expected, name) }
        }
        let eventGrid = try ProfileLoader.builtIn(named: "eventgrid")
        XCTAssertTrue(eventGrid.sources["lockout"]?.contains("not documented Azure behaviour") ?? false)
        XCTAssertTrue(eventGrid.sources["takeover"]?.contains("rejected with an unauthorized error") ?? false)
    }

    /// The quotes in the built-in files are the seeds' words, not paraphrases. The seeds live beside the
    /// repository (`../shared/seeds`) or where `FLEET_SEEDS_DIR` says.
    func testSeedQuotesAppearInTheSeeds() throws {
        let seedsDirectory = ProcessInfo.processInfo.environment["FLEET_SEEDS_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/seeds").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: seedsDirectory.path)
        XCTAssertEqual(files.filter { $0.hasSuffix(".txt") }.count, 5, "seeds 000–004 in \(seedsDirectory.path)")
        var seeds: [String: String] = [:]
        for file in files where file.hasSuffix(".txt") {
            seeds[String(file.prefix(3))] = normalize(try String(contentsOf: seedsDirectory.appendingPathComponent(file), encoding: .utf8))
        }
        let quote = try NSRegularExpression(pattern: "seed (00[0-4])[^']*?'([^']+)'")
        for name in ProfileLoader.builtInNames {
            for (rule, source) in try ProfileLoader.builtIn(named: name).sources {
                let range = NSRange(source.startIndex..., in: source)
                for match in quote.matches(in: source, range: range) {
                    let seed = String(source[Range(match.range(at: 1), in: source)!])
                    for fragment in String(source[Range(match.range(at: 2), in: source)!]).components(separatedBy: " ... ") {
                        XCTAssertTrue(seeds[seed]?.contains(normalize(fragment)) ?? false,
                                      "\(name) `\(rule)`: seed \(seed) does not say '\(fragment)'")
                    }
                }
            }
        }
    }

    private func normalize(_ text: String) -> String {
        text.replacingOccurrences(of: "’", with: "'").replacingOccurrences(of: "**", with: "")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
