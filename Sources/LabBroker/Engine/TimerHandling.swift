import NIOCore

extension BrokerEngine {
    /// Arms (or disarms, with nil) a connection's idle deadline. Later activity only moves
    /// `lastActivity`; the one heap entry re-arms itself when it fires early.
    func armIdleTimer(_ connection: BrokerConnection, timeout: TimeAmount?, now: NIODeadline) {
        connection.idleTimeout = timeout
        connection.idleGeneration = nextSerial()
        guard let timeout else { return }
        timers.schedule(.idle(connection.id), at: now + timeout, generation: connection.idleGeneration)
        compactTimersIfMostlyStale()
    }

    func runDueTimers(now: NIODeadline, into actions: inout [BrokerAction]) {
        while let entry = timers.popDue(now: now) {
            switch entry.kind {
            case .idle(let id):
                guard let connection = connections[id], connection.idleGeneration == entry.generation,
                      let timeout = connection.idleTimeout
                else { continue }
                let deadline = connection.lastActivity + timeout
                if deadline > now {
                    timers.schedule(entry.kind, at: deadline, generation: entry.generation)
                } else if connection.version == nil {
                    closeUnconnected(connection, into: &actions)
                } else {
                    // 1.5 × Keep Alive without a packet (§3.1.2.10): the will is published.
                    endConnection(connection, .brokerDisconnect(.keepAliveTimeout), now: now, into: &actions)
                }
            case .will(let clientID):
                guard let session = sessions[clientID], session.willGeneration == entry.generation,
                      let will = session.pendingWill
                else { continue }
                session.pendingWill = nil
                publishWill(will, clientID: clientID, now: now, into: &actions)
            case .sessionExpiry(let clientID):
                guard let session = sessions[clientID], session.expiryGeneration == entry.generation,
                      session.connection == nil
                else { continue }
                endSession(session, now: now, into: &actions)
            }
        }
    }

    /// Drops cancelled entries once they outnumber live ones several times over, so a churn of short
    /// connections with long keep-alives cannot grow the heap without bound.
    private func compactTimersIfMostlyStale() {
        let live = connections.count + 2 * sessions.count
        guard timers.count > 1024, timers.count > 4 * live else { return }
        timers.compact { entry in
            switch entry.kind {
            case .idle(let id):
                return connections[id]?.idleGeneration == entry.generation
            case .will(let clientID):
                return sessions[clientID]?.willGeneration == entry.generation
            case .sessionExpiry(let clientID):
                return sessions[clientID]?.expiryGeneration == entry.generation
            }
        }
    }
}
