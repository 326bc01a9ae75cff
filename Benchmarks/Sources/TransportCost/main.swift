import CHeapInUse
import Foundation
import MQTTClient
import NIOCore
import NIOPosix

// The client's CPU and memory for one transport (TCP, WebSocket, and each over TLS), the same devices
// and messages for each: Scripts/bench-websocket.sh runs it once per transport against one lab broker
// in its own process and prints the ratios. Synchronous (no async main): valgrind 3.19 crashes on the
// main thread that libdispatch parks in sigsuspend under an async main.

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

let options: TransportOptions
do {
    options = try TransportOptions(arguments: CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("transport-cost: \(error)\n".utf8))
    exit(2)
}

heap_use_one_arena()
do {
    let tls = try options.caFile.map { try TLSSettings(caFiles: [$0]).makeContext() }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let load = try loop.submit { NIOLoopBound(DeviceLoad(loop: loop, options: options, tls: tls), eventLoop: loop) }.wait()

    let memoryBefore = MemoryReading.now()
    let start = try loop.submit { MeterReading.now(brokerPID: options.brokerPID) }.wait()
    let connected = try loop.flatSubmit { load.value.connectAll() }.wait()
    usleep(UInt32(options.settle * 1e6))
    let memoryIdle = MemoryReading.now()
    let idle = try loop.submit { MeterReading.now(brokerPID: options.brokerPID) }.wait()
    let published = try loop.flatSubmit { load.value.publishAll() }.wait()
    let latencies = try loop.submit { load.value.connectLatencies.sorted() }.wait()
    try loop.submit { load.value.closeAll() }.wait()

    let n = Double(options.devices)
    let messages = n * Double(options.messages)
    let connectWall = Double(connected.atNs - start.atNs) / 1e9
    let connectCPU = connected.cpu - start.cpu
    let publishWall = Double(published.atNs - idle.atNs) / 1e9
    let publishCPU = published.cpu - idle.cpu
    let rssPerConnection = Double(memoryIdle.rssKiB - memoryBefore.rssKiB) / n
    let heapPerConnection = Double(memoryIdle.heapBytes - memoryBefore.heapBytes) / n
    func percentile(_ p: Double) -> Double {
        latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6
    }
    var lines = [
        "transport-cost: \(options.transport) to 127.0.0.1:\(options.port), \(options.devices) devices (MQTT \(options.version)), "
            + "\(options.concurrentConnects) connects at a time from \(options.sources) source addresses",
        String(format: "connect    %.2f s wall, %.3f CPU s: %.1f µs CPU per connection; CONNACK p50 %.1f ms, p99 %.1f ms",
               connectWall, connectCPU, connectCPU / n * 1e6, percentile(0.5), percentile(0.99)),
        String(format: "idle       RSS %.1f → %.1f MiB: %.2f KiB per connection; heap in use %.0f bytes per connection",
               Double(memoryBefore.rssKiB) / 1024, Double(memoryIdle.rssKiB) / 1024, rssPerConnection, heapPerConnection),
        String(format: "telemetry  %.0f QoS 1 messages of %d bytes (%d per device, %d in flight each) in %.2f s: %.0f msg/s, "
               + "%.3f CPU s, %.2f µs CPU per message",
               messages, options.payload, options.messages, options.inFlight, publishWall, messages / publishWall,
               publishCPU, publishCPU / messages * 1e6),
    ]
    var result = String(format: "RESULT transport=%@ devices=%d connect_s=%.3f connect_cpu_us=%.2f connack_p50_ms=%.2f "
                        + "connack_p99_ms=%.2f rss_kib=%.3f heap_b=%.0f msgs=%.0f publish_s=%.3f msg_rate=%.0f msg_cpu_us=%.3f",
                        options.transport.rawValue, options.devices, connectWall, connectCPU / n * 1e6, percentile(0.5),
                        percentile(0.99), rssPerConnection, heapPerConnection, messages, publishWall, messages / publishWall,
                        publishCPU / messages * 1e6)
    if let b0 = start.brokerCPU, let b1 = connected.brokerCPU, let b2 = idle.brokerCPU, let b3 = published.brokerCPU {
        lines.append(String(format: "broker     %.1f µs CPU per connection, %.2f µs CPU per message",
                            (b1 - b0) / n * 1e6, (b3 - b2) / messages * 1e6))
        result += String(format: " broker_connect_cpu_us=%.2f broker_msg_cpu_us=%.3f", (b1 - b0) / n * 1e6, (b3 - b2) / messages * 1e6)
    }
    lines.append(result)
    say(lines.joined(separator: "\n"))
    usleep(1_000_000)   // the graceful closes, before the loop goes
    try group.syncShutdownGracefully()
} catch {
    FileHandle.standardError.write(Data("transport-cost: \(error)\n".utf8))
    exit(1)
}
