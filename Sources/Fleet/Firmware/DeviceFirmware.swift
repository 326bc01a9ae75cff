import Scenario

/// The behaviour of one virtual device, as a pure state machine: events in, actions out.
///
/// It models the firmware loop in the field (ESP32 PubSubClient / esp-mqtt, nanoFramework m2mqtt):
/// boot (Wi-Fi, clock sync), connect, subscribe to the configuration topic, publish a birth message,
/// then publish sequence-numbered telemetry forever; when the connection drops, retry by the
/// device's `RetryPolicy`. The sequence counter survives reconnects, so a gap downstream is a lost
/// message. No sockets, no clocks: the driver turns actions into NIO work and timers into events, and
/// tests drive it directly.
public struct DeviceFirmware: Sendable {
    /// What the firmware was built with.
    public struct Settings: Sendable, Hashable {
        /// Power-on to network-ready (Wi-Fi join plus clock sync).
        public var bootDelay: Duration
        /// Telemetry cadence; nil = the device publishes nothing on its own.
        public var telemetryInterval: Duration?
        public var subscribes: Bool
        public var publishesBirth: Bool
        public var reconnect: RetryPolicy

        public init(
            bootDelay: Duration = .zero,
            telemetryInterval: Duration? = nil,
            subscribes: Bool = false,
            publishesBirth: Bool = false,
            reconnect: RetryPolicy = RetryPolicy(backoff: .never)
        ) {
            self.bootDelay = bootDelay
            self.telemetryInterval = telemetryInterval
            self.subscribes = subscribes
            self.publishesBirth = publishesBirth
            self.reconnect = reconnect
        }
    }

    /// How a connection is ended on purpose.
    public enum Ending: Sendable, Hashable {
        /// DISCONNECT 0x00: the broker discards the will.
        case graceful
        /// MQTT 5 DISCONNECT 0x04: the broker publishes the will.
        case gracefulWithWill
        /// TCP reset, no DISCONNECT.
        case abrupt
        /// The device stops talking; only the broker's keep-alive notices.
        case silent
    }

    /// What brings a device back after an injected disconnect.
    public enum Resume: Sendable, Hashable {
        case after(Duration)
        /// Its own reconnect policy (for a silent ending: counted from when the connection really ends).
        case byPolicy
        /// Only a later timeline step (or nothing).
        case never
    }

    public enum Phase: Sendable, Hashable {
        case off
        case booting
        case connecting(attempt: Int)
        case online
        /// Waiting out the reconnect policy's delay.
        case backoff
        /// Talking no more on a connection that the broker has not closed yet.
        case silent(resume: Resume)
        /// Down because of an injected fault, waiting for a scheduled or explicit reconnect.
        case held
        case gaveUp
        case stopped
    }

    public enum Event: Sendable, Hashable {
        case powerOn
        case bootCompleted
        case connectSucceeded
        case connectFailed
        /// The broker or the network ended a connection the device did not end itself.
        case connectionLost
        case telemetryDue
        case reconnectDue
        case disconnect(Ending, resume: Resume)
        /// A timeline step brings the device back now, whatever it was waiting for.
        case reconnectNow
        case burst(count: Int)
        case stop(Ending)
    }

    public enum Action: Sendable, Hashable {
        case scheduleBoot(after: Duration)
        case openConnection(attempt: Int)
        case closeConnection(Ending)
        case subscribe
        case publishBirth
        /// Publish `count` telemetry messages numbered from `firstSequence`.
        case publishTelemetry(firstSequence: UInt64, count: Int)
        case scheduleTelemetry(after: Duration)
        case scheduleReconnect(after: Duration)
        /// Cancel every pending boot, telemetry and reconnect timer.
        case cancelTimers
        case gaveUp(attempts: Int)
    }

    public let settings: Settings
    public private(set) var phase: Phase = .off
    /// The next telemetry sequence number; never reset, so gaps downstream are losses.
    public private(set) var nextSequence: UInt64 = 0
    /// Connection attempts since the last successful connect.
    public private(set) var attempt = 0
    /// Reconnect waits since the last successful connect (what the policy counts).
    public private(set) var retries = 0
    /// The device's own seeded stream, for backoff jitter.
    public private(set) var random: SeededGenerator

