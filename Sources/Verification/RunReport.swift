/// Everything a run established, as one value: the renderers' only input and the
/// JSON report's schema.
///
/// `schema` names the version (`fleet-run-report/1`); fields are only ever added
/// within a version. Histograms are stored in their exact mergeable form
/// (``EncodedHistogram``), so reports of several runs can be combined.
public struct RunReport: Codable, Sendable, Hashable {
    public static let currentSchema = "fleet-run-report/1"

    public var schema: String = RunReport.currentSchema
    public var scenario: ScenarioInfo
    public var durationNs: UInt64
    /// `completed`, `interrupted`, `failed`; nil when the ledger has no end event.
    public var endReason: String?
    public var connections: ConnectionStats
    public var series: RunSeries
    public var steps: [StepMark]
    public var faults: [FaultMark]
    public var wills: WillSection
    public var retainedStatus: StatusSection
    public var telemetry: TelemetrySection
    public var latency: [LatencyEntry]
    public var expectations: [ExpectationResult]
    /// What the IoT Hub operator sent and how its direct method calls ended; nil (absent) when it sent nothing.
    public var cloud: CloudSection?
    /// Persistent sessions carried over reconnects; nil (absent) when no reconnect resent or abandoned anything.
    public var sessions: SessionSection?
    /// Publishes the devices' clients refused and oversized packets they dropped; nil (absent) when none.
    public var deviceErrors: DeviceErrorSection?
    /// CONNECTs the broker refused (by device, with the reason) and SAS token renewals; nil (absent) when none.
    public var credentials: CredentialSection?
    /// The devices' IoT Hub twin requests and how the hub answered them; nil (absent) when none were made.
    public var twin: TwinSection?

    /// True when every expectation passed.
    public var passed: Bool { expectations.allSatisfy(\.passed) }

    public init(
        scenario: ScenarioInfo, durationNs: UInt64, endReason: String?, connections: ConnectionStats,
        series: RunSeries, steps: [StepMark], faults: [FaultMark], wills: WillSection,
        retainedStatus: StatusSection, telemetry: TelemetrySection, latency: [LatencyEntry],
        expectations: [ExpectationResult], cloud: CloudSection? = nil, sessions: SessionSection? = nil,
        deviceErrors: DeviceErrorSection? = nil, credentials: CredentialSection? = nil, twin: TwinSection? = nil
    ) {
        self.scenario = scenario
        self.durationNs = durationNs
        self.endReason = endReason
        self.connections = connections
        self.series = series
        self.steps = steps
        self.faults = faults
        self.wills = wills
        self.retainedStatus = retainedStatus
        self.telemetry = telemetry
        self.latency = latency
        self.expectations = expectations
        self.cloud = cloud
        self.sessions = sessions
        self.deviceErrors = deviceErrors
        self.credentials = credentials
        self.twin = twin
    }
}

public struct ScenarioInfo: Codable, Sendable, Hashable {
    public var name: String
    public var seed: UInt64
    public var devices: Int
    public var sourcePath: String?

    public init(name: String, seed: UInt64, devices: Int, sourcePath: String? = nil) {
        self.name = name
        self.seed = seed
        self.devices = devices
        self.sourcePath = sourcePath
    }
}

public struct WillSection: Codable, Sendable, Hashable {
    /// Verdicts by judgement (`delivered`, `missing`, …).
    public var counts: [String: Int]
    /// Every verdict, in device then time order.
    public var verdicts: [WillVerdict]

    public init(verdicts: [WillVerdict]) {
        self.verdicts = verdicts
        var counts: [String: Int] = [:]
        for verdict in verdicts { counts[verdict.judgement.rawValue, default: 0] += 1 }
        self.counts = counts
    }
}

public struct StatusSection: Codable, Sendable, Hashable {
    /// Devices compared.
    public var checked: Int
    /// Devices whose retained status contradicts their state.
    public var failed: Int
    /// The failed comparisons only (all of them).
    public var failures: [StatusCheck]

