import Fleet
import Ledger
import NIOCore
import NIOEmbedded
import Scenario
import XCTest

final class TimelineExecutorTests: XCTestCase {
    private final class Recorder: TimelineTarget {
        var performed: [(at: NIODeadline, action: String, devices: [Int])] = []
        var finished: [StopMode?] = []
        let loop: EmbeddedEventLoop

        init(loop: EmbeddedEventLoop) { self.loop = loop }

        func perform(_ step: TimelineStep, on devices: [Int]) {
            performed.append((loop.now, step.action.keyword, devices))
        }

        func timelineFinished(stoppedBy mode: StopMode?) { finished.append(mode) }
    }

    private let yaml = """
        name: timeline-test
        seed: 42
        broker: { url: "mqtt://127.0.0.1:1883" }
        groups:
          - { name: a, count: 6, client-id: "tl-a-{index}", personality: custom }
          - { name: b, count: 4, client-id: "tl-b-{index}", personality: custom }
        timeline:
          - { at: 0s, ramp: { over: 2s } }
          - { at: 3s, disconnect: { select: 3, mode: abrupt, reconnect: 1s } }
          - { at: 5s, throttle: { select: 50%, group: b, latency: 100ms, for: 2s } }
          - { at: 9s, stop: graceful }
        """

    func testStepsRunAtTheirTimesOnTheSeedsDevicesAndAreLogged() throws {
        let plan = try ScenarioLoader.parse(yaml: yaml, path: "timeline.yaml")
        let loop = EmbeddedEventLoop()
        let recorder = Recorder(loop: loop)
        let events = RunEventCollector()
        let start = loop.now
        let clock = RunClock { UInt64((loop.now - start).nanoseconds) }
        let executor = TimelineExecutor(plan: plan, devices: plan.devices(), eventLoop: loop, sink: events, clock: clock,
                                        target: recorder)
        executor.start()
        XCTAssertEqual(recorder.performed.map(\.action), [], "nothing before the loop runs")
        loop.run()
        XCTAssertEqual(recorder.performed.map(\.action), ["ramp"])
        XCTAssertEqual(recorder.performed[0].devices, Array(0..<10))
        loop.advanceTime(by: .milliseconds(2999))
        XCTAssertEqual(recorder.performed.count, 1)
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(recorder.performed.map(\.action), ["ramp", "disconnect"])
        let disconnected = recorder.performed[1].devices
        XCTAssertEqual(disconnected.count, 3)
        XCTAssertEqual(disconnected, executor.devices(for: plan.timeline[1]), "the same draw every time")
        loop.advanceTime(by: .seconds(2))
        let throttled = recorder.performed[2].devices
        XCTAssertEqual(throttled.count, 2)
        XCTAssertTrue(throttled.allSatisfy { (6..<10).contains($0) }, "only group b: \(throttled)")
        XCTAssertTrue(recorder.finished.isEmpty)
        loop.advanceTime(by: .seconds(4))
        XCTAssertEqual(recorder.performed.map(\.action), ["ramp", "disconnect", "throttle", "stop"])
        XCTAssertEqual(recorder.finished, [.graceful])
        let logged = events.events.compactMap { event -> (UInt64, Int)? in
            if case .timelineStep(let index, _, _) = event.kind { return (event.at, index) }
            return nil
        }
        XCTAssertEqual(logged.map(\.1), [0, 1, 2, 3])
        XCTAssertEqual(logged.map(\.0), [0, 3_000_000_000, 5_000_000_000, 9_000_000_000])
    }

    func testCancelStopsTheRestOfTheTimeline() throws {
        let plan = try ScenarioLoader.parse(yaml: yaml, path: "timeline.yaml")
        let loop = EmbeddedEventLoop()
        let recorder = Recorder(loop: loop)
        let executor = TimelineExecutor(plan: plan, devices: plan.devices(), eventLoop: loop, sink: RunEventCollector(),
                                        clock: RunClock { 0 }, target: recorder)
        executor.start()
        loop.advanceTime(by: .seconds(4))
        executor.cancel()
        loop.advanceTime(by: .seconds(20))
        XCTAssertEqual(recorder.performed.map(\.action), ["ramp", "disconnect"])
        XCTAssertTrue(recorder.finished.isEmpty)
    }

    func testATimelineWithoutStopFinishesAfterItsTrailingWait() throws {
        let plan = try ScenarioLoader.parse(yaml: """
            name: timeline-wait
            seed: 1
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups: [ { name: a, count: 2, client-id: "tw-{index}", personality: custom } ]
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, wait: 4s }
            """, path: "wait.yaml")
        let loop = EmbeddedEventLoop()
        let recorder = Recorder(loop: loop)
        let executor = TimelineExecutor(plan: plan, devices: plan.devices(), eventLoop: loop, sink: RunEventCollector(),
                                        clock: RunClock { 0 }, target: recorder)
        executor.start()
        loop.advanceTime(by: .milliseconds(4999))
        XCTAssertTrue(recorder.finished.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(recorder.finished, [nil])
    }
}
