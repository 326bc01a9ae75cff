// swift-tools-version:6.1
import PackageDescription

/// Benchmarks of `fleet`'s hot paths that need a broker and seconds of load: not part of the root
/// package, so CI never builds or runs them. Build and run with `Scripts/bench-observers.sh`.
let package = Package(
    name: "fleet-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "fleet", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Observers' throughput: own mosquitto, paced QoS 0 publishers, the product's `Observers`.
        .executableTarget(
            name: "observer-throughput",
            dependencies: [
                .product(name: "Observation", package: "fleet"),
                .product(name: "Verification", package: "fleet"),
                .product(name: "Scenario", package: "fleet"),
                .product(name: "Ledger", package: "fleet"),
                .product(name: "MQTTClient", package: "fleet"),
                .product(name: "MQTTCore", package: "fleet"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/ObserverThroughput"
        ),
        // QoS 0 routing through a running broker (mosquitto or the lab broker): flat-out publishers, one
        // filter's subscribers, the broker's CPU per message. Driven by Scripts/bench-lab-broker.sh.
        .executableTarget(
            name: "broker-routing",
            dependencies: [
                .product(name: "MQTTCore", package: "fleet"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/BrokerRouting"
        ),
        // A bare SwiftNIO server holding idle MQTT connections: the RSS floor of one channel per connection.
        .executableTarget(
            name: "nio-idle-floor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/NIOIdleFloor"
        ),
        // The client's CPU and memory per connection and per message over TCP, WebSocket and each over TLS,
        // through the product's MQTTClient against a lab broker in its own process. Driven by
        // Scripts/bench-websocket.sh.
        .executableTarget(
            name: "transport-cost",
            dependencies: [
                "CHeapInUse",
                .product(name: "MQTTClient", package: "fleet"),
                .product(name: "MQTTCore", package: "fleet"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/TransportCost"
        ),
        // glibc's mallinfo2, which Swift's Glibc module leaves out: transport-cost's heap bytes per connection.
        .target(name: "CHeapInUse", path: "Sources/CHeapInUse"),
    ],
    swiftLanguageModes: [.v6]
)
