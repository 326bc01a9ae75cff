import Scenario
import XCTest

@testable import Fleet

final class DeviceFirmwareTests: XCTestCase {
    private func firmware(
        telemetry: Duration? = .seconds(2),
        subscribes: Bool = true,
        birth: Bool = true,
        retry: RetryPolicy = RetryPolicy(backoff: .fixed(.seconds(5)))
    ) -> DeviceFirmware {
        DeviceFirmware(
            settings: .init(bootDelay: .seconds(1), telemetryInterval: telemetry, subscribes: subscribes,
                            publishesBirth: birth, reconnect: retry),
            random: SeededGenerator(seed: 42, stream: 7)
        )
    }

    private func feed(_ device: inout DeviceFirmware, _ event: DeviceFirmware.Event) -> [DeviceFirmware.Action] {
        var actions: [DeviceFirmware.Action] = []
        device.handle(event) { actions.append($0) }
        return actions
    }

    private func bootAndConnect(_ device: inout DeviceFirmware) {
        _ = feed(&device, .powerOn)
        _ = feed(&device, .bootCompleted)
        _ = feed(&device, .connectSucceeded)
    }

    func testBootConnectsSubscribesPublishesBirthThenTelemetryFromSequenceZero() {
        var device = firmware()
        XCTAssertEqual(feed(&device, .powerOn), [.scheduleBoot(after: .seconds(1))])
        XCTAssertEqual(feed(&device, .bootCompleted), [.openConnection(attempt: 1)])
        XCTAssertEqual(device.phase, .connecting(attempt: 1))
        XCTAssertEqual(feed(&device, .connectSucceeded), [
            .subscribe, .publishBirth,
            .publishTelemetry(firstSequence: 0, count: 1), .scheduleTelemetry(after: .seconds(2)),
        ])
        XCTAssertEqual(feed(&device, .telemetryDue), [
            .publishTelemetry(firstSequence: 1, count: 1), .scheduleTelemetry(after: .seconds(2)),
        ])
        XCTAssertEqual(device.phase, .online)
    }