    public init(checks: [StatusCheck]) {
        checked = checks.filter { $0.result != .notApplicable }.count
        failures = checks.filter(\.result.failed)
        failed = failures.count
    }
}

public struct TelemetrySection: Codable, Sendable, Hashable {
    public var total: TelemetryCounts
    /// Devices that published or were heard.
    public var devices: Int
    /// Devices with any loss, duplicate or reordering, worst first.
    public var irregular: [DeviceTelemetryCounts]
    /// Messages on topics no device owns, and telemetry without a readable sequence.
    public var unknownTopic: UInt64
    public var unreadable: UInt64
    /// Of `unknownTopic`, those delivered retained: left on the observed topics before the run (typically
    /// earlier runs' statuses of devices this run does not have), ignored.
    public var unknownTopicRetained: UInt64

    public init(
        total: TelemetryCounts, devices: Int, irregular: [DeviceTelemetryCounts], unknownTopic: UInt64,
        unreadable: UInt64, unknownTopicRetained: UInt64 = 0
    ) {
        self.total = total
        self.devices = devices
        self.irregular = irregular
        self.unknownTopic = unknownTopic
        self.unreadable = unreadable
        self.unknownTopicRetained = unknownTopicRetained
    }

    /// Reports written before `unknownTopicRetained` existed read as having none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        total = try container.decode(TelemetryCounts.self, forKey: .total)
        devices = try container.decode(Int.self, forKey: .devices)
        irregular = try container.decode([DeviceTelemetryCounts].self, forKey: .irregular)
        unknownTopic = try container.decode(UInt64.self, forKey: .unknownTopic)
        unreadable = try container.decode(UInt64.self, forKey: .unreadable)
        unknownTopicRetained = try container.decodeIfPresent(UInt64.self, forKey: .unknownTopicRetained) ?? 0
    }
}

public struct DeviceTelemetryCounts: Codable, Sendable, Hashable {
    public var device: String
    public var counts: TelemetryCounts

    public init(device: String, counts: TelemetryCounts) {
        self.device = device
        self.counts = counts
    }
}

public struct LatencyEntry: Codable, Sendable, Hashable {
    public var phase: MeasuredPhase
    public var summary: LatencySummary
    public var histogram: EncodedHistogram

    public init(phase: MeasuredPhase, histogram: LatencyHistogram) {
        self.phase = phase
        self.summary = histogram.summary
        self.histogram = histogram.encoded
    }
}

/// One expectation of the scenario, judged.
public struct ExpectationResult: Codable, Sendable, Hashable {
    /// Stable name, e.g. `wills.abrupt`, `latency.end-to-end.p99`, `telemetry.loss`.
    public var name: String
    /// What was expected, in the scenario's words (`delivered`, `≤ 250 ms`).
    public var expected: String
    /// What the run measured.
    public var actual: String
    public var passed: Bool
    /// Why it failed, naming example devices; empty when it passed.
    public var failure: String
    /// Not written in the scenario: a default outcome (`wills.graceful: none`) or a check that comes with a
    /// stated one (`wills.unexplained`).
    public var isDefault: Bool
    /// False when the run gave it nothing to judge (no silent ending for `wills.silent`): it neither passed
    /// nor failed (`passed` stays true so that it fails no run).
    public var exercised: Bool

    public init(
        name: String, expected: String, actual: String, passed: Bool, failure: String = "", isDefault: Bool = false,
        exercised: Bool = true
    ) {
        self.name = name
        self.expected = expected
        self.actual = actual
        self.passed = passed
        self.failure = failure
        self.isDefault = isDefault
        self.exercised = exercised
    }

    /// Reports written before `isDefault` and `exercised` existed read as stated and exercised.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        expected = try container.decode(String.self, forKey: .expected)
        actual = try container.decode(String.self, forKey: .actual)
        passed = try container.decode(Bool.self, forKey: .passed)
        failure = try container.decode(String.self, forKey: .failure)
        isDefault = try container.decodeIfPresent(Bool.self, forKey: .isDefault) ?? false
        exercised = try container.decodeIfPresent(Bool.self, forKey: .exercised) ?? true
    }
}
