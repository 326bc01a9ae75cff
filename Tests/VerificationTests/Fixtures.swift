import Ledger
import Scenario
import Verification

/// Synthetic plans and event sequences: verdicts are tested without sockets.
enum Fixtures {
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000

    static func s(_ value: Double) -> UInt64 { UInt64(value * 1_000_000_000) }

    /// A group of `count` devices `dev-01…` with telemetry on `devices/{id}/sequence`
    /// and a retained birth/will pair on `devices/{id}/status`.
    static func group(
        name: String = "sensors", count: Int, keepAlive: Duration = .seconds(10), willDelay: Duration? = nil,
        telemetry: Bool = true, will: Bool = true, birth: Bool = true
    ) -> DeviceGroupPlan {
        DeviceGroupPlan(
            name: name, count: count,
            clientIDPattern: Template(parts: [.text("dev-"), .index(width: 2)]),
            personality: .espMqtt, protocolVersion: .v5, keepAlive: keepAlive, cleanStart: true, sessionExpiry: nil,
            credentials: .none,
            telemetry: telemetry ? TelemetrySpec(
                topic: Template(parts: [.text("devices/"), .clientID, .text("/sequence")]), every: .seconds(1), qos: 1,
                retain: false,
                payload: Template(parts: [.text("{\"ClientID\":\""), .clientID, .text("\",\"Sequence\":"), .sequence,
                                          .text(",\"Time\":"), .timestamp, .text("}")]),
                contentType: nil, messageExpiry: nil
            ) : nil,
            subscribe: [],
            will: will ? WillSpec(
                topic: Template(parts: [.text("devices/"), .clientID, .text("/status")]),
                payload: Template(literal: "offline"), qos: 1, retain: true, delay: willDelay, messageExpiry: nil,
                contentType: nil
            ) : nil,
            birth: birth ? BirthSpec(
                topic: Template(parts: [.text("devices/"), .clientID, .text("/status")]),
                payload: Template(literal: "online"), qos: 1, retain: true
            ) : nil,
            retry: RetryPolicy(backoff: .fixed(.seconds(1))), bootDelay: .zero, maxPacketSize: 4096,
            location: SourceLocation(file: "test.yaml", line: 1, column: 1)
        )
    }

    static func plan(_ groups: [DeviceGroupPlan], expectations: Expectations = Expectations()) -> Plan {
        Plan(
            name: "synthetic", seed: 7, sourcePath: "test.yaml",
            broker: BrokerSpec(url: "mqtt://127.0.0.1:1883", host: "127.0.0.1", port: 1883, tls: false),
            groups: groups, timeline: [], expectations: expectations, observer: ObserverSpec()
        )
    }

    static func event(_ at: UInt64, _ device: String?, _ kind: RunEventKind) -> RunEvent {
        RunEvent(at: at, device: device, kind: kind)
    }

    static func connected(_ at: UInt64, _ device: String) -> RunEvent {
        event(at, device, .connected(tcpNs: 1 * millisecond, tlsNs: nil, connackNs: 2 * millisecond, sessionPresent: false))
    }

    static func fault(
        _ at: UInt64, _ device: String, _ fault: FaultKind, lastPacketAt: UInt64? = nil, keepAlive: UInt16 = 10,
        willDelay: UInt32 = 0, expectWill: Bool = true
    ) -> RunEvent {
        event(at, device, .faultInjected(fault: fault, detail: nil, lastPacketAt: lastPacketAt, keepAlive: keepAlive,
                                         willDelay: willDelay, expectWill: expectWill))
    }

    static func will(_ at: UInt64, _ device: String, retained: Bool = false) -> RunEvent {
        event(at, device, .willReceived(topic: "devices/\(device)/status", payload: "offline", retained: retained))
    }

    static func status(_ at: UInt64, _ device: String, _ payload: String, retained: Bool = false) -> RunEvent {
        event(at, device, .statusReceived(topic: "devices/\(device)/status", payload: payload, retained: retained))
    }

    static func disconnected(_ at: UInt64, _ device: String, _ cause: DisconnectCause) -> RunEvent {
        event(at, device, .disconnected(cause: cause, detail: nil))
    }

    static func end(_ at: UInt64) -> RunEvent { event(at, nil, .runEnded(reason: .completed)) }
}