    func testSequenceSurvivesReconnects() {
        var device = firmware()
        bootAndConnect(&device)
        _ = feed(&device, .telemetryDue)
        XCTAssertEqual(feed(&device, .connectionLost), [.cancelTimers, .scheduleReconnect(after: .seconds(5))])
        XCTAssertEqual(device.phase, .backoff)
        XCTAssertEqual(feed(&device, .telemetryDue), [], "a stale telemetry timer does nothing while down")
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 1)])
        let actions = feed(&device, .connectSucceeded)
        XCTAssertTrue(actions.contains(.publishTelemetry(firstSequence: 2, count: 1)), "\(actions)")
    }

    /// `max-attempts: 3` is three attempts in all, the first one counted, after boot as after a lost connection.
    func testFailedAttemptsCountUpAndMaxAttemptsGivesUp() {
        var device = firmware(retry: RetryPolicy(backoff: .fixed(.seconds(1)), maxAttempts: 3))
        _ = feed(&device, .powerOn)
        _ = feed(&device, .bootCompleted)
        XCTAssertEqual(feed(&device, .connectFailed), [.cancelTimers, .scheduleReconnect(after: .seconds(1))])
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 2)])
        XCTAssertEqual(feed(&device, .connectFailed), [.cancelTimers, .scheduleReconnect(after: .seconds(1))])
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 3)])
        XCTAssertEqual(feed(&device, .connectFailed), [.cancelTimers, .gaveUp(attempts: 3)])
        XCTAssertEqual(device.phase, .gaveUp)
        XCTAssertEqual(feed(&device, .reconnectDue), [])
        XCTAssertEqual(feed(&device, .reconnectNow), [.cancelTimers, .openConnection(attempt: 1)])
        _ = feed(&device, .connectSucceeded)
        XCTAssertEqual(feed(&device, .connectionLost), [.cancelTimers, .scheduleReconnect(after: .seconds(1))])
        for attempt in 1...2 {
            XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: attempt)])
            XCTAssertEqual(feed(&device, .connectFailed), [.cancelTimers, .scheduleReconnect(after: .seconds(1))])
        }
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 3)])
        XCTAssertEqual(feed(&device, .connectFailed), [.cancelTimers, .gaveUp(attempts: 3)])
    }

    func testExponentialBackoffGrowsStaysUnderTheCapAndReplaysWithTheSameSeed() {
        let policy = RetryPolicy(backoff: .exponential(initial: .seconds(1), multiplier: 2, max: .seconds(30), jitter: 0.2))
        func delays() -> [Duration] {
            var device = firmware(retry: policy)
            _ = feed(&device, .powerOn)
            _ = feed(&device, .bootCompleted)
            var result: [Duration] = []
            for _ in 0..<8 {
                for action in feed(&device, .connectFailed) {
                    if case .scheduleReconnect(let delay) = action { result.append(delay) }
                }
                _ = feed(&device, .reconnectDue)
            }
            return result
        }
        let first = delays()
        XCTAssertEqual(first.count, 8)
        XCTAssertEqual(first, delays())
        for (attempt, delay) in first.enumerated() {
            let base = min(Double(1 << attempt), 30)
            XCTAssertGreaterThanOrEqual(delay, .seconds(base * 0.8), "attempt \(attempt + 1)")
            XCTAssertLessThanOrEqual(delay, .seconds(min(base * 1.2, 36)), "attempt \(attempt + 1)")
        }
        XCTAssertGreaterThan(first[4], first[0])
    }

    func testNeverPolicyHoldsTheDeviceUntilTheTimelineBringsItBack() {
        var device = firmware(retry: RetryPolicy(backoff: .never))
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .connectionLost), [.cancelTimers])
        XCTAssertEqual(device.phase, .held)
        XCTAssertEqual(feed(&device, .reconnectNow), [.cancelTimers, .openConnection(attempt: 1)])
    }

    func testAbruptFaultClosesAndReconnectsAfterTheGivenDelayIgnoringTheResultingDrop() {
        var device = firmware()
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .disconnect(.abrupt, resume: .after(.seconds(30)))), [
            .cancelTimers, .closeConnection(.abrupt), .scheduleReconnect(after: .seconds(30)),
        ])
        XCTAssertEqual(feed(&device, .connectionLost), [], "the drop it caused itself is not a failure")
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 1)])
    }

    func testGracefulFaultByPolicyUsesTheRetryPolicy() {
        var device = firmware()
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .disconnect(.graceful, resume: .byPolicy)), [
            .cancelTimers, .closeConnection(.graceful), .cancelTimers, .scheduleReconnect(after: .seconds(5)),
        ])
    }

    func testSilentByPolicyWaitsForTheConnectionToEndBeforeBackingOff() {
        var device = firmware()
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .disconnect(.silent, resume: .byPolicy)), [.cancelTimers, .closeConnection(.silent)])
        XCTAssertEqual(device.phase, .silent(resume: .byPolicy))
        XCTAssertTrue(device.hasConnection)
        XCTAssertEqual(feed(&device, .telemetryDue), [], "a silent device publishes nothing")
        XCTAssertEqual(feed(&device, .connectionLost), [.cancelTimers, .scheduleReconnect(after: .seconds(5))])
    }

    func testSilentWithFixedResumeReconnectsEvenIfTheBrokerHasNotNoticed() {
        var device = firmware()
        bootAndConnect(&device)
        _ = feed(&device, .disconnect(.silent, resume: .after(.seconds(3))))
        XCTAssertEqual(feed(&device, .reconnectDue), [.openConnection(attempt: 1)])
    }

    func testBurstPublishesConsecutiveSequencesOnlyWhileOnline() {
        var device = firmware()
        XCTAssertEqual(feed(&device, .burst(count: 5)), [])
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .burst(count: 5)), [.publishTelemetry(firstSequence: 1, count: 5)])
        XCTAssertEqual(device.nextSequence, 6)
    }

    func testStopClosesOnceAndSilencesEverythingAfter() {
        var device = firmware()
        bootAndConnect(&device)
        XCTAssertEqual(feed(&device, .stop(.graceful)), [.cancelTimers, .closeConnection(.graceful)])
        XCTAssertEqual(feed(&device, .stop(.abrupt)), [])
        XCTAssertEqual(feed(&device, .reconnectNow), [])
        XCTAssertEqual(feed(&device, .connectionLost), [])
        var idle = firmware()
        _ = feed(&idle, .powerOn)
        XCTAssertEqual(feed(&idle, .stop(.abrupt)), [.cancelTimers], "nothing to close while booting")
    }

    func testWithoutTelemetryTheDeviceOnlyConnects() {
        var device = firmware(telemetry: nil, subscribes: false, birth: false)
        _ = feed(&device, .powerOn)
        _ = feed(&device, .bootCompleted)
        XCTAssertEqual(feed(&device, .connectSucceeded), [])
        XCTAssertEqual(feed(&device, .telemetryDue), [])
    }
}
