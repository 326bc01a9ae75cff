import Foundation
import NIOCore
import NIOPosix

// QoS 0 routing throughput of a running broker (mosquitto or fleet's lab broker, the same load for
// both): publishers flat out to distinct topics, subscribers on one filter, the broker's CPU per message.

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

let options: RoutingOptions
do {
    options = try RoutingOptions(arguments: CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("broker-routing: \(error)\n".utf8))
    exit(2)
}

/// A snapshot of the counters, taken on the loop, with the CPU times read at the same moment.
struct Sample {
    var atNs: UInt64
    var published: UInt64
    var received: UInt64
    var brokerCPU: Double?
    var ownCPU: Double
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
let window = try await loop.submit {
    NIOLoopBound(InFlightWindow(limit: UInt64(options.inFlight), subscribers: options.subscribers), eventLoop: loop)
}.get()

func connect(_ client: NIOLoopBound<BenchClient>, subscriber: Bool) -> EventLoopFuture<Void> {
    ClientBootstrap(group: loop)
        .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .channelOption(ChannelOptions.maxMessagesPerRead, value: subscriber ? 16 : 4)
        .channelOption(ChannelOptions.recvAllocator,
                       value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: subscriber ? 65_536 : 1024,
                                                              maximum: 1 << 20))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(client.value) }
        }
        .connect(host: "127.0.0.1", port: options.port)
        .flatMap { _ in client.value.ready.futureResult }
}

do {
    let runID = String(UInt32(truncatingIfNeeded: UInt64(getpid()) &* 2_654_435_761), radix: 36)
    let (subscribers, publishers) = try await loop.submit {
        let subscribers = (1...options.subscribers).map { number in
            NIOLoopBound(BenchClient(clientID: "bench-sub-\(runID)-\(number)", role: .subscriber(filter: options.filter),
                                     window: window.value, ready: loop.makePromise()), eventLoop: loop)
        }
        let publishers = try (1...options.publishers).map { number in
            NIOLoopBound(BenchClient(clientID: "bench-pub-\(runID)-\(number)",
                                     role: try .publisher(topic: "bench/p\(number)", payloadSize: options.payload, count: 64),
                                     window: window.value, ready: loop.makePromise()), eventLoop: loop)
        }
        return (subscribers, publishers)
    }.get()
    try await EventLoopFuture.andAllSucceed(subscribers.map { connect($0, subscriber: true) }, on: loop).get()
    try await EventLoopFuture.andAllSucceed(publishers.map { connect($0, subscriber: false) }, on: loop).get()
    say("""
        broker-routing: \(options.publishers) publishers (topics bench/p<N>, \(options.payload)-byte payloads, QoS 0, \
        \(options.inFlight == 0 ? "flat out" : "at most \(options.inFlight) messages in flight")) → \(options.subscribers) subscriber(s) on '\(options.filter)', 127.0.0.1:\(options.port)
        """)

    func sample() async throws -> Sample {
        try await loop.submit {
            Sample(atNs: DispatchTime.now().uptimeNanoseconds,
                   published: publishers.reduce(0) { $0 + $1.value.messages },
                   received: subscribers.reduce(0) { $0 + $1.value.messages },
                   brokerCPU: options.brokerPID.flatMap(ProcessCPU.of), ownCPU: ProcessCPU.own())
        }.get()
    }

    let ticks = try await loop.submit {
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
            window.value.tick(atNs: NIODeadline.now().uptimeNanoseconds)
        }
    }.get()
    try await loop.submit { for publisher in publishers { publisher.value.setPublishing(true) } }.get()
    try await Task.sleep(for: .seconds(options.warmup))
    let start = try await sample()
    try await Task.sleep(for: .seconds(options.duration))
    let end = try await sample()
    try await loop.submit { for publisher in publishers { publisher.value.setPublishing(false) } }.get()

    // Drain: what was handed to the sockets before the stop may still be on its way.
    var last = try await sample()
    let expected = last.published * UInt64(options.subscribers)
    var stableSince = end.atNs
    let drainDeadline = end.atNs + UInt64(options.drain * 1e9)
    while last.received < expected {
        try await Task.sleep(for: .milliseconds(100))
        let now = try await sample()
        if now.received != last.received { stableSince = now.atNs }
        last = now
        if now.atNs >= drainDeadline || now.atNs - stableSince >= 2_000_000_000 { break }
    }
    let (closed, writtenOff, stalls) = try await loop.submit {
        ticks.cancel()
        return ((subscribers + publishers).filter(\.value.closed).count, window.value.writtenOff, window.value.stalls)
    }.get()

    let wall = Double(end.atNs - start.atNs) / 1e9
    let received = Double(end.received - start.received)
    let published = Double(end.published - start.published)
    let rate = received / wall
    let ownShare = (end.ownCPU - start.ownCPU) / wall
    var lines = [
        String(format: "window     %.1f s after %.1f s warm-up: subscribers received %.0f msg/s; publishers wrote %.0f msg/s",
               wall, options.warmup, rate, published / wall),
    ]
    var result = String(format: "RESULT rate=%.0f published=%.0f gen_cpu_pct=%.0f", rate, published / wall, ownShare * 100)
    if let before = start.brokerCPU, let after = end.brokerCPU {
        let seconds = after - before
        let perMessage = received > 0 ? seconds / received * 1e6 : 0
        lines.append(String(format: "broker     %.2f CPU s in the window (%.0f%% of a core): %.2f µs per message delivered",
                            seconds, seconds / wall * 100, perMessage))
        result += String(format: " broker_cpu_pct=%.0f broker_us_per_msg=%.3f", seconds / wall * 100, perMessage)
    }
    lines.append(String(format: "generator  %.0f%% of a core (one event loop for every connection)%@", ownShare * 100,
                        ownShare > 0.9 ? " — SATURATED: the generator, not the broker, may set the rate" : ""))
    let undelivered = expected > last.received ? expected - last.received : 0
    lines.append("totals     published \(last.published), delivered \(last.received) of \(expected) expected; "
                 + "not delivered \(undelivered) (dropped, or still queued after the drain); connections closed by the broker: \(closed)")
    if stalls > 0 {
        lines.append("stalls     \(stalls) times the window stopped moving: \(writtenOff) messages written off as dropped by the broker")
    }
    result += " sent=\(last.published) delivered=\(last.received) undelivered=\(undelivered) closed=\(closed) stalls=\(stalls)"
    lines.append(result)
    say(lines.joined(separator: "\n"))
    try await group.shutdownGracefully()
} catch {
    FileHandle.standardError.write(Data("broker-routing: \(error)\n".utf8))
    exit(1)
}
