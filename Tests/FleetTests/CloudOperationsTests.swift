@testable import Fleet
import Ledger
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Scenario
import XCTest

/// The fleet's side of `iothub` steps against a scripted hub: one request per selected device with its
/// templates filled in, each logged as a `cloudMessage` fault saying what the hub did, and each direct
/// method's end as a `methodCompleted` event timed from the moment of the call.
final class CloudOperationsTests: XCTestCase {
    /// A hub that delivers to `subscribed` devices, refuses `refused` ones and answers every method call
    /// it delivered with 200 after 30 ms, timing out the others after 10 s.
    private final class ScriptedHub: CloudServiceOperator {
        struct State {
            var requests: [CloudRequest] = []
            var calls: [(requestID: String, device: String, method: String, delivered: Bool)] = []
            var takes = 0
        }
        let subscribed: Set<String>
        let refused: Set<String>
        let state = NIOLockedValueBox(State())

        init(subscribed: Set<String>, refused: Set<String> = []) {
            self.subscribed = subscribed
            self.refused = refused
        }

        func send(_ requests: [CloudRequest]) async -> [Result<CloudDelivery, CloudRequestRefused>] {
            requests.map { request in
                refused.contains(request.deviceID) ? .failure(CloudRequestRefused("payloadTooLarge")) : .success(send(request))
            }
        }

        private func send(_ request: CloudRequest) -> CloudDelivery {
            let delivered = subscribed.contains(request.deviceID)
            return state.withLockedValue { state in
                state.requests.append(request)
                switch request.message {
                case .cloudToDevice:
                    return CloudDelivery(topic: "devices/\(request.deviceID)/messages/devicebound/", delivered: delivered)
                case .desiredPatch:
                    return CloudDelivery(topic: "$iothub/twin/PATCH/properties/desired/?$version=2", delivered: delivered)
                case .directMethod(let name, _, _):
                    let requestID = String(state.calls.count + 1)
                    state.calls.append((requestID, request.deviceID, name, delivered))
                    return CloudDelivery(topic: "$iothub/methods/POST/\(name)/?$rid=\(requestID)", delivered: delivered,
                                         requestID: requestID)
                }
            }
        }

        func takeMethodCompletions() async -> [CloudMethodCompletion] {
            state.withLockedValue { state in
                state.takes += 1
                defer { state.calls.removeAll() }
                return state.calls.map { call in
                    CloudMethodCompletion(requestID: call.requestID, deviceID: call.device, method: call.method,
                                          outcome: call.delivered ? .answered(status: 200) : .timedOut,
                                          roundTrip: call.delivered ? .milliseconds(30) : .seconds(10))
                }
            }
        }
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    override func tearDown() async throws {
        try await group.shutdownGracefully()
    }

    private func plan(_ step: String) throws -> Plan {
        try ScenarioLoader.parse(yaml: """
            name: cloud
            seed: 5
            broker: lab:iothub
            groups:
              - name: pumps
                count: 3
                client-id: "pump-{index}"
                personality: esp-mqtt
                credentials: { certificates: certs, username: "lab.azure-devices.net/{clientId}/?api-version=2021-04-12" }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - \(step)
            """, path: "cloud.yaml", options: ScenarioLoader.Options(checkCertificateFiles: false))
    }

    /// Sends the plan's step 1 to every device through `hub` on a real loop, then finishes.
    private func play(_ plan: Plan, hub: ScriptedHub, clock: RunClock) throws -> [RunEvent] {
        guard case .iotHub(let spec) = plan.timeline[1].action else {
            XCTFail("step 1 is not an iothub step")
            return []
        }
        let sink = RunEventCollector()
        let loop = group.next()
        let requests = CloudRequests.render(spec, step: 1, ordinals: [0, 1, 2], devices: plan.devices(), seed: plan.seed)
        try loop.flatSubmit {
            let operations = CloudOperations(eventLoop: loop, cloud: hub, sink: sink, clock: clock)
            operations.send(requests)
            return operations.finish()
        }.wait()
        return sink.events
    }