    public init(settings: Settings, random: SeededGenerator) {
        self.settings = settings
        self.random = random
    }

    /// Whether the device currently owns a connection (being opened, open, or open but silent).
    public var hasConnection: Bool {
        switch phase {
        case .connecting, .online, .silent: true
        default: false
        }
    }

    /// Feeds one event; `perform` receives the resulting actions in order (no array per event: this
    /// runs for every telemetry tick of every device).
    public mutating func handle(_ event: Event, _ perform: (Action) -> Void) {
        switch (event, phase) {
        case (.stop(let ending), _):
            guard phase != .stopped else { return }
            let hadConnection = hasConnection
            phase = .stopped
            perform(.cancelTimers)
            if hadConnection { perform(.closeConnection(ending)) }

        case (_, .stopped):
            return

        case (.powerOn, .off):
            phase = .booting
            perform(.scheduleBoot(after: settings.bootDelay))

        case (.bootCompleted, .booting):
            startAttempt(perform)

        case (.connectSucceeded, .connecting):
            phase = .online
            attempt = 0
            retries = 0
            if settings.subscribes { perform(.subscribe) }
            if settings.publishesBirth { perform(.publishBirth) }
            if let interval = settings.telemetryInterval {
                publish(count: 1, perform)
                perform(.scheduleTelemetry(after: interval))
            }

        case (.connectFailed, .connecting), (.connectionLost, .online):
            retryByPolicy(perform)

        case (.connectionLost, .silent(let resume)):
            if resume == .byPolicy {
                retryByPolicy(perform)
            } else {
                phase = .held
            }

        case (.telemetryDue, .online):
            guard let interval = settings.telemetryInterval else { return }
            publish(count: 1, perform)
            perform(.scheduleTelemetry(after: interval))

        case (.burst(let count), .online):
            if count > 0 { publish(count: count, perform) }

        case (.reconnectDue, .backoff), (.reconnectDue, .held), (.reconnectDue, .silent):
            startAttempt(perform)

        case (.reconnectNow, .backoff), (.reconnectNow, .held), (.reconnectNow, .gaveUp),
            (.reconnectNow, .silent):
            perform(.cancelTimers)
            attempt = 0
            retries = 0
            startAttempt(perform)

        case (.disconnect(let ending, let resume), .connecting), (.disconnect(let ending, let resume), .online):
            perform(.cancelTimers)
            perform(.closeConnection(ending))
            if ending == .silent {
                phase = .silent(resume: resume)
                if case .after(let delay) = resume { perform(.scheduleReconnect(after: delay)) }
            } else {
                phase = .held
                resumeAfterFault(resume, perform)
            }

        case (.disconnect(_, let resume), .backoff), (.disconnect(_, let resume), .held):
            perform(.cancelTimers)
            phase = .held
            resumeAfterFault(resume, perform)

        default:
            // Stale timers and events that do not apply in this phase (e.g. telemetry while offline).
            return
        }
    }

    private mutating func startAttempt(_ perform: (Action) -> Void) {
        attempt += 1
        phase = .connecting(attempt: attempt)
        perform(.openConnection(attempt: attempt))
    }

    private mutating func retryByPolicy(_ perform: (Action) -> Void) {
        perform(.cancelTimers)
        retries += 1
        let unit = Double(random.next() >> 11) * 0x1.0p-53
        if settings.reconnect.backoff == .never {
            phase = .held
        } else if settings.reconnect.givesUp(afterFailedAttempts: attempt) {
            phase = .gaveUp
            perform(.gaveUp(attempts: attempt))
        } else if let delay = settings.reconnect.delay(beforeRetry: retries, unitRandom: unit) {
            phase = .backoff
            perform(.scheduleReconnect(after: delay))
        }
    }

    private mutating func resumeAfterFault(_ resume: Resume, _ perform: (Action) -> Void) {
        switch resume {
        case .after(let delay):
            perform(.scheduleReconnect(after: delay))
        case .byPolicy:
            retryByPolicy(perform)
        case .never:
            break
        }
    }

    private mutating func publish(count: Int, _ perform: (Action) -> Void) {
        perform(.publishTelemetry(firstSequence: nextSequence, count: count))
        nextSequence &+= UInt64(count)
    }
}
