/// Every kind of event a run records.
///
/// Case and label names are the on-disk names (`{"connected":{"tcpNs":…}}`), so they
/// are stable: rename nothing, only add. Times are nanoseconds of the run clock,
/// durations are nanoseconds, MQTT durations (keep-alive, will delay) are seconds as
/// on the wire.
public enum RunEventKind: Codable, Sendable, Hashable {
    /// First event of every ledger: which scenario, which seed, how many devices.
    case runStarted(scenario: String, seed: UInt64, devices: Int)
    /// The timeline executor began a step; `action` is the step's keyword
    /// (`ramp`, `disconnect`, `duplicate-client-id`, `throttle`, `burst`, `publish`,
    /// `cert-fault`, `iothub`, `wait`, `stop`) and `line` its line in the scenario file.
    case timelineStep(index: Int, action: String, line: Int)
    /// A device starts a connection attempt (1 for the first attempt after boot).
    case connecting(attempt: Int)
    /// CONNACK accepted. Phase durations of this attempt: TCP connect, TLS handshake (nil on plain TCP),
    /// WebSocket upgrade (nil unless MQTT goes over WebSocket) and CONNECT→CONNACK.
    case connected(tcpNs: UInt64, tlsNs: UInt64? = nil, webSocketNs: UInt64? = nil, connackNs: UInt64, sessionPresent: Bool)
    /// An attempt failed before the device was online.
    case connectFailed(stage: ConnectStage, reason: String, reasonCode: UInt8? = nil)
    /// All of a device's subscriptions were granted; `subackNs` is SUBSCRIBE→SUBACK.
    case subscribed(filters: Int, subackNs: UInt64)
    /// The broker refused one subscription (SUBACK reason code ≥ 0x80).
    case subscribeRefused(filter: String, reasonCode: UInt8)
    /// The device's connection ended, for the given cause.
    case disconnected(cause: DisconnectCause, detail: String? = nil)
    /// The timeline injected a fault into this device (or run-wide when `device` is nil).
    ///
    /// For faults that end a connection the will-relevant facts are recorded too:
    /// `lastPacketAt` — for `silent` the device's last packet sent, for `abrupt` the
    /// reset moment; `keepAlive` and `willDelay` in seconds as negotiated;
    /// `expectWill` — the connection carried a will and, per MQTT, this ending must
    /// publish it (false for a graceful DISCONNECT 0x00 or a device without a will);
    /// `sessionExpiry` in seconds, for MQTT 5 devices only (0 when the CONNECT sent none): the will is
    /// due at the earlier of its delay and the session's end. A `publish` names the message it sent to
    /// the device in `message`.
    case faultInjected(
        fault: FaultKind,
        detail: String? = nil,
        lastPacketAt: UInt64? = nil,
        keepAlive: UInt16? = nil,
        willDelay: UInt32? = nil,
        expectWill: Bool? = nil,
        sessionExpiry: UInt32? = nil,
        message: MessageFacts? = nil
    )
    /// An observer received a message on a device's will topic whose payload is the
    /// will's. `retained` is the RETAIN flag as delivered: true means the broker
    /// stored it before the observer subscribed (observers never use
    /// retain-as-published), so it says nothing about this run's disconnects.
    /// `latencyHint` is the sender-side latency when the payload carries a timestamp.
    case willReceived(topic: String, payload: String, retained: Bool, latencyHint: UInt64? = nil)
    /// An observer received a message on a device's status (birth) topic that is not
    /// the will; same `retained` meaning as for wills.
    case statusReceived(topic: String, payload: String, retained: Bool)
    /// An observer received a device's reply to a command (a `respond:` rule's topic).
    case replyReceived(topic: String)
    /// A device whose session outlives its connections received a QoS ≥ 1 message on one of its subscriptions
    /// (QoS 0 ones, and those of clean-session devices, are not logged: only the session verdicts read them).
    case messageReceived(topic: String, message: MessageFacts)
    /// A direct method call of the IoT Hub operator (a `cloudMessage` fault of kind `method`) ended:
    /// answered with the device's `status`, answered with a body that is not JSON (`malformed`, with its
    /// status), or `timedOut`. `roundTripNs` runs from the call to the answer, or to the call's timeout.
    case methodCompleted(method: String, requestID: String, outcome: MethodOutcome, status: Int? = nil,
                         roundTripNs: UInt64)
    /// Ground truth from the device at the end of the run: telemetry messages it
    /// published, how many the broker acknowledged (QoS ≥ 1) and its last sequence.
    case telemetrySummary(sent: UInt64, acked: UInt64, lastSequence: UInt64)
    /// Last event of a ledger that was closed properly.
    case runEnded(reason: RunEndReason)
    /// A device reconnected carrying a persistent session: `resent` publishes went out again (DUP, or PUBREL
    /// past PUBREC) because the broker kept the session; `abandoned` telemetry messages the session had in
    /// flight were discarded with it because the broker did not (CONNACK session present 0).
    case sessionCarried(resent: Int, abandoned: Int)
    /// The device's MQTT client refused to send a publish (over the broker's Maximum Packet Size, a QoS or
    /// retain the broker does not offer, …): the firmware's publish() fails and the message is gone.
    case publishRefused(topic: String, reason: String)
    /// The broker sent a packet over the device's buffer, which its library dropped (`deliveredBytes` 0) or
    /// delivered cut to the buffer (esp-mqtt's first chunk); logged once per connection.
    case oversizedPacketDropped(packetType: String, size: Int, limit: Int, deliveredBytes: Int)
    /// A SAS device's token came within its renewal margin of `expiry` (Unix seconds): the device ends its
    /// connection gracefully and reconnects with a fresh token, as the Azure IoT SDKs do.
    case tokenRenewed(expiry: Int)
    /// An IoT Hub device sent a twin request (a group's `twin:`): a GET or a reported-properties PATCH, with the
    /// `$rid` it chose.
    case twinRequested(operation: TwinOperation, requestID: String)
    /// The hub answered a twin request on `$iothub/twin/res/{status}/?$rid=…`; `roundTripNs` runs from the request.
    case twinAnswered(operation: TwinOperation, requestID: String, status: Int, roundTripNs: UInt64)
}