    func testEachDeviceGetsItsOwnRenderedRequestAndItsOutcomeIsLogged() throws {
        let plan = try plan(#"{ at: 1s, iothub: { c2d: "reboot {clientId}", properties: { from: "{group}" } } }"#)
        let hub = ScriptedHub(subscribed: ["pump-1"], refused: ["pump-3"])
        let events = try play(plan, hub: hub, clock: RunClock(reading: { 7 }))

        let sent = hub.state.withLockedValue { $0.requests }
        XCTAssertEqual(sent, [
            CloudRequest(deviceID: "pump-1", message: .cloudToDevice(payload: "reboot pump-1",
                                                                     properties: [CloudProperty(name: "from", value: "pumps")])),
            CloudRequest(deviceID: "pump-2", message: .cloudToDevice(payload: "reboot pump-2",
                                                                     properties: [CloudProperty(name: "from", value: "pumps")])),
        ], "pump-3's request was refused before anything was sent")
        let logged = events.compactMap { event -> (String?, CloudMessageDetail?)? in
            guard case .faultInjected(.cloudMessage, let detail, _, _, _, _, _, _) = event.kind else { return nil }
            XCTAssertEqual(event.at, 7)
            return (event.device, detail.flatMap(CloudMessageDetail.init(parsing:)))
        }
        XCTAssertEqual(logged.map(\.0), ["pump-1", "pump-2", "pump-3"])
        XCTAssertEqual(logged.map(\.1?.outcome), [.delivered, .notDelivered, .refused("payloadTooLarge")])
        XCTAssertEqual(logged.map(\.1?.kind), [.c2d, .c2d, .c2d])
        XCTAssertEqual(logged.first?.1?.subject, "devices/pump-1/messages/devicebound/")
        XCTAssertFalse(events.contains { if case .methodCompleted = $0.kind { true } else { false } })
    }

    func testMethodCompletionsAreTimedFromTheCall() throws {
        let plan = try plan(#"{ at: 1s, iothub: { method: reboot, payload: '{"who":"{clientId}"}', timeout: 20s } }"#)
        let hub = ScriptedHub(subscribed: ["pump-1", "pump-3"])
        let now = NIOLockedValueBox<UInt64>(1_000)
        let events = try play(plan, hub: hub, clock: RunClock(reading: {
            now.withLockedValue { value in
                defer { value += 1_000 }
                return value
            }
        }))

        let requests = hub.state.withLockedValue { $0.requests }
        XCTAssertEqual(requests.map(\.message), [
            .directMethod(name: "reboot", payload: #"{"who":"pump-1"}"#, timeout: .seconds(20)),
            .directMethod(name: "reboot", payload: #"{"who":"pump-2"}"#, timeout: .seconds(20)),
            .directMethod(name: "reboot", payload: #"{"who":"pump-3"}"#, timeout: .seconds(20)),
        ])
        let calls = events.filter { if case .faultInjected(.cloudMessage, _, _, _, _, _, _, _) = $0.kind { true } else { false } }
        XCTAssertEqual(calls.map(\.at), [1_000, 1_000, 1_000], "the step's calls are logged at the moment they were made")
        let completions = events.compactMap { event -> (UInt64, String?, MethodOutcome, Int?, UInt64)? in
            guard case .methodCompleted(let method, _, let outcome, let status, let roundTrip) = event.kind else { return nil }
            XCTAssertEqual(method, "reboot")
            return (event.at, event.device, outcome, status, roundTrip)
        }
        XCTAssertEqual(completions.map(\.1), ["pump-1", "pump-2", "pump-3"])
        XCTAssertEqual(completions.map(\.2), [.answered, .timedOut, .answered])
        XCTAssertEqual(completions.map(\.3), [200, nil, 200])
        XCTAssertEqual(completions.map(\.0), [1_000 + 30_000_000, 1_000 + 10_000_000_000, 1_000 + 30_000_000],
                       "call time + the hub's round trip, not the time the completion was taken")
        XCTAssertEqual(hub.state.withLockedValue { $0.takes }, 1, "finish takes the completions once more")
    }
}
