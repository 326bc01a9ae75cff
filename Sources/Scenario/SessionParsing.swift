import Yams

/// The client ID of each session of a multi-session identity (`session-id:`): a per-device template in
/// which `{session}` (1…N) may appear several times, so it is kept as the pieces around it.
public struct SessionIDPattern: Sendable, Hashable {
    /// The text between `{session}`s; `pieces.count - 1` occurrences.
    public var pieces: [Template]

    /// Event Grid's own example names sessions after their client (`Mgmt-Session1`, seed 003).
    public static let `default` = SessionIDPattern(pieces: [Template(parts: [.clientID, .text("-session-")]),
                                                             Template(literal: "")])

    /// `identity` is the identity's client ID (what `{clientId}` renders here), `index` its 1-based index.
    public func render(identity: String, index: Int, group: String, session: Int) -> String {
        pieces.map { $0.binding(clientID: identity, index: index, group: group).description }
            .joined(separator: String(session))
    }

    public var description: String { pieces.map(\.description).joined(separator: "{session}") }

    /// The lab `eventgrid` profile's `max-sessions-per-authentication-name` (its namespace as seed 004
    /// configures it), for the loader's check; Scenario does not depend on LabBroker, a test keeps the two equal.
    public static let labEventGridLimit = 3
}

extension ScenarioParser {
    /// Group keys of Event Grid identities; see `applyIdentity`.
    static let identityKeys = ["sessions", "session-id", "authentication-name"]

    /// `sessions: N` expands each identity (client ID, certificate, authentication name) into N devices with
    /// their own client IDs (`session-id:`, default `{clientId}-session-{session}`); `authentication-name:`
    /// names the identity when it is not the certificate's CN. On Event Grid, certificate devices send the
    /// authentication name as their username unless they give one, and a username that is not it is refused
    /// here rather than by the broker.
    func applyIdentity(_ plan: inout DeviceGroupPlan, group: MappingReader, broker: BrokerSpec?) {
        applySessions(&plan, group: group, broker: broker)
        var authenticationName = plan.clientIDPattern
        if let node = group["authentication-name"], let given = template(node, "authentication-name", scope: .perDevice) {
            if given.parts.contains(.clientID) {
                diagnostics.report(node, "`authentication-name` cannot use {clientId}: sessions of one identity have different client IDs",
                                   hint: "use {index} and {group}, e.g. the group's client-id pattern")
            } else {
                authenticationName = given
                plan.authenticationNamePattern = given
                if broker?.lab == "eventgrid", given != plan.clientIDPattern, case .certificates = plan.credentials {
                    diagnostics.report(node, "group `\(plan.name)`: lab:eventgrid takes the authentication name from the certificate's CN, which `fleet certs` makes the client ID, not `\(given.description)`",
                                       hint: "remove `authentication-name`, or issue the certificates for those names (`fleet certs issue --ids`)")
                }
            }
        }
        guard broker?.knownProfile == .azureEventGrid, case .certificates(let directory, let username) = plan.credentials
        else { return }
        guard let username else {
            plan.credentials = .certificates(directory: directory, username: authenticationName)
            return
        }
        let device = plan.device(index: 1, ordinal: 0)
        let sent = username.binding(clientID: device.clientID, index: 1, group: plan.name).description
        let expected = authenticationName.binding(clientID: device.clientID, index: 1, group: plan.name).description
        if sent != expected {
            diagnostics.report(group["credentials"] ?? group.node,
                               "group `\(plan.name)`: username `\(sent)` is not the authentication name `\(expected)`, and Event Grid (Subject Matches Authentication Name) refuses such a CONNECT",
                               hint: "remove `username`: on Event Grid a certificate device sends its authentication name")
        }
    }

    private func applySessions(_ plan: inout DeviceGroupPlan, group: MappingReader, broker: BrokerSpec?) {
        guard let node = group["sessions"], let sessions = diagnostics.integer(node, "sessions", in: 1...1000,
                                                                               hint: "each identity opens 1 to 1000 sessions")
        else {
            if let idNode = group["session-id"] {
                diagnostics.report(idNode, "`session-id` without `sessions`", hint: "add e.g. `sessions: 3`")
            }
            return
        }
        if case .sas = plan.credentials {
            diagnostics.report(node, "`sessions` with `sas` credentials: an IoT Hub device has one connection, a second takes it over",
                               hint: "use certificate credentials for multi-session clients (Event Grid)")
            return
        }
        if broker?.lab == "eventgrid", broker?.knownProfile != nil, sessions > SessionIDPattern.labEventGridLimit {
            diagnostics.report(node, "`sessions` \(sessions) is more than the \(SessionIDPattern.labEventGridLimit) sessions per authentication name lab:eventgrid's namespace allows",
                               hint: "at most \(SessionIDPattern.labEventGridLimit); Event Grid refuses the sessions beyond it (its Maximum client sessions per authentication name), or `check-limits: false` to see it refuse them")
        }
        var pattern = SessionIDPattern.default
        if let idNode = group["session-id"], let text = diagnostics.string(idNode, "session-id") {
            let pieces = text.components(separatedBy: "{session}")
            guard pieces.count > 1 else {
                diagnostics.report(idNode, "`session-id` has no {session}, so the \(sessions) sessions of an identity would share one client ID",
                                   hint: "e.g. \"{clientId}-session-{session}\"")
                return
            }
            var parsed: [Template] = []
            for piece in pieces {
                guard let part = pieceTemplate(piece, node: idNode) else { return }
                parsed.append(part)
            }
            pattern = SessionIDPattern(pieces: parsed)
        }
        plan.sessions = sessions
        plan.sessionIDPattern = pattern
        plan.count *= sessions
    }

    /// One piece of `session-id` around its `{session}`s, with the per-device placeholders.
    private func pieceTemplate(_ text: String, node: Node) -> Template? {
        switch TemplateParser.parse(text, scope: .perDevice) {
        case .success(let template):
            return template
        case .failure(let failure):
            diagnostics.report(node, "`session-id`: \(failure.problem)", hint: failure.hint.map { $0 + ", and {session}" })
            return nil
        }
    }
}