/// The twin requests a device makes.
public enum TwinOperation: String, Codable, Sendable, Hashable, CaseIterable {
    /// `$iothub/twin/GET/?$rid=…`: read the twin.
    case get
    /// `$iothub/twin/PATCH/properties/reported/?$rid=…`: update the reported properties.
    case report
}

/// Where a connection attempt failed.
public enum ConnectStage: String, Codable, Sendable, Hashable, CaseIterable {
    case tcp, tls, connack, subscribe
}

/// Why a device's connection ended.
public enum DisconnectCause: String, Codable, Sendable, Hashable, CaseIterable {
    /// DISCONNECT with reason 0x00: the broker must discard the will.
    case graceful
    /// DISCONNECT with reason 0x04 (MQTT 5): the broker must publish the will.
    case gracefulWithWill
    /// The socket was reset with no DISCONNECT (power loss, crash, RST).
    case abrupt
    /// The device stopped sending; the broker notices through keep-alive.
    case silent
    /// Another connection with the same client ID took the session over.
    case takenOver
    /// The broker sent DISCONNECT (MQTT 5) or closed the connection itself.
    case serverDisconnect
    /// The device gave up on the broker's PINGRESP.
    case keepAliveTimeout
    /// A network error that no fault of ours explains.
    case networkError
    /// The broker refused the connection (CONNACK with an error).
    case refused
}

/// The faults a timeline injects.
public enum FaultKind: String, Codable, Sendable, Hashable, CaseIterable {
    case abrupt, silent, graceful, gracefulWithWill
    /// A second connection with the device's client ID started (a takeover).
    case impostorStarted
    case throttled, unthrottled, certFault, burst, publish
    /// A SAS device reconnects presenting a faulty token (a `sas-fault` step; the detail names the kind).
    case sasFault
    /// The IoT Hub operator sent the device a message (an `iothub` step); the detail says which kind, on
    /// which topic, and whether it was delivered (see ``CloudMessageDetail``).
    case cloudMessage
}

/// How a direct method call ended.
public enum MethodOutcome: String, Codable, Sendable, Hashable, CaseIterable {
    case answered, malformed, timedOut
}

/// How a run ended.
public enum RunEndReason: String, Codable, Sendable, Hashable, CaseIterable {
    case completed, interrupted, failed
}
