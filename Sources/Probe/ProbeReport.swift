/// The steps `fleet probe` walks through, in order, modelled on the firmware author's probe in seed 000:
/// each one isolates one layer so that a failure names the layer that broke.
public enum ProbeStep: String, Sendable, Hashable, CaseIterable {
    case dns = "DNS"
    case tcp = "TCP"
    case tls = "TLS"
    case mutualTLS = "mTLS"
    /// The WebSocket upgrade of ws:// and wss://: a GET on the URL's path answered by `101 Switching Protocols`.
    case httpUpgrade = "HTTP upgrade"
    case connect = "CONNECT"
    case roundTrip = "PUBLISH"
    case will = "WILL"
}

/// Why a step failed, in the user's terms, and what to check next.
public struct Diagnosis: Error, Sendable, Hashable {
    public var problem: String
    public var hint: String

    public init(problem: String, hint: String) {
        self.problem = problem
        self.hint = hint
    }
}

/// What happened at one step.
public enum ProbeOutcome: Sendable, Hashable {
    case passed(String)
    case failed(Diagnosis)
    case skipped(String)
}

/// One step's outcome and how long it took.
public struct ProbeStepResult: Sendable, Hashable {
    public var step: ProbeStep
    public var outcome: ProbeOutcome
    public var duration: Duration?

    public init(step: ProbeStep, outcome: ProbeOutcome, duration: Duration?) {
        self.step = step
        self.outcome = outcome
        self.duration = duration
    }

    public var failed: Bool {
        if case .failed = outcome { return true }
        return false
    }
}

/// The probe's answer: every step it ran, in order. The probe stops at the first failing layer
/// and marks the steps it could not reach as skipped.
public struct ProbeReport: Sendable, Hashable {
    public var target: String
    public var steps: [ProbeStepResult]

    public init(target: String, steps: [ProbeStepResult] = []) {
        self.target = target
        self.steps = steps
    }

    public var succeeded: Bool { !steps.contains(where: \.failed) }

    public func result(of step: ProbeStep) -> ProbeStepResult? { steps.first { $0.step == step } }

    /// A plain-text table, one line per step, with the diagnosis under a failed step.
    public func rendered() -> String {
        var lines = ["fleet probe \(target)"]
        let width = ProbeStep.allCases.map(\.rawValue.count).max() ?? 0
        for result in steps {
            let name = result.step.rawValue + String(repeating: " ", count: width - result.step.rawValue.count)
            let time = result.duration.map { " (\(Self.milliseconds($0)))" } ?? ""
            switch result.outcome {
            case .passed(let detail):
                lines.append("  ok    \(name)  \(detail)\(time)")
            case .skipped(let reason):
                lines.append("  --    \(name)  skipped: \(reason)")
            case .failed(let diagnosis):
                lines.append("  FAIL  \(name)  \(diagnosis.problem)\(time)")
                lines.append("        \(String(repeating: " ", count: width))  hint: \(diagnosis.hint)")
            }
        }
        lines.append(succeeded ? "result: every step passed" : "result: FAILED at \(steps.first(where: \.failed)!.step.rawValue)")
        return lines.joined(separator: "\n")
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return ms < 10 ? "\((ms * 100).rounded() / 100) ms" : "\(Int(ms.rounded())) ms"
    }
}
