import Fleet
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Scenario
import XCTest

/// A device's command handler against the real test mosquitto: an MQTT 5 request with a Response Topic and
/// Correlation Data gets its reply there, with the correlation echoed, after the firmware's processing time.
final class DeviceResponseTests: XCTestCase {
    func testReplyGoesToTheRequestsResponseTopicWithItsCorrelationData() async throws {
        let prefix = "fleet-it-respond-\(UInt32.random(in: 0...UInt32.max))"
        let plan = try ScenarioLoader.parse(yaml: """
            name: respond
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: pumps
                count: 1
                client-id: "\(prefix)-{index}"
                personality: custom
                subscribe: ["\(prefix)/{clientId}/req"]
                respond:
                  - { filter: "\(prefix)/{clientId}/req", topic: "\(prefix)/{clientId}/default", payload: 'done by {clientId}', after: 200ms }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 4s, stop: graceful }
            """, path: "respond.yaml")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let fleet = try Fleet(plan: plan, group: group, sink: RunEventCollector(), clock: RunClock(),
                              connections: .plan(plan, sources: SourceAddressPlan(addresses: [])))
        let requester = try await MQTTClient.connect(
            to: MQTTEndpoint(host: "127.0.0.1", port: 1883),
            configuration: MQTTConnectionConfiguration(clientIdentifier: "\(prefix)-requester"))
        _ = try await requester.subscribe([Subscription(filter: "\(prefix)/replies/#", qos: .atLeastOnce)])
        fleet.start()
        try await Task.sleep(for: .seconds(1))

        let sent = ContinuousClock.now
        try await requester.publish(MQTTMessage(
            topic: "\(prefix)/\(prefix)-1/req", payload: ByteBuffer(string: "open"), qos: .atLeastOnce, retain: false,
            properties: [.responseTopic("\(prefix)/replies/7"), .correlationData(ByteBuffer(string: "req-7"))]))
        // No reply in 5 s: closing the requester ends its message stream, and the test fails instead of hanging.
        let deadline = Task {
            try await Task.sleep(for: .seconds(5))
            _ = await requester.close(.graceful)
        }
        defer { deadline.cancel() }
        var iterator = requester.messages.makeAsyncIterator()
        let next = await iterator.next()
        let reply = try XCTUnwrap(next, "a reply arrives")
        let waited = ContinuousClock.now - sent

        XCTAssertEqual(reply.topic, "\(prefix)/replies/7", "the Response Topic wins over the rule's topic")
        XCTAssertEqual(reply.properties.correlationData, ByteBuffer(string: "req-7"))
        XCTAssertEqual(String(buffer: reply.payload), "done by \(prefix)-1")
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(200), "the firmware's processing time")
        await requester.close(.graceful)
        try await fleet.stop(.graceful).get()
        try await group.shutdownGracefully()
    }
}
